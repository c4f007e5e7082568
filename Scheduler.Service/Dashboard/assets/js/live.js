// Live updates for the whole page: the service's event stream (GET /api/jobs/events, Server-Sent Events) when it
// has one, read with fetch so the request can carry the bearer token (EventSource cannot send headers); resumed
// after a drop with Last-Event-ID. While there is no stream (the service answers 404, or it is reconnecting),
// the views poll every 2 seconds instead.

const EventsPath = '/api/jobs/events';
const PollIntervalMs = 2000;
const ProbeAgainMs = 60_000;
const MaxBackoffMs = 15_000;

/** Parses a text/event-stream incrementally (the WHATWG "event stream interpretation"). */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.type = '';
    this.data = [];
    this.lastEventId = null;
    this.retry = null;
  }

  /** Feeds a chunk of text; returns the events it completed, each { type, data, id }. */
  push(chunk) {
    this.buffer += chunk;
    const events = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  line(line) {
    if (line === '') {
      const data = this.data;
      const type = this.type || 'message';
      this.data = [];
      this.type = '';
      return data.length ? { type, data: data.join('\n'), id: this.lastEventId } : null;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }
}

const eventListeners = new Set();
const pollListeners = new Set();
const modeListeners = new Set();
let mode = 'off';
let tokenOf = () => null;
let onUnauthorized = () => {};
let controller = null;
let reconnectTimer = null;
let pollTimer = null;
let lastEventId = null;
let retryMs = 1000;
let failures = 0;
let running = false;

/** Mode: 'connecting', 'streaming', 'polling' (no stream on this service), 'reconnecting' or 'off'. */
export function liveMode() {
  return mode;
}

export function onModeChange(listener) {
  modeListeners.add(listener);
  return () => modeListeners.delete(listener);
}

/** listener({ type: 'execution' | 'schedule' | 'job_type' | 'log', data, id }) for each event from the stream. */
export function onLiveEvent(listener) {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

/** listener() every 2 s while there is no stream, and once whenever the stream (re)starts, to catch up. */
export function onPoll(listener) {
  pollListeners.add(listener);
  return () => pollListeners.delete(listener);
}

export function startLive({ token, unauthorized }) {
  stopLive();
  tokenOf = token;
  onUnauthorized = unauthorized;
  running = true;
  lastEventId = null;
  failures = 0;
  pollTimer = setInterval(() => {
    if (mode !== 'streaming' && document.visibilityState !== 'hidden') poll();
  }, PollIntervalMs);
  connect();
}

export function stopLive() {
  running = false;
  controller?.abort();
  controller = null;
  clearTimeout(reconnectTimer);
  clearInterval(pollTimer);
  setMode('off');
}

function setMode(next) {
  if (mode === next) return;
  const catchUp = next === 'streaming';
  mode = next;
  for (const listener of modeListeners) listener(mode);
  if (catchUp) poll();
}

function poll() {
  for (const listener of pollListeners) {
    try {
      listener();
    } catch (error) {
      console.error(error);
    }
  }
}

function reconnectLater(delayMs) {
  clearTimeout(reconnectTimer);
  if (running) reconnectTimer = setTimeout(connect, delayMs);
}

async function connect() {
  if (!running) return;
  controller = new AbortController();
  const signal = controller.signal;
  if (mode === 'off') setMode('connecting');
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${tokenOf()}` };
  if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
  let response;
  try {
    response = await fetch(EventsPath, { headers, signal, cache: 'no-store' });
  } catch {
    if (signal.aborted) return;
    return failed();
  }
  if (response.status === 401) {
    onUnauthorized();
    return;
  }
  if (response.status === 404 || response.status === 405) {
    // This service has no event stream (yet): poll, and look again now and then.
    setMode('polling');
    reconnectLater(ProbeAgainMs);
    return;
  }
  if (response.status === 429 || response.status === 503) {
    // Over the service's stream limits: poll meanwhile, and come back no sooner than it says.
    const seconds = Number(response.headers.get('Retry-After'));
    response.body?.cancel().catch(() => {});
    return failed(Number.isFinite(seconds) ? seconds * 1000 : 0);
  }
  const type = response.headers.get('Content-Type') ?? '';
  if (!response.ok || !response.body || !type.includes('text/event-stream')) {
    response.body?.cancel().catch(() => {});
    return failed();
  }

  failures = 0;
  setMode('streaming');
  const parser = new SseParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.push(value)) dispatch(event);
      if (parser.lastEventId !== null) lastEventId = parser.lastEventId;
      if (parser.retry !== null) retryMs = Math.max(100, parser.retry);
    }
  } catch {
    if (signal.aborted) return;
    return failed();
  }
  // The server ended the stream (a deploy, a proxy's timeout): resume where it left off.
  if (running && !signal.aborted) reconnectLater(retryMs);
}

function failed(atLeastMs = 0) {
  failures += 1;
  setMode('reconnecting');
  reconnectLater(Math.max(atLeastMs, Math.min(MaxBackoffMs, retryMs * 2 ** Math.min(failures - 1, 4))));
}

function dispatch(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  for (const listener of eventListeners) {
    try {
      listener({ type: event.type, data, id: event.id });
    } catch (error) {
      console.error(error);
    }
  }
}
