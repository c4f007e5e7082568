// Executions: the history, newest first, filtered by type, status, who, when and failure reason, paged; rows follow
// live updates. The statistics view links here with a reason (the normalised error its failure reasons table shows).
// Admins retry failed runs and cancel pending ones in bulk from here (views/bulk.js).
import { h, fill, syncRows } from '../dom.js';
import { get, query, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { Statuses, statusBadge, statusLabel, triggerLabel } from '../status.js';
import { countdownElement, durationBetween, formatDuration, shortId, timeElement } from '../format.js';
import { problemView } from '../dialogs.js';
import { filterForm, pager, PageSizes, readParams } from '../list.js';
import { disposeAll, refresher } from '../util.js';
import { bulkButtons } from './bulk.js';

const Filters = ['type', 'status', 'startedBy', 'from', 'to', 'reason'];

export function render(main, ctx, _match, params) {
  let state = readParams(params, Filters);
  let cursorHint = null;
  let page = null;

  const summary = h('p', { class: 'small muted', role: 'status' });
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'Loading…')));
  const pagerSlot = h('div');
  const filters = filterForm({
    label: 'Filter executions',
    values: state,
    onApply: values => {
      state = { ...values, page: 1, limit: Number(values.limit) || 50 };
      cursorHint = null;
      ctx.setParams('/executions', state.page === 1 ? { ...state, page: '' } : state);
      refresh.now();
    },
    specs: [
      { name: 'type', label: 'Job type', type: 'select', options: [{ value: '', label: 'All types' }, ...(state.type ? [{ value: state.type, label: state.type }] : [])] },
      { name: 'status', label: 'Status', type: 'select', options: [{ value: '', label: 'All statuses' }, ...Statuses.map(s => ({ value: s, label: statusLabel(s) }))] },
      { name: 'startedBy', label: 'Started by', type: 'text', placeholder: 'user id or scheduler' },
      { name: 'from', label: 'Created from (your time)', type: 'datetime-local' },
      { name: 'to', label: 'Created before (your time)', type: 'datetime-local' },
      { name: 'reason', label: 'Failure reason', type: 'text', wide: true, placeholder: 'as the statistics view shows it' },
      { name: 'limit', label: 'Per page', type: 'select', options: PageSizes.map(n => ({ value: String(n), label: String(n) })), value: String(state.limit) },
    ],
  });
  ctx.catalog().then(types => filters.setOptions('type', [{ value: '', label: 'All types' }, ...types.map(t => ({ value: t.name, label: t.name }))]))
    .catch(() => {});

  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Executions'), bulkButtons(ctx, changed => { if (changed) refresh.now(); })),
    h('p', { class: 'lead' }, 'Every run, manual or scheduled, newest first; a run for later counts down to when it is due. The table follows runs as they change.'),
    filters.form,
    problemSlot,
    summary,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
        h('thead', {}, h('tr', {}, ['Status', 'Job type', 'Execution', 'Trigger', 'Started by', 'Created', 'Duration', 'Attempt', 'Error']
          .map(c => h('th', { scope: 'col', class: c === 'Attempt' ? 'num' : null }, c)))),
        tbody)),
    pagerSlot);

  const refresh = refresher(async () => {
    const useCursor = cursorHint && cursorHint.page === state.page;
    const search = {
      type: state.type, status: state.status, startedBy: state.startedBy, from: state.from, to: state.to, reason: state.reason, limit: state.limit,
      ...(useCursor ? { cursor: cursorHint.cursor } : { page: state.page }),
    };
    try {
      page = await get(`/api/jobs${query(search)}`);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error, { fieldNames: { type: 'Job type', startedBy: 'Started by', from: 'Created from', to: 'Created before', reason: 'Failure reason' } }));
      return;
    }
    fill(problemSlot);
    summary.textContent = page.total === 1 ? '1 execution matches.' : `${page.total} executions match.`;
    renderRows();
    fill(pagerSlot, pager({
      page: state.page, limit: state.limit, total: page.total, count: page.jobs.length, nextCursor: page.nextCursor,
      label: 'Execution pages',
      onPage: (n, cursor) => {
        cursorHint = cursor ? { page: n, cursor } : null;
        state = { ...state, page: n };
        ctx.setParams('/executions', state);
        refresh.now();
        main.querySelector('h1')?.focus();
      },
    }));
  });

  function renderRows() {
    if (page.jobs.length === 0) {
      fill(tbody, h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No executions match these filters.')));
      return;
    }
    syncRows(tbody, page.jobs, e => e.id,
      e => JSON.stringify([e, e.status === 'running' ? Math.floor(Date.now() / 5000) : 0]),
      renderRow);
  }

  refresh.now();
  return disposeAll(
    refresh.dispose,
    onPoll(refresh.now),
    onLiveEvent(event => {
      if (event.type !== 'execution' || !page) return;
      const changed = event.data.execution;
      const index = page.jobs.findIndex(e => e.id === changed?.id);
      if (index >= 0) {
        page.jobs[index] = { ...page.jobs[index], ...changed };
        renderRows();
        // A run that left the status filtered for leaves the list at the next reload.
        if (state.status && changed.status !== state.status) refresh.soon();
      } else if (event.data.kind === 'created' && state.page === 1) {
        refresh.soon();
      }
    }));
}

function renderRow(e) {
  const seconds = e.startedAt ? durationBetween(e.startedAt, e.completedAt ?? new Date()) : null;
  return h('tr', { dataset: { executionId: e.id, status: e.status } },
    h('td', {}, statusBadge(e.status), e.status === 'scheduled' ? countdownElement(e.scheduledFor) : null),
    h('td', {}, e.jobType),
    h('td', {}, h('a', {
      class: 'mono', href: `#/executions/${e.id}`, dataset: { focusKey: `open:${e.id}` },
      'aria-label': `Execution ${shortId(e.id)} of ${e.jobType}, ${e.status}`,
    }, shortId(e.id))),
    h('td', {}, triggerLabel(e)),
    h('td', {}, e.startedBy ?? '—'),
    h('td', { class: 'nowrap' }, timeElement(e.createdAt)),
    h('td', { class: 'nowrap' }, seconds === null ? '—' : `${formatDuration(seconds)}${e.completedAt ? '' : ' so far'}`),
    h('td', { class: 'num' }, String(e.attempt ?? 1)),
    h('td', { class: 'small' }, e.error ? (e.error.length > 90 ? `${e.error.slice(0, 90)}…` : e.error) : ''));
}
