// Bulk retry of failed runs and bulk cancel of waiting ones (admins only). Each dialog lists what it would do first
// (the API's dry run) and offers to go ahead only then; any other view can open them with a filter filled in, e.g. a
// failure reason: retryFailedDialog(ctx, { type, from, to, reason }).
import { h, fill } from '../dom.js';
import { post } from '../api.js';
import { field, openDialog, problemView, showFieldErrors } from '../dialogs.js';
import { isoToLocalInput, localInputToIso, shortId, timeElement } from '../format.js';
import { statusBadge } from '../status.js';

const DayMs = 24 * 60 * 60 * 1000;

/** The header buttons of a view: "Retry failed…" and "Cancel pending…" for admins, nothing for readers. */
export function bulkButtons(ctx, onDone) {
  if (!ctx.session.isAdmin) return null;
  return h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'button', onClick: () => retryFailedDialog(ctx).then(onDone) }, 'Retry failed…'),
    h('button', { type: 'button', class: 'button', onClick: () => cancelPendingDialog(ctx).then(onDone) }, 'Cancel pending…'));
}

/**
 * Retry failed runs: type, from, to and reason (preset fills them; from/to as ISO instants), then the dry run's list and
 * count, then "Retry N runs", then what became of each. Resolves when the dialog closes.
 */
export function retryFailedDialog(ctx, preset = {}) {
  const now = Date.now();
  const type = field({ name: 'type', label: 'Job type', type: 'select', value: preset.type ?? '', options: [{ value: '', label: 'All types' }] });
  const from = field({ name: 'from', label: 'Ended from (your time)', type: 'datetime-local', required: true, value: isoToLocalInput(preset.from ?? new Date(now - DayMs).toISOString()) });
  const to = field({ name: 'to', label: 'Ended before (your time)', type: 'datetime-local', required: true, value: isoToLocalInput(preset.to ?? new Date(now + 60000).toISOString()) });
  const reason = field({ name: 'reason', label: 'Failure reason (optional)', type: 'text', wide: true, value: preset.reason ?? '',
    hint: 'As the failure reasons table shows it: numbers, ids and URLs masked.' });
  fillTypes(ctx, type, preset.type);
  const body = () => ({
    type: type.value() || undefined, from: localInputToIso(from.value()) || from.value() || undefined,
    to: localInputToIso(to.value()) || to.value() || undefined, reason: reason.value() || undefined,
  });
  return bulkDialog({
    title: 'Retry failed runs',
    fields: [type, from, to, reason],
    previewLabel: 'Show what would be retried',
    run: dryRun => post('/api/jobs/retry-failed', { ...body(), dryRun }),
    fieldNames: { type: 'Job type', from: 'Ended from', to: 'Ended before', reason: 'Failure reason', limit: 'Limit' },
    confirmLabel: n => `Retry ${n} ${n === 1 ? 'run' : 'runs'}`,
    describe: answer => answer.dryRun
      ? `${count(answer.matched, 'failed run')} not yet retried ${answer.matched === 1 ? 'matches' : 'match'}${answer.truncated ? `; this call takes the oldest ${answer.items.length}, ${answer.remaining} left for another` : ''}.`
      : `Retried ${answer.retried} of ${answer.items.length}; ${answer.notRetried} not retried${answer.remaining ? `; ${answer.remaining} more match` : ''}.`,
    columns: ['Execution', 'Job type', 'Ended', 'Reason', 'Outcome'],
    row: item => [
      h('a', { class: 'mono', href: `#/executions/${item.id}` }, shortId(item.id)),
      item.jobType,
      timeElement(item.completedAt),
      h('span', { class: 'small' }, item.reason),
      item.retryId
        ? h('a', { href: `#/executions/${item.retryId}` }, `retry ${shortId(item.retryId)}`)
        : item.error ? h('span', { class: 'small' }, item.error) : h('span', { class: 'muted' }, 'would be retried'),
    ],
    key: item => item.id,
    done: item => Boolean(item.retryId),
  });
}

/** Cancel pending and scheduled runs: type, then the dry run's list and count, then "Cancel N runs". */
export function cancelPendingDialog(ctx, preset = {}) {
  const type = field({ name: 'type', label: 'Job type', type: 'select', value: preset.type ?? '', options: [{ value: '', label: 'All types' }] });
  fillTypes(ctx, type, preset.type);
  return bulkDialog({
    title: 'Cancel pending runs',
    fields: [type],
    previewLabel: 'Show what would be cancelled',
    run: dryRun => post('/api/jobs/cancel-pending', { type: type.value() || undefined, dryRun }),
    fieldNames: { type: 'Job type', limit: 'Limit' },
    confirmLabel: n => `Cancel ${n} ${n === 1 ? 'run' : 'runs'}`,
    danger: true,
    describe: answer => answer.dryRun
      ? `${count(answer.matched, 'pending or scheduled run')} ${answer.matched === 1 ? 'matches' : 'match'}${answer.truncated ? `; this call takes the oldest ${answer.items.length}, ${answer.remaining} left for another` : ''}.`
      : `Cancelled ${answer.cancelled} of ${answer.items.length}; ${answer.notCancelled} not cancelled${answer.remaining ? `; ${answer.remaining} more match` : ''}.`,
    columns: ['Execution', 'Job type', 'Status', 'Due', 'Outcome'],
    row: item => [
      h('a', { class: 'mono', href: `#/executions/${item.id}` }, shortId(item.id)),
      item.jobType,
      statusBadge(item.status),
      item.scheduledFor ? timeElement(item.scheduledFor) : 'now',
      item.cancelled ? 'cancelled' : item.error ? h('span', { class: 'small' }, item.error) : h('span', { class: 'muted' }, 'would be cancelled'),
    ],
    key: item => item.id,
    done: item => item.cancelled,
  });
}

/**
 * The two-step dialog both share: fields and a preview button; the preview (a dry run) lists the runs and offers the
 * confirm button; changing a field takes the offer back until the list is shown again.
 */
function bulkDialog({ title, fields, previewLabel, run, fieldNames, confirmLabel, danger = false, describe, columns, row, key, done }) {
  return new Promise(resolve => {
    const { dialog, body, close } = openDialog(title);
    let changed = false;
    dialog.addEventListener('close', () => resolve(changed));
    const problemSlot = h('div');
    const summary = h('p', { role: 'status', class: 'small' });
    const listSlot = h('div');
    const preview = h('button', { type: 'submit', class: 'button primary' }, previewLabel);
    // In the DOM only while a dry run's list is shown: .button's display would override [hidden].
    const confirm = h('button', { type: 'button', class: `button ${danger ? 'danger' : 'primary'}` });
    const actions = h('div', { class: 'actions' });
    const offer = shown => (shown ? fill(actions, back, confirm) : fill(actions, back));
    const back = h('button', { type: 'button', class: 'button', onClick: close }, 'Close');
    const form = h('form', { class: 'dialog-body-form', novalidate: true },
      fields.map(f => f.element), h('div', { class: 'actions' }, preview), problemSlot, summary, listSlot, actions);
    offer(false);

    const reset = () => {
      offer(false);
      summary.textContent = '';
      fill(listSlot);
    };
    for (const f of fields) f.input.addEventListener('input', reset);
    for (const f of fields) f.input.addEventListener('change', reset);

    const call = async (dryRun, button) => {
      fill(problemSlot);
      for (const f of fields) f.setError(null);
      const missing = fields.filter(f => f.input.required && !f.value());
      if (missing.length) {
        for (const f of missing) f.setError('Required.');
        missing[0].input.focus();
        return;
      }
      const label = button.textContent;
      button.disabled = true;
      button.textContent = 'Working…';
      try {
        const answer = (await run(dryRun)).data;
        changed ||= !dryRun;
        summary.textContent = describe(answer);
        fill(listSlot, answer.items.length === 0 ? null : h('div', { class: 'table-wrap' },
          h('table', {},
            h('caption', { class: 'visually-hidden' }, dryRun ? 'Runs this would take' : 'What became of each run'),
            h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, answer.items.map(item => h('tr', { dataset: { key: key(item), done: String(done(item)) } }, row(item).map(cell => h('td', {}, cell))))))));
        const n = answer.items.length;
        confirm.textContent = confirmLabel(n);
        offer(dryRun && n > 0);
        if (!dryRun) back.focus();
        if (!dryRun) preview.textContent = previewLabel;
      } catch (error) {
        const rest = showFieldErrors(fields, error);
        fill(problemSlot, problemView(error, { fieldNames, errors: rest }));
        reset();
      } finally {
        button.disabled = false;
        if (button.textContent === 'Working…') button.textContent = label;
      }
    };
    form.addEventListener('submit', event => {
      event.preventDefault();
      call(true, preview);
    });
    confirm.addEventListener('click', () => call(false, confirm));
    fill(body, form);
    fields[0].input.focus();
  });
}

function fillTypes(ctx, type, selected) {
  ctx.catalog().then(types => {
    fill(type.input, h('option', { value: '' }, 'All types'), types.map(t => h('option', { value: t.name, selected: t.name === selected }, t.name)));
  }).catch(() => {});
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
