// Schedules: each type's configured (default) schedule, with where it comes from (configuration or an override, with
// drift), and the named schedules created here (cron or interval, zone, parameters, jitter, misfire policy); next fire
// times in UTC and in the zone, and pauses. Admins pause (with a reason), resume, edit, reset, create and delete;
// readers see the same and change nothing.
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
  const create = admin
    ? h('button', { type: 'button', class: 'button primary', dataset: { focusKey: 'new-schedule' }, onClick: () => actions.create() }, 'New schedule')
    : null;
  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Schedules'), create),
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
      syncRows(tbody, schedules, s => `${s.jobType}/${s.name ?? 'default'}`, s => JSON.stringify(s),
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
    create: async () => editNamed(null, await ctx.catalog(), refresh, ctx),
    editNamed: async schedule => editNamed(schedule, await ctx.catalog(), refresh, ctx),
    remove: schedule => removeNamed(schedule, refresh, ctx),
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
  if (s.owner === 'api') return renderNamedRow(s, typeEnabled, admin, actions);
  const name = s.jobType;
  const next = s.nextFireTimes ?? [];
  const state = s.paused
    ? [h('div', { class: 'badges' }, badge('Paused', 'warn')),
      h('div', { class: 'small' }, `${s.pause?.reason ?? 'No reason given'}`),
      h('div', { class: 'small muted' }, `by ${s.pause?.pausedBy ?? 'unknown'}${s.pause?.since ? ` since ${formatTime(s.pause.since)}` : ''}`),
      s.pause?.until ? h('div', { class: 'small muted' }, `until ${formatTime(s.pause.until)}`) : null]
    : s.runs ? h('div', { class: 'badges' }, badge('Runs', 'ok'))
      : h('div', { class: 'badges' }, badge(typeEnabled ? 'Off (manual only)' : 'Type disabled', 'neutral'));
  return h('tr', { dataset: { jobType: name, schedule: `${name}/default` } },
    h('th', { scope: 'row', class: 'name' }, name, h('div', { class: 'small muted' }, 'default')),
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

/** A schedule created here: its name, timing, parameters, jitter and misfire policy; admins pause, resume, edit and delete it. */
function renderNamedRow(s, typeEnabled, admin, actions) {
  const key = `${s.jobType}/${s.name}`;
  const next = s.nextFireTimes ?? [];
  const state = s.paused
    ? [h('div', { class: 'badges' }, badge('Paused', 'warn')),
      h('div', { class: 'small' }, `${s.pause?.reason ?? 'No reason given'}`),
      h('div', { class: 'small muted' }, `by ${s.pause?.pausedBy ?? 'unknown'}${s.pause?.since ? ` since ${formatTime(s.pause.since)}` : ''}`)]
    : h('div', { class: 'badges' }, s.runs ? badge('Runs', 'ok') : badge(s.enabled ? 'Ended' : 'Off', 'neutral'));
  const extras = [
    s.jitter ? `jitter up to ${s.jitter}` : null,
    `misfire: ${s.misfirePolicy.replace('_', ' ')}${s.catchUpLimit ? ` (at most ${s.catchUpLimit})` : ''}`,
  ].filter(Boolean).join(' · ');
  return h('tr', { dataset: { schedule: key } },
    h('th', { scope: 'row', class: 'name' }, s.jobType, h('div', { class: 'small' }, s.name)),
    h('td', {},
      s.kind === 'interval' ? h('span', {}, 'every ', h('code', {}, s.interval)) : h('code', {}, s.cron),
      h('div', { class: 'small muted' }, s.timeZone),
      s.parameters ? h('div', { class: 'small' }, h('code', {}, JSON.stringify(s.parameters))) : null,
      h('div', { class: 'small muted' }, extras)),
    h('td', {},
      h('div', { class: 'badges' }, badge('API', 'info')),
      s.description ? h('div', { class: 'small' }, s.description) : null,
      s.override ? h('div', { class: 'small muted' }, `by ${s.override.changedBy}, ${formatTime(s.override.changedAt)}`) : null),
    h('td', {}, state),
    h('td', {}, next.length === 0 ? h('span', { class: 'muted' }, 'None') : fireTimes(next, s.timeZone)),
    h('td', { class: 'nowrap' }, s.previousFireTime ? timeElement(s.previousFireTime) : h('span', { class: 'muted' }, '—')),
    admin ? h('td', {}, h('div', { class: 'actions' },
      s.paused
        ? h('button', { type: 'button', class: 'button small', 'aria-label': `Resume ${key}`, dataset: { focusKey: `resume:${key}` }, onClick: () => actions.resume(s) }, 'Resume')
        : s.runs ? h('button', { type: 'button', class: 'button small', 'aria-label': `Pause ${key}`, dataset: { focusKey: `pause:${key}` }, onClick: () => actions.pause(s) }, 'Pause') : null,
      typeEnabled
        ? h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${key}`, dataset: { focusKey: `edit:${key}` }, onClick: () => actions.editNamed(s) }, 'Edit')
        : h('span', { class: 'small muted' }, 'Disabled in configuration'),
      h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${key}`, dataset: { focusKey: `delete:${key}` }, onClick: () => actions.remove(s) }, 'Delete'))) : null);
}

/** The route of a schedule's own actions: /api/schedules/{jobType} for the default, /{jobType}/{name} for a named one. */
function path(schedule) {
  const base = `/api/schedules/${encodeURIComponent(schedule.jobType)}`;
  return schedule.owner === 'api' ? `${base}/${encodeURIComponent(schedule.name)}` : base;
}

/** What the dialogs call a schedule. */
function label(schedule) {
  return schedule.owner === 'api' ? `${schedule.jobType}/${schedule.name}` : schedule.jobType;
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
  const named = schedule.owner === 'api';
  const reason = field({ name: 'reason', label: 'Reason', type: 'textarea', required: true, maxlength: 500,
    hint: 'Required, shown to everyone who looks (at most 500 characters).' });
  // A named schedule's pause lasts until it is resumed.
  const until = named ? null : field({ name: 'until', label: 'Resume by itself at (optional, your time)', type: 'datetime-local',
    hint: 'At most 90 days ahead. Empty: paused until someone resumes it.' });
  const result = await confirmDialog({
    title: `Pause ${label(schedule)}`,
    message: h('p', {}, `Stop ${label(schedule)}'s scheduled runs on every node. Manual triggers still work.`),
    fields: [reason, until].filter(Boolean),
    confirmLabel: 'Pause schedule',
    action: values => post(`${path(schedule)}/pause`,
      values.until ? { reason: values.reason, until: localInputToIso(values.until) } : { reason: values.reason }),
  });
  if (result) {
    ctx.toast(`${label(schedule)} is paused.`);
    refresh.now();
  }
}

async function resume(schedule, refresh, ctx) {
  const result = await confirmDialog({
    title: `Resume ${label(schedule)}`,
    message: h('p', {}, `Paused by ${schedule.pause?.pausedBy ?? 'unknown'}: “${schedule.pause?.reason ?? 'no reason given'}”. Resume its scheduled runs?`),
    confirmLabel: 'Resume schedule',
    action: () => post(`${path(schedule)}/resume`),
  });
  if (result) {
    ctx.toast(`${label(schedule)} is resumed.`);
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

async function removeNamed(schedule, refresh, ctx) {
  const result = await confirmDialog({
    title: `Delete ${label(schedule)}`,
    message: h('p', {}, `Delete the schedule ${label(schedule)} on every node? Its runs stay in the history.`),
    confirmLabel: 'Delete schedule',
    danger: true,
    action: async () => {
      await del(path(schedule));
      return true;
    },
  });
  if (result) {
    ctx.toast(`${label(schedule)} is deleted.`);
    refresh.now();
  }
}

/** An ISO instant from a datetime-local value, or undefined when empty. */
function instant(value) {
  return value ? localInputToIso(value) : undefined;
}

/** A datetime-local value (the browser's time) for an ISO instant. */
function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * Create (schedule null) or replace a named schedule: cron or interval, zone, start and end, parameters, jitter and
 * misfire policy, with the next fire times the service computes for it shown as it is typed.
 */
function editNamed(schedule, catalog, refresh, ctx) {
  const creating = schedule === null;
  const { body, close } = openDialog(creating ? 'New schedule' : `Edit ${label(schedule)}`);
  const types = catalog.filter(t => t.enabled !== false);
  const fieldNames = {
    jobType: 'Job type', name: 'Name', cron: 'Cron', interval: 'Interval', timeZone: 'Time zone', startAt: 'Start', endAt: 'End',
    jitter: 'Jitter', misfirePolicy: 'Misfire policy', catchUpLimit: 'Catch-up limit', description: 'Description',
  };
  const jobType = creating ? field({ name: 'jobType', label: 'Job type', type: 'select', required: true,
    options: types.map(t => ({ value: t.name, label: t.name })) }) : null;
  const name = creating ? field({ name: 'name', label: 'Name', type: 'text', required: true, maxlength: 64,
    hint: 'Unique within the type: a-z, 0-9, - and _, starting with a letter (e.g. nightly-full).' }) : null;
  const kind = field({ name: 'kind', label: 'Kind', type: 'select', value: schedule?.kind ?? 'interval',
    options: [{ value: 'interval', label: 'Interval' }, { value: 'cron', label: 'Cron' }] });
  const cron = field({ name: 'cron', label: 'Cron', type: 'text', value: schedule?.cron ?? '', wide: true,
    hint: 'Quartz (seconds first, e.g. 0 0/15 * * * ?) or classic 5-field Unix (e.g. */15 * * * *).' });
  const interval = field({ name: 'interval', label: 'Interval', type: 'text', value: schedule?.interval ?? '',
    placeholder: 'PT15M', hint: 'ISO 8601 duration: PT30S, PT15M, PT1H, P1D.' });
  const zone = field({ name: 'timeZone', label: 'Time zone', type: 'text', value: schedule?.timeZone ?? 'UTC', list: zoneDatalist(),
    hint: 'IANA id, e.g. Europe/Berlin or UTC; a cron is read in this zone.' });
  const startAt = field({ name: 'startAt', label: 'Start (optional, your time)', type: 'datetime-local', value: localInput(schedule?.startAt),
    hint: 'No run before; an interval counts from here (empty: one interval from now).' });
  const endAt = field({ name: 'endAt', label: 'End (optional, your time)', type: 'datetime-local', value: localInput(schedule?.endAt) });
  const parameters = field({ name: 'parameters', label: 'Parameters (JSON, optional)', type: 'textarea',
    value: schedule?.parameters ? JSON.stringify(schedule.parameters) : '', placeholder: '{"batchSize": 50}',
    hint: 'What every run of this schedule gets, as a manual trigger takes them.' });
  const jitter = field({ name: 'jitter', label: 'Jitter (optional)', type: 'text', value: schedule?.jitter ?? '', placeholder: 'PT30S',
    hint: 'Each run starts after a random delay up to this ISO 8601 duration.' });
  const misfire = field({ name: 'misfirePolicy', label: 'Misfire policy', type: 'select', value: schedule?.misfirePolicy ?? 'fire_once',
    options: [
      { value: 'fire_once', label: 'Run once now for all missed' },
      { value: 'skip', label: 'Skip to the next occurrence' },
      { value: 'catch_up', label: 'Run every missed one (up to a limit)' },
    ] });
  const catchUp = field({ name: 'catchUpLimit', label: 'Catch-up limit', type: 'number', min: 1, value: schedule?.catchUpLimit ?? 10 });
  const enabled = field({ name: 'enabled', label: 'Enabled', type: 'checkbox', value: schedule?.enabled ?? true });
  const description = field({ name: 'description', label: 'Description (optional)', type: 'textarea', maxlength: 500, value: schedule?.description ?? '' });
  const fields = [jobType, name, kind, cron, interval, zone, startAt, endAt, parameters, jitter, misfire, catchUp, enabled, description].filter(Boolean);

  const previewList = h('ol', { class: 'fire-times', 'aria-live': 'polite' });
  const previewNote = h('p', { class: 'small muted' });
  const problemSlot = h('div');
  const save = h('button', { type: 'submit', class: 'button primary' }, 'Save schedule');
  const form = h('form', { novalidate: true },
    fields.map(f => f.element),
    h('section', { 'aria-label': 'Next fire times' }, h('h3', {}, 'Next fire times'), previewNote, previewList),
    problemSlot,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onClick: close }, 'Back out'), save));
  fill(body, form);

  function showKind() {
    cron.element.hidden = kind.value() !== 'cron';
    interval.element.hidden = kind.value() !== 'interval';
    catchUp.element.hidden = misfire.value() !== 'catch_up';
  }

  function timing() {
    const t = kind.value() === 'cron' ? { cron: cron.value() } : { interval: interval.value() };
    t.timeZone = zone.value() || 'UTC';
    const start = instant(startAt.value());
    const end = instant(endAt.value());
    if (start) t.startAt = start;
    if (end) t.endAt = end;
    return t;
  }

  let previewTimer = null;
  let previewSeq = 0;
  async function preview() {
    const seq = ++previewSeq;
    const t = timing();
    if (!t.cron && !t.interval) {
      fill(previewList);
      previewNote.textContent = 'Give a cron expression or an interval to see when it fires.';
      return;
    }
    try {
      const answer = (await post('/api/schedules/preview', { ...t, count: 5 })).data;
      if (seq !== previewSeq) return;
      previewNote.textContent = answer.nextFireTimes.length ? '' : 'It never fires in that window.';
      fill(previewList, answer.nextFireTimes.map(f => h('li', {},
        `${formatUtc(f.utc)} · ${formatWallClock(f.local)} ${answer.timeZone}`, f.dstTransition ? h('strong', {}, ' (clock change)') : null)));
    } catch (error) {
      if (seq !== previewSeq) return;
      fill(previewList);
      const errors = error instanceof ProblemError ? Object.values(error.problem.errors ?? {}).flat() : [];
      previewNote.textContent = errors.length ? errors.join(' ') : 'No preview.';
    }
  }
  const previewSoon = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 300);
  };
  for (const f of [kind, cron, interval, zone, startAt, endAt]) {
    f.input.addEventListener('input', previewSoon);
    f.input.addEventListener('change', () => {
      showKind();
      previewSoon();
    });
  }
  misfire.input.addEventListener('change', showKind);
  showKind();
  preview();

  form.addEventListener('submit', async event => {
    event.preventDefault();
    for (const f of fields) f.setError(null);
    fill(problemSlot);
    const request = { ...timing(), misfirePolicy: misfire.value(), enabled: enabled.value() };
    if (creating) {
      request.jobType = jobType.value();
      request.name = name.value();
    }
    if (misfire.value() === 'catch_up' && catchUp.value()) request.catchUpLimit = Number(catchUp.value());
    if (jitter.value()) request.jitter = jitter.value();
    if (description.value()) request.description = description.value();
    if (parameters.value()) {
      try {
        request.parameters = JSON.parse(parameters.value());
      } catch {
        parameters.setError('Not JSON: write an object such as {"batchSize": 50}.');
        parameters.input.focus();
        return;
      }
    }
    save.disabled = true;
    save.textContent = 'Saving…';
    try {
      const saved = (creating
        ? await post('/api/schedules', request)
        : await put(path(schedule), request)).data;
      close();
      ctx.toast(`${saved.jobType}/${saved.name} is saved.`);
      refresh.now();
    } catch (error) {
      const rest = showFieldErrors(fields, error);
      // Parameter errors come as parameters.<name>: shown beside the parameters field.
      const parameterErrors = Object.entries(rest).filter(([k]) => k.startsWith('parameters.'));
      if (parameterErrors.length) {
        parameters.setError(parameterErrors.map(([k, v]) => `${k.slice('parameters.'.length)}: ${[v].flat().join(' ')}`).join(' '));
        for (const [k] of parameterErrors) delete rest[k];
      }
      fill(problemSlot, problemView(error, { fieldNames, errors: rest }));
      save.disabled = false;
      save.textContent = 'Save schedule';
    }
  });
  (jobType ?? kind).input.focus();
}
