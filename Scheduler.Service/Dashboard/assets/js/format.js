// Dates, durations and numbers for people. Times show in the browser's zone; the UTC instant is in each <time>'s datetime.
import { h } from './dom.js';

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function parseTime(value) {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatTime(value) {
  const date = parseTime(value);
  return date ? dateTime.format(date) : '—';
}

/** "2026-11-23 09:00:00 UTC" */
export function formatUtc(value) {
  const date = parseTime(value);
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';
}

/** The wall-clock time and offset an API timestamp carries ("2026-11-23T10:00:00+01:00" → "2026-11-23 10:00:00 +01:00"). */
export function formatWallClock(value) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(value ?? '');
  if (!match) return formatTime(value);
  return `${match[1]} ${match[2]} ${match[3] === 'Z' ? '+00:00' : match[3]}`;
}

export function relative(value, now = Date.now()) {
  const date = parseTime(value);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relativeFormat.format(seconds, 'second');
  if (abs < 45 * 60) return relativeFormat.format(Math.round(seconds / 60), 'minute');
  if (abs < 36 * 3600) return relativeFormat.format(Math.round(seconds / 3600), 'hour');
  return relativeFormat.format(Math.round(seconds / 86400), 'day');
}

/** <time datetime="…">local time</time>, optionally with "in 5 minutes" below it. */
export function timeElement(value, { withRelative = false } = {}) {
  const date = parseTime(value);
  if (!date) return h('span', { class: 'muted' }, '—');
  const time = h('time', { datetime: date.toISOString(), title: formatUtc(date) }, dateTime.format(date));
  return withRelative ? h('span', {}, time, h('span', { class: 'relative' }, relative(date))) : time;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function durationBetween(from, to) {
  const start = parseTime(from);
  const end = parseTime(to);
  return start && end ? (end.getTime() - start.getTime()) / 1000 : null;
}

export function shortId(id) {
  return String(id ?? '').slice(0, 8);
}

/** A value from <input type="datetime-local"> (the browser's zone) as an ISO 8601 UTC timestamp, or ''. */
export function localInputToIso(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An ISO timestamp as the value of <input type="datetime-local"> in the browser's zone. */
export function isoToLocalInput(value) {
  const date = parseTime(value);
  if (!date) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

/** "in 2 min 5 s" until a scheduled run is due, or "due now" once it is. */
export function countdownText(value, now = Date.now()) {
  const date = parseTime(value);
  if (!date) return '';
  const seconds = Math.ceil((date.getTime() - now) / 1000);
  if (seconds <= 0) return 'due now';
  return seconds < 60 ? `in ${seconds} s` : `in ${formatDuration(seconds)}`;
}

// One ticker for every countdown on the page: each element says how long until its data-due instant.
let countdownTimer = null;
function tickCountdowns() {
  const elements = document.querySelectorAll('.countdown[data-due]');
  for (const element of elements) element.textContent = countdownText(element.dataset.due);
  if (elements.length === 0) {
    clearInterval(countdownTimer);
    countdownTimer = null;
  }
}

/** A live countdown to `value` ("in 42 s"), updated every second while it is on the page. */
export function countdownElement(value) {
  const date = parseTime(value);
  if (!date) return null;
  countdownTimer ??= setInterval(tickCountdowns, 1000);
  return h('span', { class: 'countdown', dataset: { due: date.toISOString() }, title: `Due ${formatUtc(date)}` }, countdownText(date));
}
