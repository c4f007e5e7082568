// Time-series charts over uPlot (vendor/uPlot.iife.min.js, the global `uPlot`). uPlot draws on a canvas and sets its
// elements' sizes through the CSSOM, which the page's Content-Security-Policy (style-src 'self') allows; its
// stylesheet is vendor/uPlot.min.css. Each chart follows its container's width and is destroyed with the view.
import { h } from './dom.js';

export const StatusColours = { completed: '#2e8540', failed: '#c5221f', cancelled: '#b26a00', skipped: '#7b8591' };

const IntegerSteps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** A bar series of counts (drawn from zero), for stacks and totals. */
export function barSeries(label, colour, extra = {}) {
  return {
    // No outline: an empty bucket draws nothing rather than a hairline at zero.
    label, stroke: colour, fill: `${colour}cc`, width: 0, points: { show: false },
    paths: globalThis.uPlot.paths.bars({ size: [0.8, 48], align: 0 }),
    ...extra,
  };
}

/** A line series with its points shown (a bucket with one run is a visible dot); gaps where a value is null. */
export function lineSeries(label, colour, extra = {}) {
  return { label, stroke: colour, width: 2, points: { show: true, size: 6, fill: colour }, spanGaps: false, ...extra };
}

/** An axis of whole numbers (run counts). */
export function countAxis(label, scale = 'y') {
  return { scale, label, incrs: IntegerSteps, values: (_u, splits) => splits.map(v => String(v)), size: 50 };
}

/** A y scale from zero to at least `minimum`. */
export function fromZero(minimum = 1) {
  return { range: (_u, _min, max) => [0, Math.max(minimum, max ?? 0)] };
}

/**
 * A chart in a <figure>: { element, destroy() }. `times` are bucket starts (Date or ISO text), `series` the uPlot
 * series after x, `data` one array per series. The uPlot instance is on element.chart for anyone who reads it.
 */
export function timeChart({ label, caption, times, series, data, axes, scales, height = 220 }) {
  const plot = h('div', { class: 'chart-plot' });
  const element = h('figure', { class: 'chart', 'aria-label': label }, plot, caption ? h('figcaption', { class: 'small muted' }, caption) : null);
  const xs = times.map(t => Math.floor(new Date(t).getTime() / 1000));
  // Half a bucket of room at each end, so the first and last buckets' bars are drawn whole.
  const half = xs.length > 1 ? (xs[1] - xs[0]) / 2 : 30;
  const x = { time: true, range: () => (xs.length ? [xs[0] - half, xs.at(-1) + half] : [0, 60]) };
  let chart = null;
  let observer = null;

  function draw() {
    const width = Math.max(280, Math.floor(plot.clientWidth));
    if (chart) {
      chart.setSize({ width, height });
      return;
    }
    chart = new globalThis.uPlot({
      width, height,
      scales: { x, ...scales },
      axes: [{}, ...axes],
      series: [{ label: 'Time' }, ...series],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }, [xs, ...data], plot);
    element.chart = chart;
  }

  // Drawn once the figure is in the page and has a width; redrawn at the new width when the layout changes (on the
  // next frame, so that drawing never resizes what the observer is still reporting on).
  let drawnWidth = 0;
  observer = new ResizeObserver(entries => {
    const width = Math.floor(entries.at(-1).contentRect.width);
    if (width > 0 && width !== drawnWidth) {
      drawnWidth = width;
      requestAnimationFrame(() => {
        if (observer) draw();
      });
    }
  });
  observer.observe(plot);
  return {
    element,
    destroy() {
      observer?.disconnect();
      observer = null;
      chart?.destroy();
      chart = null;
    },
  };
}
