// How an execution's status looks everywhere: an icon (a spinner while running) and always the word, so neither
// colour nor the icon alone carries the meaning.
import { h } from './dom.js';

export const Statuses = ['scheduled', 'pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'];
export const FinalStatuses = ['completed', 'failed', 'cancelled', 'skipped'];

const Look = {
  scheduled: { icon: '◔', label: 'Scheduled' },
  pending: { icon: '◷', label: 'Pending' },
  running: { icon: null, label: 'Running' },
  completed: { icon: '✓', label: 'Completed' },
  failed: { icon: '✗', label: 'Failed' },
  cancelled: { icon: '⊘', label: 'Cancelled' },
  skipped: { icon: '↷', label: 'Skipped' },
};

export function statusLabel(status) {
  return Look[status]?.label ?? status;
}

export function statusBadge(status, { large = false } = {}) {
  const look = Look[status] ?? { icon: '•', label: status };
  const icon = look.icon === null
    ? h('span', { class: 'spinner', 'aria-hidden': 'true' })
    : h('span', { class: 'status-icon', 'aria-hidden': 'true' }, look.icon);
  return h('span', { class: `status status-${status}${large ? ' large' : ''}`, dataset: { status } }, icon, look.label);
}

export function badge(text, kind = 'neutral', attributes = {}) {
  return h('span', { ...attributes, class: `badge badge-${kind}` }, text);
}

export function isFinal(status) {
  return FinalStatuses.includes(status);
}

/** How a run came about: its trigger, and for a named schedule's run ('schedule') the schedule's name too. */
export function triggerLabel(execution) {
  return execution.trigger === 'schedule' && execution.schedule ? `schedule ${execution.schedule}` : execution.trigger;
}
