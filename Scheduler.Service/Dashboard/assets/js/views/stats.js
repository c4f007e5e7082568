// Statistics, from GET /api/jobs/stats: the cluster's runs per minute by status over the last hour (kept fresh while
// the page is visible), and for one job type (or all of them) over 24 hours, 7 days or 30 days: runs and success rate
// over time, duration p50/p95 over time, and the failure reasons with links to the runs behind them. Every chart has
// its figures as text beside it, since a picture alone reaches no screen reader. Readers see all of it; admins can also
// retry a reason's failed runs in the range (the bulk retry dialog, with its dry run first).
import { h, fill } from '../dom.js';
import { get, query, ProblemError } from '../api.js';
import { onLiveEvent } from '../live.js';
import { formatDuration, shortId, timeElement } from '../format.js';
import { field, problemView } from '../dialogs.js';
import { FinalStatuses, statusLabel } from '../status.js';
import { barSeries, countAxis, fromZero, lineSeries, StatusColours, timeChart } from '../charts.js';
import { disposeAll, refresher } from '../util.js';
import { retryFailedDialog } from './bulk.js';

const Ranges = [
  { value: '24h', label: 'Last 24 hours', short: '24 h', hours: 24 },
  { value: '7d', label: 'Last 7 days', short: '7 days', hours: 24 * 7 },
  { value: '30d', label: 'Last 30 days', short: '30 days', hours: 24 * 30 },
];
const ClusterMinutes = 60;
const ClusterRefreshMs = 30_000;
/** Runs that end arrive as live events; a burst of them folds into one reload. */
const LiveDebounceMs = 3000;
const FieldNames = { type: 'Job type', from: 'From', to: 'To', bucket: 'Bucket' };

export function render(main, ctx, _match, params) {
  let state = {
    type: params.get('type') ?? '',
    range: Ranges.some(r => r.value === params.get('range')) ? params.get('range') : Ranges[0].value,
  };
  const charts = { cluster: [], type: [] };

  const typePicker = field({ name: 'type', label: 'Job type', type: 'select', value: state.type,
    options: [{ value: '', label: 'All types' }, ...(state.type ? [{ value: state.type, label: state.type }] : [])] });
  const rangePicker = field({ name: 'range', label: 'Range', type: 'select', value: state.range,
    options: Ranges.map(r => ({ value: r.value, label: r.label })) });
  ctx.catalog().then(types => {
    const names = [...new Set([...types.map(t => t.name), ...(state.type ? [state.type] : [])])].sort();
    fill(typePicker.input, [{ value: '', label: 'All types' }, ...names.map(n => ({ value: n, label: n }))]
      .map(o => h('option', { value: o.value, selected: o.value === state.type }, o.label)));
  }).catch(() => {});
  for (const picker of [typePicker, rangePicker]) {
    picker.input.addEventListener('change', () => {
      state = { type: typePicker.value(), range: rangePicker.value() };
      ctx.setParams('/stats', state);
      perType.now();
    });
  }

  const cluster = {
    problem: h('div'),
    summary: h('p', { class: 'stats-summary', role: 'status', dataset: { summary: 'cluster' } }, 'Loading…'),
    chart: h('div', { class: 'chart-slot' }),
    updated: h('p', { class: 'small muted' }),
  };
  const typed = {
    problem: h('div'),
    heading: h('h2', {}, 'All types'),
    summary: h('p', { class: 'stats-summary', role: 'status', dataset: { summary: 'type' } }, 'Loading…'),
    charts: h('div', { class: 'chart-grid' }),
    reasons: h('div'),
    table: h('div'),
  };

  fill(main,
    h('div', { class: 'view-header' },
      h('h1', { tabindex: '-1' }, 'Statistics'),
      h('button', { type: 'button', class: 'button', onClick: () => { clusterRefresh.now(); perType.now(); } }, 'Refresh')),
    h('p', { class: 'lead' }, 'How runs ended: counts, success rate (completed out of completed and failed), durations and the reasons runs failed. Runs count when they end.'),
    h('section', { class: 'panel', 'aria-labelledby': 'stats-cluster' },
      h('h2', { id: 'stats-cluster' }, 'Cluster: runs per minute, last hour'),
      cluster.problem, cluster.summary, cluster.chart, cluster.updated),
    h('section', { class: 'panel', 'aria-labelledby': 'stats-type' },
      h('form', { class: 'filters', role: 'search', 'aria-label': 'Statistics for', onSubmit: event => event.preventDefault() },
        typePicker.element, rangePicker.element),
      h('div', { id: 'stats-type' }, typed.heading),
      typed.problem, typed.summary, typed.charts,
      h('h3', {}, 'Failure reasons'),
      typed.reasons),
    h('section', { class: 'panel', 'aria-labelledby': 'stats-types' },
      h('h2', { id: 'stats-types' }, 'Every job type'),
      typed.table));

  const clusterRefresh = refresher(async () => {
    const now = new Date();
    const to = now.toISOString();
    // Whole minutes: the first bucket is a full one, only the current minute is partial.
    const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (ClusterMinutes - 1) * 60_000).toISOString();
    let stats;
    try {
      stats = await get(`/api/jobs/stats${query({ from, to, bucket: 'minute' })}`);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(cluster.problem, problemView(error, { fieldNames: FieldNames }));
      return;
    }
    fill(cluster.problem);
    cluster.summary.textContent = `Last hour: ${summaryText(stats.overall)}`;
    replaceCharts('cluster', cluster.chart, [statusChart(stats.overall.series)]);
    fill(cluster.updated, 'Updated ', timeElement(stats.generatedAt), `; every ${ClusterRefreshMs / 1000} s while this page is open.`);
  }, LiveDebounceMs);

  const perType = refresher(async () => {
    const range = Ranges.find(r => r.value === state.range);
    const to = new Date();
    const from = new Date(to.getTime() - range.hours * 3_600_000);
    const span = { from: from.toISOString(), to: to.toISOString() };
    const type = state.type;
    let all;
    let one;
    try {
      [all, one] = await Promise.all([
        get(`/api/jobs/stats${query(span)}`),
        type ? get(`/api/jobs/stats${query({ ...span, type })}`) : null,
      ]);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 401) return;
      fill(typed.problem, problemView(error, { fieldNames: FieldNames }));
      return;
    }
    // A later choice may have replaced this one while it loaded: that load draws instead.
    if (type !== state.type || range.value !== state.range) return;
    fill(typed.problem);
    const summary = type ? one.types.find(t => t.jobType === type) ?? emptySummary(one.overall) : all.overall;
    typed.heading.textContent = `${type || 'All types'}, ${range.label.toLowerCase()}`;
    typed.summary.textContent = summaryText(summary);
    replaceCharts('type', typed.charts, [runsChart(summary.series, all.bucket), durationChart(summary.series)]);
    // The dialog's fields hold whole minutes, so it ends its range a minute from now (its default), not at `span.to`:
    // runs that failed in the minute the statistics were read stay in; the dry run lists what it takes first.
    const retry = ctx.session.isAdmin
      ? reason => retryFailedDialog(ctx, { type, from: span.from, reason }).then(() => perType.now())
      : null;
    fill(typed.reasons, reasonsTable(summary.failureReasons, type, retry));
    fill(typed.table, typesTable(all.types, range));
  }, LiveDebounceMs);

  function replaceCharts(key, slot, made) {
    for (const chart of charts[key]) chart.destroy();
    charts[key] = made;
    fill(slot, made.map(c => c.element));
  }

  clusterRefresh.now();
  perType.now();
  const timer = setInterval(() => {
    if (document.visibilityState !== 'hidden') clusterRefresh.now();
  }, ClusterRefreshMs);
  const onVisible = () => {
    if (document.visibilityState === 'visible') clusterRefresh.now();
  };
  document.addEventListener('visibilitychange', onVisible);
  return disposeAll(
    clusterRefresh.dispose,
    perType.dispose,
    () => clearInterval(timer),
    () => document.removeEventListener('visibilitychange', onVisible),
    () => [...charts.cluster, ...charts.type].forEach(c => c.destroy()),
    onLiveEvent(event => {
      if (event.type === 'execution' && event.data.kind === 'finished') {
        clusterRefresh.soon();
        perType.soon();
      }
    }));
}

/** "4 runs ended: 3 completed, 1 failed, 0 cancelled, 0 skipped. 75 % success. Duration p50 1.2 s, p95 2.0 s, max 2.1 s." */
export function summaryText(summary) {
  const counts = FinalStatuses.map(s => `${summary.counts[s] ?? 0} ${statusLabel(s).toLowerCase()}`).join(', ');
  const total = summary.total === 1 ? '1 run ended' : `${summary.total} runs ended`;
  const rate = summary.successRate === null || summary.successRate === undefined
    ? 'No success rate (no run completed or failed).'
    : `${percent(summary.successRate)} success.`;
  const d = summary.duration ?? {};
  const duration = d.p50Ms === null || d.p50Ms === undefined
    ? ''
    : ` Duration p50 ${ms(d.p50Ms)}, p95 ${ms(d.p95Ms)}, max ${ms(d.maxMs)}.`;
  return `${total}: ${counts}. ${rate}${duration}`;
}

function percent(rate) {
  return `${Number((rate * 100).toFixed(1))} %`;
}

function ms(value) {
  return value === null || value === undefined ? '—' : formatDuration(value / 1000);
}

/** A type with no run in the range: nothing counted, every bucket of the range empty. */
function emptySummary(overall) {
  return {
    counts: { completed: 0, failed: 0, cancelled: 0, skipped: 0 }, total: 0, successRate: null,
    duration: { p50Ms: null, p95Ms: null, maxMs: null },
    series: overall.series.map(b => ({ start: b.start, counts: { completed: 0, failed: 0, cancelled: 0, skipped: 0 }, successRate: null, p50Ms: null, p95Ms: null })),
    failureReasons: [],
  };
}

/**
 * Runs per bucket by status, stacked: each status's bar is drawn from zero to the sum of it and the statuses below it,
 * tallest first, so what shows of each is its own count; the legend shows the count itself.
 */
function statusChart(series) {
  const raw = FinalStatuses.map(s => series.map(b => b.counts[s] ?? 0));
  const stacked = raw.map((_, i) => series.map((__, j) => raw.slice(0, i + 1).reduce((sum, counts) => sum + counts[j], 0)));
  const order = FinalStatuses.map((_, i) => i).reverse();
  return timeChart({
    label: 'Runs per minute by status, last hour',
    caption: 'Runs that ended in each minute, stacked by status.',
    times: series.map(b => b.start),
    series: order.map(i => barSeries(statusLabel(FinalStatuses[i]), StatusColours[FinalStatuses[i]], {
      value: (_u, _v, _s, index) => (index === null || index === undefined ? '—' : String(raw[i][index])),
    })),
    data: order.map(i => stacked[i]),
    axes: [countAxis('Runs')],
    scales: { y: fromZero() },
  });
}

/** Runs that ended per bucket (bars, left axis) and the success rate (line, right axis, 0–100 %). */
function runsChart(series, bucket) {
  return timeChart({
    label: 'Runs and success rate over time',
    caption: `Runs that ended per ${bucket} (bars) and the success rate among them (line; no point where none completed or failed).`,
    times: series.map(b => b.start),
    series: [
      barSeries('Runs', '#5b7fb5', { scale: 'runs' }),
      lineSeries('Success rate', StatusColours.completed, { scale: '%', value: (_u, v) => (v === null || v === undefined ? '—' : `${Number(v.toFixed(1))} %`) }),
    ],
    data: [
      series.map(b => Object.values(b.counts).reduce((sum, n) => sum + n, 0)),
      series.map(b => (b.successRate === null || b.successRate === undefined ? null : b.successRate * 100)),
    ],
    axes: [
      countAxis('Runs', 'runs'),
      { scale: '%', side: 1, label: 'Success rate', values: (_u, splits) => splits.map(v => `${v} %`), grid: { show: false }, size: 56 },
    ],
    scales: { runs: fromZero(), '%': { range: [0, 100] } },
  });
}

/** The median and 95th percentile of the durations of runs that completed or failed, per bucket. */
function durationChart(series) {
  const seconds = key => series.map(b => (b[key] === null || b[key] === undefined ? null : b[key] / 1000));
  const format = (_u, v) => (v === null || v === undefined ? '—' : formatDuration(v));
  return timeChart({
    label: 'Duration p50 and p95 over time',
    caption: 'How long runs took: half took less than p50, 95 in 100 less than p95.',
    times: series.map(b => b.start),
    series: [
      lineSeries('p50', '#0b57d0', { value: format }),
      lineSeries('p95', '#8e44ad', { value: format }),
    ],
    data: [seconds('p50Ms'), seconds('p95Ms')],
    axes: [{ label: 'Duration', values: (_u, splits) => splits.map(v => formatDuration(v)), size: 70 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(0.001, max ?? 0) * 1.1] } },
  });
}

/** The runs list filtered to the failed runs of `type` (or any type) with this normalised reason. */
export function reasonHref(reason, type) {
  const search = new URLSearchParams({ ...(type ? { type } : {}), status: 'failed', reason });
  return `#/executions?${search}`;
}

/** The failure reasons; `retry` (admins only) opens the bulk retry of one reason's runs. */
function reasonsTable(reasons, type, retry) {
  if (reasons.length === 0) return h('p', { class: 'muted' }, 'No run failed in this range.');
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'reasons' },
      h('caption', { class: 'visually-hidden' }, 'Failure reasons, most frequent first'),
      h('thead', {}, h('tr', {}, ['Reason', 'Runs', 'First seen', 'Last seen', 'Example run', ...(retry ? ['Retry'] : [])]
        .map(c => h('th', { scope: 'col', class: c === 'Runs' ? 'num' : null }, c)))),
      h('tbody', {}, reasons.map(r => h('tr', { dataset: { reason: r.reason } },
        h('td', {}, h('a', { href: reasonHref(r.reason, type), 'aria-label': `${r.reason}: the ${r.count} failed ${r.count === 1 ? 'run' : 'runs'}` }, r.reason)),
        h('td', { class: 'num' }, String(r.count)),
        h('td', { class: 'nowrap' }, timeElement(r.firstSeen)),
        h('td', { class: 'nowrap' }, timeElement(r.lastSeen)),
        h('td', {}, h('a', { class: 'mono', href: `#/executions/${r.exampleId}`, 'aria-label': `Example failed run ${shortId(r.exampleId)}` }, shortId(r.exampleId))),
        retry ? h('td', {}, h('button', { type: 'button', class: 'button small', 'aria-label': `Retry the failed runs: ${r.reason}`, onClick: () => retry(r.reason) }, 'Retry…')) : null)))));
}

/** One line per type that has runs in the range: the same figures as the charts, as text. */
function typesTable(types, range) {
  if (types.length === 0) return h('p', { class: 'muted' }, `No run ended in the ${range.label.toLowerCase()}.`);
  const columns = ['Job type', 'Runs', 'Completed', 'Failed', 'Cancelled', 'Skipped', 'Success', 'p50', 'p95', 'Max'];
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, `${range.label}, per job type`),
      h('thead', {}, h('tr', {}, columns.map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)))),
      h('tbody', {}, types.map(t => h('tr', { dataset: { jobType: t.jobType } },
        h('th', { scope: 'row' }, h('a', { href: `#/stats?${new URLSearchParams({ type: t.jobType, range: range.value })}` }, t.jobType)),
        h('td', { class: 'num' }, String(t.total)),
        FinalStatuses.map(s => h('td', { class: 'num' }, String(t.counts[s] ?? 0))),
        h('td', { class: 'num' }, t.successRate === null || t.successRate === undefined ? '—' : percent(t.successRate)),
        h('td', { class: 'num nowrap' }, ms(t.duration?.p50Ms)),
        h('td', { class: 'num nowrap' }, ms(t.duration?.p95Ms)),
        h('td', { class: 'num nowrap' }, ms(t.duration?.maxMs)))))));
}
