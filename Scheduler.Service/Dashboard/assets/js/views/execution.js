// One execution: what it is, its progress and estimated completion, its outcome (result, error), its log as it is
// written, and for admins Cancel (scheduled, pending or running) and Retry (failed or cancelled), each confirmed first.
// Over 300 lines on purpose: one render whose parts share the execution, the log cursor and the live subscriptions.
import { h, fill, uid } from '../dom.js';
import { get, post, ProblemError } from '../api.js';
import { onLiveEvent, onPoll } from '../live.js';
import { isFinal, statusBadge, triggerLabel } from '../status.js';
import { countdownElement, durationBetween, formatDuration, formatTime, json, parseTime, relative, shortId, timeElement } from '../format.js';
import { confirmDialog, field, problemView } from '../dialogs.js';
import { disposeAll, refresher } from '../util.js';

const LogPollMs = 2000;

export function render(main, ctx, match) {
  const id = match[1].toLowerCase();
  const admin = ctx.session.isAdmin;
  let execution = null;
  let typeStatus = null;
  let shownStatus = null;
  let logsAvailable = true;
  let logsTruncated = false;
  let logProblem = null;
  const logLines = new Map();

  const heading = h('h1', { tabindex: '-1' }, `Execution ${shortId(id)}`);
  const statusSlot = h('div', { 'aria-live': 'polite' });
  const actionsSlot = h('div', { class: 'actions' });
  const problemSlot = h('div');
  const factsSlot = h('div', { class: 'panel' });
  const progressSlot = h('section', { class: 'panel', 'aria-labelledby': 'progress-heading' });
  const outcomeSlot = h('section', { class: 'panel', 'aria-labelledby': 'outcome-heading' });
  const logList = h('ol', { class: 'log', role: 'log', 'aria-label': 'Run log', tabindex: '0' });
  const logNote = h('p', { class: 'small muted' });
  fill(main,
    h('p', { class: 'small' }, h('a', { href: '#/executions' }, '‹ All executions')),
    h('div', { class: 'view-header' }, heading, statusSlot, actionsSlot),
    problemSlot,
    h('div', { class: 'detail-grid' },
      h('div', {}, factsSlot),
      h('div', {}, progressSlot, outcomeSlot)),
    h('section', { class: 'panel', 'aria-labelledby': 'log-heading' },
      h('h2', { id: 'log-heading' }, 'Log'), logNote, logList));

  const refresh = refresher(async () => {
    try {
      apply(await get(`/api/jobs/${id}`));
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(problemSlot, error instanceof ProblemError && error.status === 404
        ? h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Execution not found'), h('p', {}, `No execution has id ${id}.`))
        : problemView(error));
    }
  });

  const statusRefresh = refresher(async () => {
    if (!execution) return;
    try {
      const report = await get('/api/jobs/status');
      typeStatus = report.jobs.find(j => j.name === execution.jobType) ?? null;
      renderProgress();
    } catch (error) {
      if (!(error instanceof ProblemError && error.status === 401)) console.error(error);
    }
  });

  const logRefresh = refresher(async () => {
    if (!logsAvailable) return;
    try {
      const logs = await get(`/api/jobs/${id}/logs`);
      logProblem = null;
      logsTruncated = Boolean(logs.truncated);
      for (const line of logs.lines ?? []) addLine(line);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      if (error instanceof ProblemError && error.status === 404) logsAvailable = false;
      else logProblem = error;
    }
    renderLogs();
  });

  function apply(next) {
    const wasFinal = execution ? isFinal(execution.status) : false;
    execution = { ...(execution ?? {}), ...next };
    fill(problemSlot);
    heading.textContent = `${execution.jobType} · execution ${shortId(execution.id)}`;
    document.title = `${heading.textContent} · Scheduler`;
    if (shownStatus !== execution.status) {
      shownStatus = execution.status;
      fill(statusSlot, statusBadge(execution.status, { large: true }));
      renderActions();
      if (execution.status === 'running' || !typeStatus) statusRefresh.now();
      if (isFinal(execution.status) && !wasFinal) logRefresh.now();
    }
    renderFacts();
    renderProgress();
    renderOutcome();
  }

  function renderActions() {
    if (!admin || !execution) {
      fill(actionsSlot);
      return;
    }
    const buttons = [];
    if (execution.status === 'scheduled' || execution.status === 'pending' || execution.status === 'running') {
      buttons.push(h('button', { type: 'button', class: 'button danger', onClick: cancel }, 'Cancel run'));
    }
    if (execution.status === 'failed' || execution.status === 'cancelled') {
      buttons.push(h('button', { type: 'button', class: 'button primary', onClick: retry }, 'Retry'));
    }
    fill(actionsSlot, buttons);
  }

  async function cancel() {
    const reason = field({ name: 'reason', label: 'Reason (optional, kept in the audit trail)', type: 'text', wide: true, maxlength: 500 });
    const result = await confirmDialog({
      title: `Cancel ${execution.jobType}?`,
      message: h('p', {}, execution.status === 'running'
        ? 'The run is interrupted on whichever node runs it; the call in flight is aborted and the run ends cancelled.'
        : execution.status === 'scheduled'
          ? `The run is scheduled for ${formatTime(execution.scheduledFor)}; it ends cancelled and never runs.`
          : 'The run has not started; it ends cancelled and never runs.'),
      fields: [reason],
      confirmLabel: 'Cancel the run',
      danger: true,
      action: values => post(`/api/jobs/${id}/cancel`, values.reason ? { reason: values.reason } : undefined),
    });
    if (!result) return;
    apply(result.data);
    ctx.toast(result.status === 202 ? 'Cancelling: the run stops at its next check.' : 'Cancelled before it ran.');
  }

  async function retry() {
    const reason = field({ name: 'reason', label: 'Reason (optional, kept in the audit trail)', type: 'text', wide: true, maxlength: 500 });
    const delay = field({
      name: 'delay', label: 'Run after (optional)', type: 'text', placeholder: 'PT10M',
      hint: 'Empty retries now; an ISO 8601 duration (PT30S, PT10M, PT2H) schedules the retry for later.',
    });
    const result = await confirmDialog({
      title: `Retry ${execution.jobType}?`,
      message: h('p', {}, `A new execution runs with the same parameters as attempt ${(execution.attempt ?? 1) + 1}, linked to this one.`),
      fields: [reason, delay],
      confirmLabel: 'Retry',
      action: values => {
        const body = { ...(values.reason ? { reason: values.reason } : {}), ...(values.delay ? { delay: values.delay } : {}) };
        return post(`/api/jobs/${id}/retry`, Object.keys(body).length ? body : undefined);
      },
    });
    if (!result) return;
    ctx.toast(h('span', {}, result.data.status === 'scheduled' ? 'Retry scheduled: ' : 'Retry started: ',
      h('a', { href: `#/executions/${result.data.id}` }, `execution ${shortId(result.data.id)}`)));
    ctx.navigate(`#/executions/${result.data.id}`);
  }

  function renderFacts() {
    const e = execution;
    const seconds = e.startedAt ? durationBetween(e.startedAt, e.completedAt ?? new Date()) : null;
    const link = other => h('a', { class: 'mono', href: `#/executions/${other}` }, other);
    const rows = [
      ['Execution', h('span', { class: 'mono' }, e.id)],
      ['Job type', h('a', { href: `#/executions?type=${encodeURIComponent(e.jobType)}` }, e.jobType)],
      ['Status', e.status],
      ['Trigger', triggerLabel(e)],
      e.jitterMs != null ? ['Jitter', `${e.jitterMs} ms after its occurrence`] : null,
      e.scheduledFor ? ['Scheduled for', h('span', {}, timeElement(e.scheduledFor), e.status === 'scheduled' ? countdownElement(e.scheduledFor) : null)] : null,
      ['Started by', e.startedBy ?? '—'],
      ['Created', timeElement(e.createdAt)],
      ['Started', timeElement(e.startedAt)],
      ['Finished', timeElement(e.completedAt)],
      ['Duration', seconds === null ? '—' : `${formatDuration(seconds)}${e.completedAt ? '' : ' so far'}`],
      ['Node', e.runnerId ?? '—'],
      ['Attempt', String(e.attempt ?? 1)],
      e.retryOf ? ['Retry of', link(e.retryOf)] : null,
      e.rootId && e.rootId !== e.id ? ['First attempt', link(e.rootId)] : null,
      e.cancelRequestedAt ? ['Cancel requested', h('span', {}, timeElement(e.cancelRequestedAt), ` by ${e.cancelledBy ?? 'unknown'}`)] : null,
      e.heartbeatAt && !isFinal(e.status) ? ['Last heartbeat', timeElement(e.heartbeatAt, { withRelative: true })] : null,
    ].filter(Boolean);
    fill(factsSlot,
      h('h2', {}, 'Run'),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      e.parameters && Object.keys(e.parameters).length
        ? [h('h3', {}, 'Parameters'), keyValues(e.parameters, 'Parameters')]
        : h('p', { class: 'small muted' }, 'No parameters (defaults).'));
  }

  function renderProgress() {
    if (!execution) return;
    const e = execution;
    const children = [h('h2', { id: 'progress-heading' }, 'Progress')];
    const progress = e.progress;
    if (progress && typeof progress.done === 'number') {
      const textId = uid('progress-text');
      const unit = progress.unit ?? 'items';
      const hasTotal = typeof progress.total === 'number' && progress.total > 0;
      const percent = hasTotal ? Math.min(100, Math.round((progress.done / progress.total) * 100)) : null;
      children.push(h('div', { class: 'progress-row' },
        h('progress', { 'aria-label': 'Progress', 'aria-describedby': textId, max: hasTotal ? progress.total : null, value: hasTotal ? progress.done : null }),
        h('span', { id: textId }, hasTotal ? `${progress.done} of ${progress.total} ${unit} (${percent}%)` : `${progress.done} ${unit} done`)));
    } else if (e.status === 'running') {
      children.push(h('div', { class: 'progress-row' },
        h('progress', { 'aria-label': 'Progress' }),
        h('span', { class: 'muted' }, 'Running; this job reports no progress.')));
    } else if (e.status === 'scheduled') {
      children.push(h('p', {}, h('strong', {}, 'Scheduled: '), `runs at ${formatTime(e.scheduledFor)} on whichever node is free.`,
        countdownElement(e.scheduledFor)));
    } else if (e.status === 'pending') {
      children.push(h('p', { class: 'muted' }, 'Waiting for a node to pick it up.'));
    } else {
      children.push(h('p', { class: 'muted' }, `Finished: ${e.status}.`));
    }
    if (e.status === 'running') children.push(estimate(e, typeStatus));
    fill(progressSlot, children);
  }

  function renderOutcome() {
    const e = execution;
    const children = [h('h2', { id: 'outcome-heading' }, 'Outcome')];
    if (e.error) {
      children.push(h('div', { class: 'problem' }, h('strong', {}, 'Error'), h('p', { class: 'error-text' }, e.error)));
    }
    const result = e.result;
    if (result) {
      children.push(h('dl', { class: 'facts' },
        h('dt', {}, 'Succeeded'), h('dd', {}, result.success ? 'Yes' : 'No'),
        h('dt', {}, 'Items processed'), h('dd', {}, String(result.itemsProcessed ?? 0))));
      // The run's error comes first in result.errors; it is shown above already.
      const others = (result.errors ?? []).filter(x => x !== e.error);
      if (others.length) {
        children.push(h('h3', {}, `${e.error ? 'Other errors' : 'Errors'} (${others.length})`), h('ul', {}, others.map(x => h('li', { class: 'error-text' }, x))));
      }
      if (result.details && Object.keys(result.details).length) {
        children.push(h('h3', {}, 'Details'), keyValues(result.details, 'Result details'));
      }
    } else if (!e.error) {
      children.push(h('p', { class: 'muted' }, isFinal(e.status) ? 'No result was recorded.' : 'Not finished yet.'));
    }
    fill(outcomeSlot, children);
  }

  function addLine(line) {
    logLines.set(`${line.at}|${line.level}|${line.message}`, line);
  }

  function renderLogs() {
    const atBottom = logList.scrollHeight - logList.scrollTop - logList.clientHeight < 24;
    const lines = [...logLines.values()].sort((a, b) => String(a.at).localeCompare(String(b.at)));
    if (!logsAvailable && lines.length === 0) {
      logNote.textContent = 'This service does not keep per-run logs (GET /api/jobs/{id}/logs is not available). Search the service\'s logs for this ExecutionId instead.';
    } else if (logProblem) {
      logNote.textContent = `The log could not be read: ${logProblem.problem?.title ?? logProblem.message}`;
    } else if (lines.length === 0) {
      logNote.textContent = execution && isFinal(execution.status) ? 'Nothing was logged for this run.' : 'Nothing logged yet.';
    } else {
      logNote.textContent = logsTruncated ? 'The log reached its size limit: the lines below are the ones kept.' : '';
    }
    fill(logList, lines.map(line => h('li', {},
      h('time', { datetime: line.at }, formatTime(line.at)),
      h('span', { class: `level level-${line.level}` }, line.level),
      h('span', { class: 'message' }, line.message))));
    logList.hidden = lines.length === 0;
    if (atBottom) logList.scrollTop = logList.scrollHeight;
  }

  refresh.now();
  logRefresh.now();
  const logTimer = setInterval(() => {
    if (execution && !isFinal(execution.status)) logRefresh.now();
  }, LogPollMs);
  const tick = setInterval(() => {
    if (execution && !isFinal(execution.status)) {
      // A run still in progress is read again now and then even while live: a missed event costs seconds, not the page.
      refresh.now();
      renderFacts();
      renderProgress();
    }
  }, 5000);

  return disposeAll(
    refresh.dispose,
    statusRefresh.dispose,
    logRefresh.dispose,
    () => clearInterval(logTimer),
    () => clearInterval(tick),
    onPoll(() => {
      if (!execution || !isFinal(execution.status)) refresh.now();
    }),
    onLiveEvent(event => {
      if (event.type === 'execution' && event.data.execution?.id?.toLowerCase() === id) {
        apply(event.data.execution);
      } else if (event.type === 'log' && String(event.data.executionId).toLowerCase() === id) {
        addLine(event.data);
        renderLogs();
      }
    }));
}

function estimate(e, typeStatus) {
  const started = parseTime(e.startedAt);
  const typical = typeStatus?.typical_duration;
  let eta = typeStatus?.running?.id?.toLowerCase() === e.id.toLowerCase() ? parseTime(typeStatus.running.estimated_completion_at) : null;
  if (!eta && typical && started) eta = new Date(started.getTime() + typical.p50_seconds * 1000);
  const lines = [];
  if (eta) {
    lines.push(eta.getTime() > Date.now()
      ? h('p', {}, h('strong', {}, 'Estimated completion: '), `${formatTime(eta)} (${relative(eta)})`)
      : h('p', {}, h('strong', {}, 'Taking longer than usual: '), `runs of this type usually finish by ${formatTime(eta)}.`));
  }
  const progress = e.progress;
  if (started && progress?.done > 0 && progress.total > progress.done) {
    const elapsed = Date.now() - started.getTime();
    const byRate = new Date(started.getTime() + elapsed * (progress.total / progress.done));
    lines.push(h('p', {}, h('strong', {}, 'At the current rate: '), `${formatTime(byRate)} (${relative(byRate)})`));
  }
  if (typical) {
    lines.push(h('p', { class: 'small muted' },
      `Typical run: ${formatDuration(typical.p50_seconds)} (median of the last ${typical.samples} successful runs; 95th percentile ${formatDuration(typical.p95_seconds)}).`));
  } else if (!lines.length) {
    lines.push(h('p', { class: 'small muted' }, 'No estimate yet: this type has no successful run in the last 30 days.'));
  }
  return lines;
}

function keyValues(object, caption) {
  return h('table', { class: 'kv' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('tbody', {}, Object.entries(object).map(([k, v]) => h('tr', {},
      h('th', { scope: 'row' }, k),
      h('td', {}, v !== null && typeof v === 'object' ? h('pre', {}, json(v)) : String(v))))));
}
