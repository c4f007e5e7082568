// Notifications: a job type's webhooks and heartbeat pings, each with its recent deliveries (attempts, last answer,
// next attempt); admins add and delete the ones created here. Configuration's are shown read-only, with their key.
import { h, fill } from '../dom.js';
import { get, post, del, query, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { badge } from '../status.js';
import { shortId, timeElement } from '../format.js';
import { confirmDialog, field, problemView } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

const Events = ['failure', 'recovery', 'completion'];
const RecentDeliveries = 10;

export function render(main, ctx, _match, params) {
  const admin = ctx.session.isAdmin;
  let type = params.get('type') ?? '';
  const problemSlot = h('div');
  const list = h('div', { class: 'notifications' }, h('p', { class: 'muted' }, 'Loading…'));
  const picker = h('select', { id: 'notification-type', 'aria-label': 'Job type' }, h('option', { value: '' }, 'All types'));
  picker.addEventListener('change', () => {
    type = picker.value;
    ctx.setParams('/notifications', { type });
    refresh.now();
  });
  const add = admin
    ? h('button', { type: 'button', class: 'button primary', dataset: { focusKey: 'add-notification' }, onClick: () => openAdd(ctx, type, refresh.now) }, 'Add notification')
    : null;
  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Notifications'), add),
    h('p', { class: 'lead' }, admin
      ? 'Webhooks (signed with their secret, on failure, on recovery after failures, or on every completion) and heartbeat pings (on every success), per job type.'
      : 'Webhooks and heartbeat pings per job type, and how their deliveries went. You have read-only access.'),
    h('div', { class: 'filters' }, h('label', { for: 'notification-type' }, 'Job type '), picker),
    problemSlot,
    list);
  ctx.catalog().then(types => {
    for (const t of types) picker.append(h('option', { value: t.name, selected: t.name === type }, t.name));
  }).catch(() => {});

  const refresh = refresher(async () => {
    try {
      const notifications = await get(`/api/notifications${query({ jobType: type })}`);
      const deliveries = await Promise.all(notifications.map(n => get(`/api/notifications/${n.id}/deliveries${query({ limit: RecentDeliveries })}`)));
      fill(problemSlot);
      fill(list, notifications.length
        ? notifications.map((n, i) => renderNotification(n, deliveries[i], admin, () => remove(ctx, n, refresh.now)))
        : h('p', { class: 'empty' }, type ? `${type} has no notifications.` : 'No notifications yet.'));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
    }
  }, 1000);
  refresh.now();
  return disposeAll(
    refresh.dispose,
    onPoll(refresh.now),
    // A finished run may have queued deliveries; their attempts follow shortly after.
    onLiveEvent(event => { if (event.type === 'execution' && event.data.kind !== 'progressed') refresh.soon(); }));
}

function renderNotification(n, deliveries, admin, remove) {
  const what = n.kind === 'webhook' ? `Webhook on ${n.events.join(', ')}` : 'Heartbeat ping on success';
  return h('section', { class: 'card notification', dataset: { notification: n.name, jobType: n.jobType } },
    h('div', { class: 'view-header' },
      h('h2', {}, `${n.jobType} · ${n.name}`),
      admin && n.source === 'api'
        ? h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${n.name}`, dataset: { focusKey: `delete:${n.id}` }, onClick: remove }, 'Delete')
        : null),
    h('div', { class: 'badges' },
      badge(what, 'neutral'),
      n.enabled ? null : badge('Disabled', 'warn'),
      n.source === 'configuration' ? badge(`From configuration: ${n.configurationKey}`, 'neutral') : badge(`Created by ${n.createdBy}`, 'neutral')),
    h('p', { class: 'small' }, h('code', {}, n.url), n.description ? ` — ${n.description}` : null),
    deliveries.length
      ? h('div', { class: 'table-wrap' }, h('table', {},
        h('caption', {}, `Recent deliveries of ${n.name}`),
        h('thead', {}, h('tr', {}, ['Execution', 'Event', 'Status', 'Attempts', 'Last answer', 'Next attempt', 'Delivered'].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, deliveries.map(d => h('tr', { dataset: { delivery: d.id } },
          h('td', {}, h('a', { href: `#/executions/${d.executionId}` }, shortId(d.executionId))),
          h('td', {}, d.event),
          h('td', {}, badge(d.status, d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn')),
          h('td', { class: 'num' }, String(d.attempts)),
          h('td', {}, d.lastError ?? (d.lastStatusCode ? String(d.lastStatusCode) : '—')),
          h('td', { class: 'nowrap' }, d.nextAttemptAt && d.status === 'pending' ? timeElement(d.nextAttemptAt, { withRelative: true }) : '—'),
          h('td', { class: 'nowrap' }, d.deliveredAt ? timeElement(d.deliveredAt) : '—'))))))
      : h('p', { class: 'small muted' }, 'No deliveries yet.'));
}

function openAdd(ctx, type, done) {
  const fields = [
    field({ name: 'jobType', label: 'Job type', required: true, value: type, hint: 'The type whose runs notify.' }),
    field({ name: 'name', label: 'Name', required: true, maxlength: 64, hint: 'a-z, 0-9, _ and -, unique within the type.' }),
    field({ name: 'kind', label: 'Kind', type: 'select', value: 'webhook', options: [{ value: 'webhook', label: 'Webhook' }, { value: 'heartbeat', label: 'Heartbeat ping' }] }),
    field({ name: 'url', label: 'URL', required: true, wide: true, placeholder: 'https://hooks.example.com/scheduler' }),
    field({ name: 'events', label: 'Events', value: 'failure, recovery', hint: `Webhooks: any of ${Events.join(', ')}, comma-separated. Heartbeats: leave empty.` }),
    field({ name: 'secret', label: 'Secret', type: 'password', hint: 'Webhooks: the HMAC-SHA256 key, 16 to 256 characters. It is never shown again.' }),
    field({ name: 'description', label: 'Description', maxlength: 500 }),
  ];
  confirmDialog({
    title: 'Add notification',
    message: h('p', {}, 'The notification is sent after each matching run, outside the run: a receiver that is down never fails it.'),
    fields,
    confirmLabel: 'Add notification',
    action: async values => {
      const heartbeat = values.kind === 'heartbeat';
      const events = values.events.split(',').map(e => e.trim()).filter(Boolean);
      const created = await post('/api/notifications', {
        jobType: values.jobType, name: values.name, kind: values.kind, url: values.url,
        events: heartbeat && events.length === 0 ? null : events,
        secret: values.secret === '' ? null : values.secret,
        description: values.description === '' ? null : values.description,
      });
      ctx.toast(`Added ${created.name} to ${created.jobType}.`);
      done();
      return created;
    },
  });
}

function remove(ctx, n, done) {
  confirmDialog({
    title: `Delete ${n.name}`,
    message: h('p', {}, `Delete ${n.jobType}'s ${n.kind} ${n.name} and its delivery log? Deliveries not yet sent are dropped.`),
    confirmLabel: 'Delete notification',
    danger: true,
    action: async () => {
      await del(`/api/notifications/${n.id}`);
      ctx.toast(`Deleted ${n.name}.`);
      done();
      return true;
    },
  });
}
