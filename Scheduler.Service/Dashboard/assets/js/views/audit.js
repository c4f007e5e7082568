// The audit trail: every trigger, cancel, retry and schedule change, who did it, from where and how it ended.
import { h, fill } from '../dom.js';
import { get, query, ProblemError } from '../api.js';
import { badge } from '../status.js';
import { json, timeElement } from '../format.js';
import { problemView } from '../dialogs.js';
import { filterForm, pager, PageSizes, readParams } from '../list.js';
import { disposeAll, refresher } from '../util.js';

const Filters = ['action', 'actor', 'jobType', 'targetId', 'from', 'to'];
const Actions = ['job.trigger', 'job.cancel', 'job.retry', 'job.retry_failed', 'job.cancel_pending', 'schedule.pause', 'schedule.resume', 'schedule.change', 'schedule.reset', 'schedule.backfill', 'dlq.replay'];
const OutcomeKind = { accepted: 'ok', replayed: 'info', rejected: 'bad', conflict: 'warn', failed: 'bad' };

export function render(main, ctx, _match, params) {
  let state = readParams(params, Filters);
  let cursorHint = null;
  const summary = h('p', { class: 'small muted', role: 'status' });
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'Loading…')));
  const pagerSlot = h('div');
  const filters = filterForm({
    label: 'Filter the audit trail',
    values: state,
    onApply: values => {
      state = { ...values, page: 1, limit: Number(values.limit) || 50 };
      cursorHint = null;
      ctx.setParams('/audit', { ...state, page: '' });
      refresh.now();
    },
    specs: [
      { name: 'action', label: 'Action', type: 'select', options: [{ value: '', label: 'All actions' }, ...Actions.map(a => ({ value: a, label: a }))] },
      { name: 'actor', label: 'Actor', type: 'text', placeholder: 'user id or scheduler' },
      { name: 'jobType', label: 'Job type', type: 'select', options: [{ value: '', label: 'All types' }, ...(state.jobType ? [{ value: state.jobType, label: state.jobType }] : [])] },
      { name: 'targetId', label: 'Target (execution id or job type)', type: 'text' },
      { name: 'from', label: 'From (your time)', type: 'datetime-local' },
      { name: 'to', label: 'Before (your time)', type: 'datetime-local' },
      { name: 'limit', label: 'Per page', type: 'select', options: PageSizes.map(n => ({ value: String(n), label: String(n) })), value: String(state.limit) },
    ],
  });
  ctx.catalog().then(types => filters.setOptions('jobType', [{ value: '', label: 'All types' }, ...types.map(t => ({ value: t.name, label: t.name }))]))
    .catch(() => {});

  fill(main,
    h('div', { class: 'view-header' },
      h('h1', { tabindex: '-1' }, 'Audit trail'),
      h('button', { type: 'button', class: 'button', onClick: () => refresh.now() }, 'Refresh')),
    h('p', { class: 'lead' }, 'Every operator action, accepted or refused, newest first.'),
    filters.form,
    problemSlot,
    summary,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Audit entries, newest first'),
        h('thead', {}, h('tr', {}, ['When', 'Actor', 'Action', 'Outcome', 'Job type', 'Target', 'From', 'Details'].map(c => h('th', { scope: 'col' }, c)))),
        tbody)),
    pagerSlot);

  const refresh = refresher(async () => {
    const useCursor = cursorHint && cursorHint.page === state.page;
    let page;
    try {
      page = await get(`/api/audit${query({
        action: state.action, actor: state.actor, jobType: state.jobType, targetId: state.targetId, from: state.from, to: state.to,
        limit: state.limit, ...(useCursor ? { cursor: cursorHint.cursor } : { page: state.page }),
      })}`);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
      return;
    }
    fill(problemSlot);
    summary.textContent = page.total === 1 ? '1 entry matches.' : `${page.total} entries match.`;
    fill(tbody, page.entries.length === 0
      ? h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No audit entries match these filters.'))
      : page.entries.map(renderRow));
    fill(pagerSlot, pager({
      page: state.page, limit: state.limit, total: page.total, count: page.entries.length, nextCursor: page.nextCursor,
      label: 'Audit pages',
      onPage: (n, cursor) => {
        cursorHint = cursor ? { page: n, cursor } : null;
        state = { ...state, page: n };
        ctx.setParams('/audit', state);
        refresh.now();
        main.querySelector('h1')?.focus();
      },
    }));
  });

  refresh.now();
  return disposeAll(refresh.dispose);
}

function renderRow(entry) {
  const target = entry.targetType === 'execution' && entry.targetId
    ? h('a', { class: 'mono', href: `#/executions/${entry.targetId}` }, entry.targetId.slice(0, 8))
    : entry.targetId ?? '—';
  return h('tr', {},
    h('td', { class: 'nowrap' }, timeElement(entry.at)),
    h('td', {}, entry.actor),
    h('td', {}, h('code', {}, entry.action)),
    h('td', {}, badge(entry.outcome, OutcomeKind[entry.outcome] ?? 'neutral')),
    h('td', {}, entry.jobType ?? '—'),
    h('td', {}, target),
    h('td', { class: 'small' }, entry.remoteAddress ?? '—'),
    h('td', {}, entry.details ? h('details', {}, h('summary', {}, 'Show'), h('pre', { class: 'small' }, json(entry.details))) : '—'));
}
