// Job types: each type's state at a glance (running, last result, overdue, paused), its next run, last success and
// failures in a row, from /api/jobs/status, /api/jobs/types and /api/schedules; admins trigger a run from here.
import { h, fill, syncRows } from '../dom.js';
import { get, post, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { badge, statusBadge } from '../status.js';
import { formatDuration, formatTime, relative, timeElement, parseTime } from '../format.js';
import { field, openDialog, problemView, showFieldErrors } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

export function render(main, ctx) {
  const admin = ctx.session.isAdmin;
  const runners = h('div', { class: 'runners' });
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Loading…')));
  const columns = ['Job type', 'Status', 'Next run', 'Last success', 'Failures in a row', 'Typical run', admin ? 'Actions' : null].filter(Boolean);
  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Job types')),
    h('p', { class: 'lead' }, admin
      ? 'Every job type, what it is doing and how its runs went. Trigger starts a run now (one run of a type at a time, across the cluster).'
      : 'Every job type, what it is doing and how its runs went. You have read-only access.'),
    runners,
    problemSlot,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Job types and their status'),
        h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))),
        tbody)));

  let types = [];
  // Bursts of events (a backfill, progress reports) fold into one reload a second at most.
  const refresh = refresher(async () => {
    try {
      const [catalog, status, schedules] = await Promise.all([ctx.catalog(), get('/api/jobs/status'), get('/api/schedules')]);
      types = catalog;
      fill(problemSlot);
      renderRunners(runners, status.runners ?? []);
      const byName = new Map(status.jobs.map(j => [j.name, j]));
      const scheduleOf = new Map(schedules.map(s => [s.jobType, s]));
      const rows = catalog.map(type => ({ type, status: byName.get(type.name) ?? {}, schedule: scheduleOf.get(type.name) ?? null }));
      syncRows(tbody, rows, r => r.type.name,
        r => JSON.stringify([r.status, r.schedule?.paused, r.schedule?.pause, r.schedule?.runs, Math.floor(Date.now() / 60000)]),
        r => renderRow(r, admin, type => openTrigger(ctx, type, refresh)));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
    }
  }, 1000);
  refresh.now();
  return disposeAll(
    refresh.dispose,
    onPoll(refresh.now),
    onLiveEvent(event => {
      if ((event.type === 'execution' && event.data.kind !== 'progressed') || event.type === 'schedule') refresh.soon();
    }));
}

function renderRunners(container, runners) {
  fill(container,
    h('span', { class: 'muted' }, runners.length === 1 ? '1 node:' : `${runners.length} nodes:`),
    runners.map(r => badge(`${r.runner_id} · heartbeat ${Math.round(r.age_seconds)} s ago${r.stale ? ' (stale)' : ''}`, r.stale ? 'bad' : 'ok')),
    runners.length === 0 ? badge('No node has a heartbeat', 'warn') : null);
}

function lastResult(status) {
  const success = parseTime(status.last_success_at);
  const failure = parseTime(status.last_error_at);
  if (status.consecutive_failures > 0 || (failure && (!success || failure > success))) {
    return h('span', { class: 'badge badge-bad' }, h('span', { 'aria-hidden': 'true' }, '✗'), 'Last run failed');
  }
  if (success) return h('span', { class: 'badge badge-ok' }, h('span', { 'aria-hidden': 'true' }, '✓'), 'Last run succeeded');
  return badge('Never run', 'neutral');
}

function renderRow({ type, status, schedule }, admin, trigger) {
  const name = type.name;
  const badges = [];
  if (status.running) {
    badges.push(h('a', { href: `#/executions/${status.running.id}`, 'aria-label': `Running now: open execution of ${name}` },
      statusBadge('running')));
  }
  badges.push(lastResult(status));
  if (status.overdue) badges.push(badge('Overdue', 'warn'));
  if (status.paused || schedule?.paused) badges.push(badge('Paused', 'warn'));
  if (!type.enabled) badges.push(badge('Disabled', 'neutral'));
  else if (schedule && !schedule.runs && !schedule.paused) badges.push(badge('Manual only', 'neutral'));

  const notes = [];
  if (status.running?.estimated_completion_at) {
    notes.push(`Estimated done ${formatTime(status.running.estimated_completion_at)} (${relative(status.running.estimated_completion_at)})`);
  }
  if (status.overdue && status.overdue_reason) notes.push(`Overdue: ${status.overdue_reason}`);
  if (status.last_error && status.consecutive_failures > 0) notes.push(`Last error: ${truncate(status.last_error, 160)}`);
  if (schedule?.pause) {
    notes.push(`Paused by ${schedule.pause.pausedBy ?? 'unknown'}: ${schedule.pause.reason ?? 'no reason given'}` +
      (schedule.pause.until ? ` (until ${formatTime(schedule.pause.until)})` : ''));
  }

  const typical = status.typical_duration;
  return h('tr', { dataset: { jobType: name } },
    h('th', { scope: 'row' },
      h('a', { class: 'name', href: `#/executions?type=${encodeURIComponent(name)}`, 'aria-label': `${name}: its executions` }, name),
      h('div', { class: 'description' }, type.description),
      h('a', { class: 'small', href: `#/notifications?type=${encodeURIComponent(name)}`, 'aria-label': `${name}: its notifications` }, 'Notifications')),
    h('td', {},
      h('div', { class: 'badges' }, badges),
      notes.map(n => h('div', { class: 'small muted' }, n))),
    h('td', { class: 'nowrap' }, status.next_fire_time ? timeElement(status.next_fire_time, { withRelative: true }) : h('span', { class: 'muted' }, 'Not scheduled')),
    h('td', { class: 'nowrap' }, status.last_success_at ? timeElement(status.last_success_at, { withRelative: true }) : h('span', { class: 'muted' }, 'Never')),
    h('td', { class: 'num' }, String(status.consecutive_failures ?? 0)),
    h('td', {}, typical
      ? h('span', {}, formatDuration(typical.p50_seconds), h('span', { class: 'relative' }, `median of ${typical.samples}`))
      : h('span', { class: 'muted' }, '—')),
    admin ? h('td', {}, type.enabled
      ? h('button', {
        type: 'button', class: 'button small primary', 'aria-label': `Trigger ${name}`, dataset: { focusKey: `trigger:${name}` },
        onClick: () => trigger(type),
      }, 'Trigger')
      : h('span', { class: 'small muted' }, 'Disabled in configuration')) : null);
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** The trigger form (from the type's parameters), a confirmation step, then the outcome. */
function openTrigger(ctx, type, refresh) {
  const { body, close } = openDialog(`Trigger ${type.name}`);
  const fields = type.parameters.map(p => field({
    name: p.name, apiName: `parameters.${p.name}`, label: p.name, type: 'number', min: p.minimum, max: p.maximum, step: 1,
    placeholder: String(p.default),
    hint: `${p.description} Whole number from ${p.minimum} to ${p.maximum}; empty uses the default, ${p.default}.`,
  }));
  let parameters = {};
  showForm();

  function showForm(error) {
    const problemSlot = h('div');
    const form = h('form', { novalidate: true },
      h('p', {}, type.description),
      fields.length ? fields.map(f => f.element) : h('p', { class: 'muted' }, 'This job type takes no parameters.'),
      problemSlot,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', onClick: close }, 'Back out'),
        h('button', { type: 'submit', class: 'button primary' }, 'Review')));
    form.addEventListener('submit', event => {
      event.preventDefault();
      const values = {};
      let firstInvalid = null;
      for (const [i, f] of fields.entries()) {
        const p = type.parameters[i];
        f.setError(null);
        const text = f.value();
        if (text === '') continue;
        const number = Number(text);
        if (!Number.isInteger(number) || number < p.minimum || number > p.maximum) {
          f.setError(`Must be a whole number from ${p.minimum} to ${p.maximum}.`);
          firstInvalid ??= f.input;
        } else {
          values[p.name] = number;
        }
      }
      if (firstInvalid) {
        firstInvalid.focus();
        return;
      }
      parameters = values;
      showConfirm();
    });
    fill(body, form);
    if (error) {
      const rest = showFieldErrors(fields, error);
      fill(problemSlot, problemView(error, { errors: rest }));
    } else {
      (fields[0]?.input ?? form.querySelector('[type=submit]')).focus();
    }
  }

  function showConfirm() {
    const problemSlot = h('div');
    const confirm = h('button', { type: 'button', class: 'button primary' }, 'Trigger now');
    const back = h('button', { type: 'button', class: 'button', onClick: () => showForm() }, 'Back');
    const given = Object.entries(parameters);
    fill(body,
      h('p', {}, `Start a run of ${type.name} now?`),
      given.length
        ? h('ul', { class: 'summary-list' }, given.map(([k, v]) => h('li', {}, h('code', {}, k), ` = ${v}`)))
        : h('p', { class: 'muted' }, 'With the default parameters.'),
      h('p', { class: 'small muted' }, 'If a run of this type is already pending or running anywhere in the cluster, the service refuses (409).'),
      problemSlot,
      h('div', { class: 'actions' }, back, confirm));
    confirm.focus();
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      back.disabled = true;
      confirm.textContent = 'Triggering…';
      try {
        const body = { jobType: type.name };
        if (given.length) body.parameters = parameters;
        const created = (await post('/api/jobs/trigger', body)).data;
        refresh.soon();
        showDone(created);
      } catch (error) {
        if (error instanceof ProblemError && error.status === 400 && Object.keys(error.problem.errors ?? {}).some(k => k.startsWith('parameters'))) {
          showForm(error);
          return;
        }
        fill(problemSlot, problemView(error));
        confirm.disabled = false;
        back.disabled = false;
        confirm.textContent = 'Trigger now';
        back.focus();
      }
    });
  }

  function showDone(created) {
    const view = h('a', { class: 'button primary', href: `#/executions/${created.id}`, onClick: () => close() }, 'View execution');
    fill(body,
      h('div', { class: 'success', role: 'status' },
        h('strong', {}, `${type.name} triggered.`),
        h('p', {}, `Execution ${created.id} is ${created.status}.`)),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onClick: close }, 'Close'), view));
    view.focus();
  }
}
