// The dashboard: sign-in, the shell (navigation, live status, who is signed in) and a hash router over the views.
// Every view reads the same API as any other client, with the operator's token; readers get no mutating controls
// (and the API would refuse them anyway).
import { h, fill } from './dom.js';
import { configureApi, get, ProblemError, UnauthorizedMessage } from './api.js';
import { describeToken, forgetToken, loadToken, saveToken, takeTokenFromUrl } from './session.js';
import { liveMode, onModeChange, startLive, stopLive } from './live.js';
import { renderSignIn } from './views/sign-in.js';
import * as jobTypes from './views/job-types.js';
import * as executions from './views/executions.js';
import * as execution from './views/execution.js';
import * as schedules from './views/schedules.js';
import * as audit from './views/audit.js';

const routes = [
  { pattern: /^\/(?:jobs)?$/, nav: 'jobs', view: jobTypes },
  { pattern: /^\/executions$/, nav: 'executions', view: executions },
  { pattern: /^\/executions\/([0-9a-fA-F-]{36})$/, nav: 'executions', view: execution },
  { pattern: /^\/schedules$/, nav: 'schedules', view: schedules },
  { pattern: /^\/audit$/, nav: 'audit', view: audit },
];

const navigation = [
  { key: 'jobs', href: '#/jobs', label: 'Job types' },
  { key: 'executions', href: '#/executions', label: 'Executions' },
  { key: 'schedules', href: '#/schedules', label: 'Schedules' },
  { key: 'audit', href: '#/audit', label: 'Audit trail' },
];

const LiveText = {
  connecting: 'Connecting…',
  streaming: 'Live',
  polling: 'Updating every 2 s',
  reconnecting: 'Reconnecting… (updating every 2 s)',
  off: 'Offline',
};

const app = document.getElementById('app');
let session = null;
let main = null;
let toasts = null;
let teardown = null;
let expiryTimer = null;
let catalogRequest = null;
let firstRoute = true;
let unsubscribeMode = null;

configureApi({ token: () => session?.token, unauthorized: message => signOut(message ?? UnauthorizedMessage) });
window.addEventListener('hashchange', () => {
  if (session) route();
});

const fromUrl = takeTokenFromUrl();
const stored = fromUrl ?? loadToken();
if (stored) signIn(stored); else showSignIn();

function showSignIn(message) {
  fill(app, renderSignIn({ message, onToken: signIn }));
}

async function signIn(raw) {
  let described;
  try {
    described = describeToken(raw);
  } catch (error) {
    forgetToken();
    showSignIn(error.message);
    return;
  }
  session = described;
  try {
    // One reader call before showing anything: a refused token goes straight back to the sign-in screen.
    await catalog();
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return;
    session = null;
    forgetToken();
    showSignIn(error instanceof ProblemError && error.status === 403
      ? 'The token is valid but has neither Scheduler.Reader nor Scheduler.Admin, so it can read nothing here.'
      : `Could not reach the service: ${error.problem?.title ?? error.message}`);
    return;
  }
  saveToken(session.token);
  renderShell();
  route();
  startLive({ token: () => session?.token, unauthorized: () => signOut(UnauthorizedMessage) });
  clearTimeout(expiryTimer);
  if (session.expiresAt) {
    const ms = session.expiresAt.getTime() - Date.now();
    // setTimeout cannot wait longer than about 24.8 days; tokens that live that long are signed out on reload.
    if (ms < 2 ** 31 - 1) expiryTimer = setTimeout(() => signOut('Your token expired. Sign in again with a new one.'), ms);
  }
}

function signOut(message) {
  if (!session && !main) return;
  session = null;
  catalogRequest = null;
  forgetToken();
  stopLive();
  clearTimeout(expiryTimer);
  teardown?.();
  teardown = null;
  main = null;
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  showSignIn(message);
}

/** GET /api/jobs/types, once per sign-in: the catalog changes only with a deploy. */
function catalog() {
  catalogRequest ??= get('/api/jobs/types').catch(error => {
    catalogRequest = null;
    throw error;
  });
  return catalogRequest;
}

function toast(content, { timeoutMs = 6000 } = {}) {
  const close = h('button', { type: 'button', class: 'button small', 'aria-label': 'Dismiss notification' }, '×');
  const item = h('div', { class: 'toast' }, h('div', {}, content), close);
  close.addEventListener('click', () => item.remove());
  toasts.append(item);
  setTimeout(() => item.remove(), timeoutMs);
}

function renderShell() {
  const live = h('span', { class: 'live', role: 'status', dataset: { mode: liveMode() } },
    h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'live-text' }, LiveText[liveMode()]));
  unsubscribeMode?.();
  unsubscribeMode = onModeChange(mode => {
    live.dataset.mode = mode;
    live.querySelector('.live-text').textContent = LiveText[mode] ?? mode;
  });
  main = h('main', { id: 'main', tabindex: '-1' });
  toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const skip = h('a', { class: 'skip-link', href: '#main' }, 'Skip to content');
  skip.addEventListener('click', event => {
    event.preventDefault();
    main.focus();
  });
  fill(app,
    skip,
    h('header', { class: 'topbar' },
      h('span', { class: 'brand' }, 'Scheduler'),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, navigation.map(n => h('a', { href: n.href, dataset: { nav: n.key } }, n.label))),
      h('div', { class: 'topbar-right' },
        live,
        h('span', { class: 'who' }, 'Signed in as ', h('strong', {}, session.who),
          h('span', { class: 'role-tag' }, session.isAdmin ? 'Admin' : 'Reader (read-only)')),
        h('button', { type: 'button', class: 'button small', onClick: () => signOut('You signed out.') }, 'Sign out'))),
    main,
    toasts);
}

function route() {
  const [path, search] = (location.hash.replace(/^#/, '') || '/').split('?');
  if (!path.startsWith('/')) return;
  const match = routes.map(r => ({ r, m: r.pattern.exec(path) })).find(x => x.m);
  // A link inside a dialog (e.g. to the run a 409 names) leaves the dialog behind with the page it belonged to.
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  teardown?.();
  teardown = null;
  for (const link of app.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === match?.r.nav) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  if (!match) {
    fill(main, h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/jobs' }, 'Go to the job types.')));
    return;
  }
  const context = {
    session,
    catalog,
    toast,
    navigate: hash => { location.hash = hash; },
    /** Puts new filters in the address without re-rendering the view (it reloads its own data). */
    setParams: (base, values) => {
      const search = new URLSearchParams(Object.entries(values).filter(([, v]) => v !== '' && v !== null && v !== undefined));
      const text = search.toString();
      history.pushState(null, '', `#${base}${text ? `?${text}` : ''}`);
    },
  };
  teardown = match.r.view.render(main, context, match.m, new URLSearchParams(search ?? '')) ?? null;
  document.title = `${main.querySelector('h1')?.textContent ?? 'Dashboard'} · Scheduler`;
  // After a navigation, focus goes to the new page's heading so keyboard and screen-reader users start there.
  if (!firstRoute) main.querySelector('h1')?.focus();
  firstRoute = false;
}
