// Job types: each type's state at a glance (running, last result, overdue, paused), its next run, last success,
// failures in a row and success rate over 24 hours, from /api/jobs/status, /api/jobs/types, /api/schedules and
// /api/jobs/stats; admins trigger a run from here, and
// define, edit, disable, enable and delete HTTP-call types (POST/PUT/DELETE /api/job-types).
import { h, fill, syncRows } from '../dom.js';
import { del, get, post, put, query, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { badge, statusBadge } from '../status.js';
import { formatDuration, formatTime, localInputToIso, relative, timeElement, parseTime } from '../format.js';
import { confirmDialog, field, openDialog, problemView, showFieldErrors } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

export function render(main, ctx) {
  const admin = ctx.session.isAdmin;
  const runners = h('div', { class: 'runners' });
  const problemSlot = h('div');
  const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'Loading…')));
  const columns = ['Job type', 'Status', 'Next run', 'Last success', 'Failures in a row', 'Success (24 h)', 'Typical run', admin ? 'Actions' : null].filter(Boolean);
  const define = admin
    ? h('button', { type: 'button', class: 'button primary', dataset: { focusKey: 'define-type' }, onClick: () => defineType(ctx, refresh) },
      'Define HTTP-call type')
    : null;
  fill(main,
    h('div', { class: 'view-header' }, h('h1', { tabindex: '-1' }, 'Job types'), define),
    h('p', { class: 'lead' }, admin
      ? 'Every job type, what it is doing and how its runs went. Trigger starts a run now or schedules one for later (one run of a type at a time, across the cluster).'
      : 'Every job type, what it is doing and how its runs went. You have read-only access.'),
    runners,
    problemSlot,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Job types and their status'),
        h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))),
        tbody)));

  let types = [];
  /** Each type's summary over the last 24 hours (GET /api/jobs/stats), by name. */
  let daily = new Map();
  // Bursts of events (a backfill, progress reports) fold into one reload a second at most.
  const refresh = refresher(async () => {
    try {
      const [catalog, status, schedules] = await Promise.all([ctx.catalog(), get('/api/jobs/status'), get('/api/schedules')]);
      types = catalog;
      fill(problemSlot);
      renderRunners(runners, status.runners ?? []);
      const byName = new Map(status.jobs.map(j => [j.name, j]));
      // Each type's configured (default) schedule; named ones are on the schedules view.
      const scheduleOf = new Map(schedules.filter(s => (s.name ?? 'default') === 'default').map(s => [s.jobType, s]));
      const rows = catalog.map(type => ({
        type, status: byName.get(type.name) ?? {}, schedule: scheduleOf.get(type.name) ?? null, daily: daily.get(type.name) ?? null,
      }));
      const actions = {
        trigger: type => openTrigger(ctx, type, refresh),
        edit: type => defineType(ctx, refresh, type),
        setEnabled: (type, enabled) => setEnabled(ctx, refresh, type, enabled),
        remove: type => removeType(ctx, refresh, type),
      };
      syncRows(tbody, rows, r => r.type.name,
        r => JSON.stringify([r.type, r.status, r.schedule?.paused, r.schedule?.pause, r.schedule?.runs, r.daily, Math.floor(Date.now() / 60000)]),
        r => renderRow(r, admin, actions));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, problemView(error));
    }
  }, 1000);
  // The rates move only when runs end, and a burst of ends folds into one read.
  const rates = refresher(async () => {
    const to = new Date();
    try {
      const stats = await get(`/api/jobs/stats${query({ from: new Date(to.getTime() - 24 * 3_600_000).toISOString(), to: to.toISOString(), bucket: 'day' })}`);
      daily = new Map(stats.types.map(t => [t.jobType, { total: t.total, failed: t.counts.failed, successRate: t.successRate }]));
    } catch {
      // The column shows "—" when the statistics cannot be read; the rest of the table does not depend on them.
      daily = new Map();
    }
    refresh.soon();
  }, 3000);
  refresh.now();
  rates.now();
  return disposeAll(
    refresh.dispose,
    rates.dispose,
    onPoll(refresh.now),
    onLiveEvent(event => {
      if ((event.type === 'execution' && event.data.kind !== 'progressed') || event.type === 'schedule' || event.type === 'job_type') refresh.soon();
      if (event.type === 'execution' && event.data.kind === 'finished') rates.soon();
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

function renderRow({ type, status, schedule, daily }, admin, actions) {
  const name = type.name;
  const badges = [];
  if (status.running) {
    badges.push(h('a', { href: `#/executions/${status.running.id}`, 'aria-label': `Running now: open execution of ${name}` },
      statusBadge('running')));
  }
  badges.push(lastResult(status));
  if (status.overdue) badges.push(badge('Overdue', 'warn'));
  if (status.paused || schedule?.paused) badges.push(badge('Paused', 'warn'));
  if (type.source === 'api') badges.push(badge('Defined through the API', 'info'));
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
      type.call ? h('div', { class: 'small muted' }, h('code', {}, `${type.call.method} ${type.call.path}`), ` on ${type.call.service}`) : null,
      h('a', { class: 'small', href: `#/notifications?type=${encodeURIComponent(name)}`, 'aria-label': `${name}: its notifications` }, 'Notifications')),
    h('td', {},
      h('div', { class: 'badges' }, badges),
      notes.map(n => h('div', { class: 'small muted' }, n))),
    h('td', { class: 'nowrap' }, status.next_fire_time ? timeElement(status.next_fire_time, { withRelative: true }) : h('span', { class: 'muted' }, 'Not scheduled')),
    h('td', { class: 'nowrap' }, status.last_success_at ? timeElement(status.last_success_at, { withRelative: true }) : h('span', { class: 'muted' }, 'Never')),
    h('td', { class: 'num' }, String(status.consecutive_failures ?? 0)),
    h('td', { class: 'nowrap', dataset: { successRate: daily?.successRate ?? '' } }, successCell(name, daily)),
    h('td', {}, typical
      ? h('span', {}, formatDuration(typical.p50_seconds), h('span', { class: 'relative' }, `median of ${typical.samples}`))
      : h('span', { class: 'muted' }, '—')),
    admin ? h('td', {}, h('div', { class: 'actions' },
      type.enabled
        ? h('button', {
          type: 'button', class: 'button small primary', 'aria-label': `Trigger ${name}`, dataset: { focusKey: `trigger:${name}` },
          onClick: () => actions.trigger(type),
        }, 'Trigger')
        : type.source === 'api' ? null : h('span', { class: 'small muted' }, 'Disabled in configuration'),
      type.source === 'api' ? [
        h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${name}`, dataset: { focusKey: `edit:${name}` }, onClick: () => actions.edit(type) }, 'Edit'),
        h('button', {
          type: 'button', class: 'button small', 'aria-label': `${type.enabled ? 'Disable' : 'Enable'} ${name}`,
          dataset: { focusKey: `enable:${name}` }, onClick: () => actions.setEnabled(type, !type.enabled),
        }, type.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'button small danger', 'aria-label': `Delete ${name}`, dataset: { focusKey: `delete:${name}` }, onClick: () => actions.remove(type) }, 'Delete'),
      ] : null)) : null);
}

const Services = ['CoreApi', 'Crawler', 'Discovery', 'Email', 'User'];
const Methods = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'];
const TypeFieldNames = { timeoutSeconds: 'Timeout (seconds)', itemsField: 'Items field', 'schedule.cron': 'Cron', 'schedule.timeZone': 'Time zone' };

/** Defines an HTTP-call type (POST /api/job-types), or with `type`, replaces its definition (PUT). */
async function defineType(ctx, refresh, type = null) {
  const call = type?.call;
  const scheduled = type?.defaultSchedule?.enabled;
  const fields = [
    type ? null : field({ name: 'name', label: 'Name', required: true, placeholder: 'search_reindex', hint: 'a-z, 0-9 and _, starting with a letter; at most 64.' }),
    field({ name: 'service', label: 'Service', type: 'select', value: call?.service ?? 'CoreApi', options: Services.map(v => ({ value: v, label: v })),
      hint: 'One of the configured downstream services: the call can go nowhere else.' }),
    field({ name: 'method', label: 'Method', type: 'select', value: call?.method ?? 'POST', options: Methods.map(v => ({ value: v, label: v })) }),
    field({ name: 'path', label: 'Path', required: true, wide: true, value: call?.path, placeholder: '/v1/admin/search/reindex',
      hint: 'A path on the service, starting with /: no scheme, no host.' }),
    field({ name: 'body', label: 'JSON body', type: 'textarea', value: call?.body ? JSON.stringify(call.body) : '', placeholder: '{"scope": "all"}',
      hint: 'Optional: a JSON object or array sent with the call (not with GET or DELETE).' }),
    field({ name: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number', min: 1, max: 86400, value: type ? String(type.timeoutSeconds) : '600' }),
    field({ name: 'retries', label: 'Retries', type: 'number', min: 0, max: 10, value: type ? String(type.retry.attempts) : '2' }),
    field({ name: 'recoverable', label: 'Run again on another node if its node is lost', type: 'checkbox', value: type ? type.recoverable : true }),
    field({ name: 'description', label: 'Description', type: 'textarea', maxlength: 500, value: type?.description ?? '' }),
    field({ name: 'cron', apiName: 'schedule.cron', label: 'Cron', value: scheduled ? type.defaultSchedule.cron : '', placeholder: '0 3 * * *',
      hint: 'Optional: its default schedule, Quartz or 5-field cron. Empty: it runs only when triggered.' }),
    field({ name: 'timeZone', apiName: 'schedule.timeZone', label: 'Time zone', value: scheduled ? type.defaultSchedule.timeZone : 'UTC' }),
  ].filter(Boolean);
  const saved = await confirmDialog({
    title: type ? `Edit ${type.name}` : 'Define an HTTP-call type',
    message: h('p', {}, type
      ? 'The next run makes the call as changed here. Every node uses the new definition within seconds.'
      : 'A job type that makes one HTTP call to a configured service. Every node can run it within seconds.'),
    fields,
    confirmLabel: type ? 'Save' : 'Define',
    fieldNames: TypeFieldNames,
    action: async values => {
      const body = {
        service: values.service, method: values.method, path: values.path,
        timeoutSeconds: values.timeoutSeconds === '' ? undefined : Number(values.timeoutSeconds),
        retries: values.retries === '' ? undefined : Number(values.retries),
        recoverable: values.recoverable,
        description: values.description || undefined,
        schedule: values.cron ? { cron: values.cron, timeZone: values.timeZone || 'UTC' } : undefined,
      };
      if (values.body) {
        try {
          body.body = JSON.parse(values.body);
        } catch {
          throw new ProblemError(400, { title: 'The JSON body is not JSON', errors: { body: ['Not valid JSON.'] } });
        }
      }
      if (type) return (await put(`/api/job-types/${encodeURIComponent(type.name)}`, body)).data;
      return (await post('/api/job-types', { name: values.name, ...body })).data;
    },
  });
  if (saved) {
    ctx.forgetCatalog();
    refresh.soon();
    ctx.toast(`${saved.name} ${type ? 'saved' : 'defined'}.`);
  }
}

async function setEnabled(ctx, refresh, type, enabled) {
  const done = await confirmDialog({
    title: `${enabled ? 'Enable' : 'Disable'} ${type.name}`,
    message: h('p', {}, enabled
      ? 'It accepts triggers again, and its schedule (if it has one) runs again.'
      : 'Its schedule stops and triggers are refused until it is enabled again. A run already going on finishes.'),
    confirmLabel: enabled ? 'Enable' : 'Disable',
    action: async () => (await post(`/api/job-types/${encodeURIComponent(type.name)}/${enabled ? 'enable' : 'disable'}`)).data,
  });
  if (done) {
    ctx.forgetCatalog();
    refresh.soon();
  }
}

async function removeType(ctx, refresh, type) {
  const done = await confirmDialog({
    title: `Delete ${type.name}`,
    message: h('p', {}, 'The type, its schedule and its triggers are deleted on every node. Its executions stay in the history.'),
    confirmLabel: 'Delete',
    danger: true,
    action: async () => {
      await del(`/api/job-types/${encodeURIComponent(type.name)}`);
      return true;
    },
  });
  if (done) {
    ctx.forgetCatalog();
    refresh.soon();
  }
}

/** "75 %" over "3 of 4 runs", linked to the type's statistics; "—" when no run completed or failed in 24 hours. */
function successCell(name, daily) {
  if (!daily || daily.successRate === null || daily.successRate === undefined) return h('span', { class: 'muted' }, '—');
  const rate = `${Number((daily.successRate * 100).toFixed(1))} %`;
  return h('a', { href: `#/stats?${new URLSearchParams({ type: name, range: '24h' })}`, 'aria-label': `${name}: ${rate} success over 24 hours, its statistics` },
    h('span', { class: daily.failed > 0 ? 'rate rate-bad' : 'rate' }, rate),
    h('span', { class: 'relative' }, `${daily.total} ${daily.total === 1 ? 'run' : 'runs'}, ${daily.failed} failed`));
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** The trigger form (from the type's parameters, and when: now or later), a confirmation step, then the outcome. */
function openTrigger(ctx, type, refresh) {
  const { body, close } = openDialog(`Trigger ${type.name}`);
  const fields = type.parameters.map(p => p.type === 'array'
    ? field({
      name: p.name, apiName: `parameters.${p.name}`, label: p.name, type: 'text', placeholder: p.choices.join(', '),
      hint: `${p.description} Names separated by commas, from: ${p.choices.join(', ')}; empty runs all of them.`,
    })
    : field({
      name: p.name, apiName: `parameters.${p.name}`, label: p.name, type: 'number', min: p.minimum, max: p.maximum, step: 1,
      placeholder: String(p.default),
      hint: `${p.description} Whole number from ${p.minimum} to ${p.maximum}; empty uses the default, ${p.default}.`,
    }));
  const when = field({
    name: 'when', label: 'When', type: 'select', value: 'now',
    options: [{ value: 'now', label: 'Now' }, { value: 'at', label: 'Later, at a time' }, { value: 'delay', label: 'Later, after a delay' }],
  });
  const runAt = field({ name: 'runAt', label: 'Run at (your time)', type: 'datetime-local', step: 1, hint: 'In the future, at most 90 days ahead.' });
  const delay = field({
    name: 'delay', label: 'Run after', type: 'text', placeholder: 'PT30S',
    hint: 'An ISO 8601 duration: PT30S is 30 seconds, PT15M 15 minutes, P1DT6H a day and 6 hours.',
  });
  const showWhen = () => {
    runAt.element.hidden = when.value() !== 'at';
    delay.element.hidden = when.value() !== 'delay';
  };
  when.input.addEventListener('change', showWhen);
  showWhen();
  let parameters = {};
  let later = null;
  showForm();

  function showForm(error) {
    const problemSlot = h('div');
    const form = h('form', { novalidate: true },
      h('p', {}, type.description),
      fields.length ? fields.map(f => f.element) : h('p', { class: 'muted' }, 'This job type takes no parameters.'),
      when.element, runAt.element, delay.element,
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
        if (text.trim() === '') continue;
        if (p.type === 'array') {
          const names = text.split(',').map(n => n.trim()).filter(n => n !== '');
          const wrong = names.find(n => !p.choices.includes(n));
          if (wrong !== undefined || new Set(names).size !== names.length) {
            f.setError(wrong !== undefined ? `Unknown: ${wrong}. Choose from: ${p.choices.join(', ')}.` : 'Name each one once.');
            firstInvalid ??= f.input;
          } else {
            values[p.name] = names;
          }
          continue;
        }
        const number = Number(text);
        if (!Number.isInteger(number) || number < p.minimum || number > p.maximum) {
          f.setError(`Must be a whole number from ${p.minimum} to ${p.maximum}.`);
          firstInvalid ??= f.input;
        } else {
          values[p.name] = number;
        }
      }
      later = null;
      runAt.setError(null);
      delay.setError(null);
      if (when.value() === 'at') {
        const at = localInputToIso(runAt.value());
        if (!at || new Date(at).getTime() <= Date.now()) {
          runAt.setError('Choose a time in the future.');
          firstInvalid ??= runAt.input;
        } else {
          later = { runAt: at };
        }
      } else if (when.value() === 'delay') {
        if (!/^P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(delay.value()) || /^PT?$/.test(delay.value())) {
          delay.setError('Write a duration such as PT30S, PT15M or P1DT6H.');
          firstInvalid ??= delay.input;
        } else {
          later = { delay: delay.value() };
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
      const rest = showFieldErrors([...fields, runAt, delay], error);
      fill(problemSlot, problemView(error, { errors: rest }));
    } else {
      (fields[0]?.input ?? form.querySelector('[type=submit]')).focus();
    }
  }

  function showConfirm() {
    const problemSlot = h('div');
    const confirmLabel = later ? 'Schedule' : 'Trigger now';
    const confirm = h('button', { type: 'button', class: 'button primary' }, confirmLabel);
    const back = h('button', { type: 'button', class: 'button', onClick: () => showForm() }, 'Back');
    const given = Object.entries(parameters);
    fill(body,
      h('p', {}, later?.runAt ? `Schedule a run of ${type.name} for ${formatTime(later.runAt)} (${relative(later.runAt)})?`
        : later?.delay ? `Schedule a run of ${type.name} to start after ${later.delay}?`
          : `Start a run of ${type.name} now?`),
      given.length
        ? h('ul', { class: 'summary-list' }, given.map(([k, v]) => h('li', {}, h('code', {}, k), ` = ${Array.isArray(v) ? v.join(', ') : v}`)))
        : h('p', { class: 'muted' }, 'With the default parameters.'),
      h('p', { class: 'small muted' }, later
        ? 'It is recorded as scheduled now and does not hold the type until it is due; if a run of the type is still pending or running then, it is recorded skipped. Cancel it from its execution page until then.'
        : 'If a run of this type is already pending or running anywhere in the cluster, the service refuses (409).'),
      problemSlot,
      h('div', { class: 'actions' }, back, confirm));
    confirm.focus();
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      back.disabled = true;
      confirm.textContent = later ? 'Scheduling…' : 'Triggering…';
      try {
        const body = { jobType: type.name, ...(later ?? {}) };
        if (given.length) body.parameters = parameters;
        const created = (await post('/api/jobs/trigger', body)).data;
        refresh.soon();
        showDone(created);
      } catch (error) {
        if (error instanceof ProblemError && error.status === 400
          && Object.keys(error.problem.errors ?? {}).some(k => k.startsWith('parameters') || k === 'runAt' || k === 'delay')) {
          showForm(error);
          return;
        }
        fill(problemSlot, problemView(error));
        confirm.disabled = false;
        back.disabled = false;
        confirm.textContent = confirmLabel;
        back.focus();
      }
    });
  }

  function showDone(created) {
    const view = h('a', { class: 'button primary', href: `#/executions/${created.id}`, onClick: () => close() }, 'View execution');
    fill(body,
      h('div', { class: 'success', role: 'status' },
        h('strong', {}, created.status === 'scheduled' ? `${type.name} scheduled.` : `${type.name} triggered.`),
        h('p', {}, created.status === 'scheduled'
          ? `Execution ${created.id} is scheduled for ${formatTime(created.scheduledFor)} (${relative(created.scheduledFor)}).`
          : `Execution ${created.id} is ${created.status}.`)),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onClick: close }, 'Close'), view));
    view.focus();
  }
}
