// Schedules: each type's cron and zone, where it comes from (configuration or an override, with drift), its next
// fire times in UTC and in its zone, and its pause; admins pause (with a reason), resume, edit and reset.
import { h, fill, syncRows, uid } from '../dom.js';
import { del, get, post, put, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { badge } from '../status.js';
import { formatTime, formatUtc, formatWallClock, localInputToIso, timeElement } from '../format.js';
import { confirmDialog, field, openDialog, problemView, showFieldErrors } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

export function render(main, ctx) {
  const admin = ctx.session.isAdmin;
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Loading…')));
  const columns = ['Job type', 'Schedule', 'Source', 'State', 'Next fire times', 'Last fired', admin ? 'Actions' : null].filter(Boolean);
  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Schedules')),
    h('p', { class: 'lead' },
      'Configuration is the source of truth; a change made here is an audited override, reported as drift until the type is reset to configuration. Changes apply on every node at once.'),
    problemSlot,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Schedules'),
        h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))),
        tbody)));

  const refresh = refresher(async () => {
    try {
      const [schedules, catalog] = await Promise.all([get('/api/schedules'), ctx.catalog()]);
      const typeEnabled = new Map(catalog.map(t => [t.name, t.enabled]));
      fill(problemSlot);
      syncRows(tbody, schedules, s => s.jobType, s => JSON.stringify(s),
        s => renderRow(s, typeEnabled.get(s.jobType) !== false, admin, actions));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
    }
  });

  const actions = {
    pause: schedule => pause(schedule, refresh, ctx),
    resume: schedule => resume(schedule, refresh, ctx),
    edit: schedule => edit(schedule, refresh),
    reset: schedule => reset(schedule, refresh, ctx),
  };

  refresh.now();
  return disposeAll(
    refresh.dispose,
    onPoll(refresh.now),
    onLiveEvent(event => {
      if (event.type === 'schedule') refresh.soon();
    }));
}

function renderRow(s, typeEnabled, admin, actions) {
  const name = s.jobType;
  const next = s.nextFireTimes ?? [];
  const state = s.paused
    ? [h('div', { class: 'badges' }, badge('Paused', 'warn')),
      h('div', { class: 'small' }, `${s.pause?.reason ?? 'No reason given'}`),
      h('div', { class: 'small muted' }, `by ${s.pause?.pausedBy ?? 'unknown'}${s.pause?.since ? ` since ${formatTime(s.pause.since)}` : ''}`),
      s.pause?.until ? h('div', { class: 'small muted' }, `until ${formatTime(s.pause.until)}`) : null]
    : s.runs ? h('div', { class: 'badges' }, badge('Runs', 'ok'))
      : h('div', { class: 'badges' }, badge(typeEnabled ? 'Off (manual only)' : 'Type disabled', 'neutral'));
  return h('tr', { dataset: { jobType: name } },
    h('th', { scope: 'row', class: 'name' }, name),
    h('td', {}, h('code', {}, s.cron), h('div', { class: 'small muted' }, s.timeZone)),
    h('td', {},
      h('div', { class: 'badges' }, badge(s.source === 'override' ? 'Override' : 'Configuration', s.source === 'override' ? 'info' : 'neutral'),
        s.drift ? badge('Drift', 'warn') : null),
      s.override ? h('div', { class: 'small muted' }, `by ${s.override.changedBy}, ${formatTime(s.override.changedAt)}`) : null,
      s.drift ? h('div', { class: 'small muted' }, `configured: `, h('code', {}, s.configured.cron), ` ${s.configured.timeZone}${s.configured.enabled ? '' : ' (off)'}`) : null),
    h('td', {}, state),
    h('td', {}, next.length === 0 ? h('span', { class: 'muted' }, 'None') : fireTimes(next, s.timeZone)),
    h('td', { class: 'nowrap' }, s.previousFireTime ? timeElement(s.previousFireTime) : h('span', { class: 'muted' }, '—')),
    admin ? h('td', {}, h('div', { class: 'actions' },
      s.paused
        ? h('button', { type: 'button', class: 'button small', 'aria-label': `Resume ${name}`, dataset: { focusKey: `resume:${name}` }, onClick: () => actions.resume(s) }, 'Resume')
        : s.runs ? h('button', { type: 'button', class: 'button small', 'aria-label': `Pause ${name}`, dataset: { focusKey: `pause:${name}` }, onClick: () => actions.pause(s) }, 'Pause') : null,
      // A type disabled in configuration takes no schedule changes (409): enable it there first.
      typeEnabled
        ? h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${name}`, dataset: { focusKey: `edit:${name}` }, onClick: () => actions.edit(s) }, 'Edit')
        : h('span', { class: 'small muted' }, 'Disabled in configuration'),
      s.source === 'override'
        ? h('button', { type: 'button', class: 'button small', 'aria-label': `Reset ${name} to configuration`, dataset: { focusKey: `reset:${name}` }, onClick: () => actions.reset(s) }, 'Reset')
        : null)) : null);
}

/** The first fire time in UTC and in the zone; all five behind a disclosure. DST changes are marked. */
function fireTimes(next, zone) {
  const first = next[0];
  return h('div', {},
    h('div', { class: 'nowrap' }, formatUtc(first.utc)),
    zone === 'UTC' ? null : h('div', { class: 'small muted nowrap' }, `${formatWallClock(first.local)} ${zone}`),
    next.length > 1 ? h('details', {},
      h('summary', { class: 'small' }, `All ${next.length}`),
      h('ol', { class: 'fire-times small' }, next.map(f => h('li', {},
        `${formatUtc(f.utc)} · ${formatWallClock(f.local)}`, f.dstTransition ? h('strong', {}, ' (clock change)') : null)))) : null);
}

async function pause(schedule, refresh, ctx) {
  const reason = field({ name: 'reason', label: 'Reason', type: 'textarea', required: true, maxlength: 500,
    hint: 'Required, shown to everyone who looks (at most 500 characters).' });
  const until = field({ name: 'until', label: 'Resume by itself at (optional, your time)', type: 'datetime-local',
    hint: 'At most 90 days ahead. Empty: paused until someone resumes it.' });
  const result = await confirmDialog({
    title: `Pause ${schedule.jobType}`,
    message: h('p', {}, `Stop ${schedule.jobType}'s scheduled runs on every node. Manual triggers still work.`),
    fields: [reason, until],
    confirmLabel: 'Pause schedule',
    action: values => post(`/api/schedules/${encodeURIComponent(schedule.jobType)}/pause`,
      values.until ? { reason: values.reason, until: localInputToIso(values.until) } : { reason: values.reason }),
  });
  if (result) {
    ctx.toast(`${schedule.jobType} is paused.`);
    refresh.now();
  }
}

async function resume(schedule, refresh, ctx) {
  const result = await confirmDialog({
    title: `Resume ${schedule.jobType}`,
    message: h('p', {}, `Paused by ${schedule.pause?.pausedBy ?? 'unknown'}: “${schedule.pause?.reason ?? 'no reason given'}”. Resume its scheduled runs?`),
    confirmLabel: 'Resume schedule',
    action: () => post(`/api/schedules/${encodeURIComponent(schedule.jobType)}/resume`),
  });
  if (result) {
    ctx.toast(`${schedule.jobType} is resumed.`);
    refresh.now();
  }
}

async function reset(schedule, refresh, ctx) {
  const c = schedule.configured;
  const result = await confirmDialog({
    title: `Reset ${schedule.jobType} to configuration`,
    message: h('p', {}, 'Remove the override and run on the configured schedule: ', h('code', {}, c.cron), ` in ${c.timeZone}${c.enabled ? '' : ' (off)'}.`),
    confirmLabel: 'Reset to configuration',
    action: () => del(`/api/schedules/${encodeURIComponent(schedule.jobType)}/override`),
  });
  if (result) {
    ctx.toast(`${schedule.jobType} runs on its configuration again.`);
    refresh.now();
  }
}

let zoneList = null;
function zoneDatalist() {
  if (!zoneList) {
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    zoneList = h('datalist', { id: uid('time-zones') }, ['UTC', ...zones.filter(z => z !== 'UTC')].map(z => h('option', { value: z })));
    document.body.append(zoneList);
  }
  return zoneList.id;
}

/** Edit cron, zone and enabled; review the change; save; then show the next fire times the service now computes. */
function edit(schedule, refresh) {
  const { body, close } = openDialog(`Edit ${schedule.jobType}'s schedule`);
  const fieldNames = { cron: 'Cron', timeZone: 'Time zone', body: 'Change' };
  const cron = field({ name: 'cron', label: 'Cron', type: 'text', value: schedule.cron, wide: true,
    hint: 'Quartz (seconds first, e.g. 0 0/15 * * * ?) or classic 5-field Unix (e.g. */15 * * * *).' });
  const zone = field({ name: 'timeZone', label: 'Time zone', type: 'text', value: schedule.timeZone, list: zoneDatalist(),
    hint: 'IANA id, e.g. Europe/Berlin or UTC; the cron is read in this zone.' });
  const enabled = field({ name: 'enabled', label: 'Runs on this schedule (off: manual runs only)', type: 'checkbox', value: schedule.enabled });
  const fields = [cron, zone, enabled];
  showForm();

  function changes() {
    const change = {};
    if (cron.value() !== schedule.cron) change.cron = cron.value();
    if (zone.value() !== schedule.timeZone) change.timeZone = zone.value();
    if (enabled.value() !== schedule.enabled) change.enabled = enabled.value();
    return change;
  }

  function showForm(error) {
    const problemSlot = h('div');
    const form = h('form', { novalidate: true },
      fields.map(f => f.element),
      problemSlot,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', onClick: close }, 'Back out'),
        h('button', { type: 'submit', class: 'button primary' }, 'Review change')));
    form.addEventListener('submit', event => {
      event.preventDefault();
      for (const f of fields) f.setError(null);
      fill(problemSlot);
      if (!Object.keys(changes()).length) {
        fill(problemSlot, h('p', { class: 'problem', role: 'alert' }, 'Nothing changed: change the cron, the time zone or whether it runs.'));
        return;
      }
      showReview();
    });
    fill(body, form);
    if (error) {
      const rest = showFieldErrors(fields, error);
      fill(problemSlot, problemView(error, { fieldNames, errors: rest }));
    } else {
      cron.input.focus();
    }
  }

  function showReview() {
    const change = changes();
    const problemSlot = h('div');
    const save = h('button', { type: 'button', class: 'button primary' }, 'Save change');
    const back = h('button', { type: 'button', class: 'button', onClick: () => showForm() }, 'Back');
    const line = (label, from, to) => h('li', {}, `${label}: `, h('code', {}, String(from)), ' → ', h('code', {}, String(to)));
    fill(body,
      h('p', {}, `Change ${schedule.jobType}'s schedule on every node? It becomes an override until reset.`),
      h('ul', { class: 'summary-list' },
        'cron' in change ? line('Cron', schedule.cron, change.cron) : null,
        'timeZone' in change ? line('Time zone', schedule.timeZone, change.timeZone) : null,
        'enabled' in change ? line('Runs', schedule.enabled ? 'yes' : 'no', change.enabled ? 'yes' : 'no') : null),
      problemSlot,
      h('div', { class: 'actions' }, back, save));
    save.focus();
    save.addEventListener('click', async () => {
      save.disabled = true;
      back.disabled = true;
      save.textContent = 'Saving…';
      try {
        await put(`/api/schedules/${encodeURIComponent(schedule.jobType)}`, change);
      } catch (error) {
        if (error instanceof ProblemError && error.status === 400) {
          showForm(error);
          return;
        }
        fill(problemSlot, problemView(error, { fieldNames }));
        save.disabled = false;
        back.disabled = false;
        save.textContent = 'Save change';
        back.focus();
        return;
      }
      refresh.now();
      let saved = null;
      try {
        saved = await get(`/api/schedules/${encodeURIComponent(schedule.jobType)}`);
      } catch {
        // The change is saved; the preview is a courtesy.
      }
      showSaved(saved);
    });
  }

  function showSaved(saved) {
    const done = h('button', { type: 'button', class: 'button primary', onClick: close }, 'Done');
    fill(body,
      h('div', { class: 'success', role: 'status' },
        h('strong', {}, 'Saved.'),
        saved ? h('p', {}, `${schedule.jobType} now runs on `, h('code', {}, saved.cron), ` in ${saved.timeZone}${saved.runs ? '' : ' (not running on a schedule)'}.`) : null),
      saved && saved.nextFireTimes.length
        ? [h('h3', {}, 'Next fire times'),
          h('ol', { class: 'fire-times' }, saved.nextFireTimes.map(f => h('li', {},
            `${formatUtc(f.utc)} · ${formatWallClock(f.local)} ${saved.timeZone}`, f.dstTransition ? h('strong', {}, ' (clock change)') : null)))]
        : h('p', { class: 'muted' }, 'No upcoming fire times.'),
      h('div', { class: 'actions' }, done));
    done.focus();
  }
}
