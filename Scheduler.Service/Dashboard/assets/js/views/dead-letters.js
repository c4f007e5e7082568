// The core API's dead letters (outbox deliveries and exports it gave up on), read through the scheduler so the core
// API's credentials stay in the service. Readers see the list; admins replay one item at a time, after confirming.
import { h, fill } from '../dom.js';
import { get, post, query, ProblemError } from '../api.js';
import { timeElement } from '../format.js';
import { confirmDialog, problemView } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

const Kinds = [{ value: 'all', label: 'All kinds' }, { value: 'outbox', label: 'Outbox' }, { value: 'export', label: 'Exports' }];
const Limit = 50;

export function render(main, ctx, _match, params) {
  const admin = ctx.session.isAdmin;
  let kind = Kinds.some(k => k.value === params.get('kind')) ? params.get('kind') : 'all';
  const totals = h('p', { class: 'small muted', role: 'status' });
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Loading…')));
  const picker = h('select', {
    id: 'dead-letter-kind', name: 'kind',
    onChange: event => {
      kind = event.target.value;
      ctx.setParams('/dead-letters', { kind });
      refresh.now();
    },
  }, Kinds.map(k => h('option', { value: k.value, selected: k.value === kind }, k.label)));

  fill(main,
    h('div', { class: 'view-header' },
      h('h1', { tabindex: '-1' }, 'Dead letters'),
      h('button', { type: 'button', class: 'button', onClick: () => refresh.now() }, 'Refresh')),
    h('p', { class: 'lead' }, admin
      ? 'What the core API gave up on, newest first. Fix the cause the error names, then replay an item to put it back on its queue.'
      : 'What the core API gave up on, newest first. Replaying needs the Scheduler.Admin role.'),
    h('div', { class: 'filters' }, h('label', { for: 'dead-letter-kind' }, 'Kind '), picker),
    problemSlot,
    totals,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Dead letters, newest first'),
        h('thead', {}, h('tr', {}, ['Failed', 'Kind', 'Id', 'What', 'Attempts', 'Error', ''].map(c => h('th', { scope: 'col' }, c)))),
        tbody)));

  const refresh = refresher(async () => {
    let listing;
    try {
      listing = await get(`/api/dlq${query({ kind, limit: Limit })}`);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
      fill(tbody, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'The dead letters could not be read.')));
      return;
    }
    fill(problemSlot);
    const counts = Object.entries(listing.totals ?? {}).map(([k, n]) => `${k} ${n}`).join(', ');
    totals.textContent = `${listing.total} dead letter${listing.total === 1 ? '' : 's'} (${counts})${listing.total > listing.items.length ? `; the newest ${listing.items.length} shown` : ''}.`;
    fill(tbody, listing.items.length === 0
      ? h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No dead letters.'))
      : listing.items.map(item => renderRow(item, admin, () => replay(ctx, item, refresh.now))));
  });

  refresh.now();
  return disposeAll(refresh.dispose);
}

function renderRow(item, admin, replay) {
  return h('tr', { 'data-id': item.id },
    h('td', { class: 'nowrap' }, timeElement(item.failedAt)),
    h('td', {}, item.kind),
    h('td', {}, h('code', {}, item.id)),
    h('td', {}, item.topic ?? '—'),
    h('td', {}, String(item.attempts)),
    h('td', { class: 'small' }, item.error),
    h('td', {}, admin ? h('button', { type: 'button', class: 'button', onClick: replay }, 'Replay') : ''));
}

async function replay(ctx, item, refresh) {
  const result = await confirmDialog({
    title: `Replay ${item.kind} ${item.id}?`,
    message: h('p', {}, `The core API puts it back on its ${item.kind} queue and tries it again. If the cause of "${item.error}" is not fixed, it comes back here.`),
    confirmLabel: 'Replay',
    action: () => post(`/api/dlq/${encodeURIComponent(item.kind)}/${encodeURIComponent(item.id)}/replay`),
  });
  if (!result) return;
  ctx.toast(`Replayed ${item.kind} ${item.id}.`);
  refresh();
}
