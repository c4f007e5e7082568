// The dashboard: sign-in, the shell (navigation, live status, who is signed in) and a hash router over the views.
// Every view reads the same API as any other client, with the operator's token; readers get no mutating controls
// (and the API would refuse them anyway). The token comes from the issuer by redirect (auth.js), or, with only the
// local development issuer configured, is pasted.
import { h, fill } from './dom.js';
import { configureApi, get, ProblemError, UnauthorizedMessage } from './api.js';
import { describeToken, forgetToken, loadToken, saveToken, takeTokenFromUrl } from './session.js';
import { createUserManager, isSignInCallback, loadSignInConfig } from './auth.js';
import { liveMode, onLiveEvent, onModeChange, startLive, stopLive } from './live.js';
import { renderSignIn } from './views/sign-in.js';
import * as jobTypes from './views/job-types.js';
import * as executions from './views/executions.js';
import * as execution from './views/execution.js';
import * as schedules from './views/schedules.js';
import * as audit from './views/audit.js';
import * as notifications from './views/notifications.js';
import * as deadLetters from './views/dead-letters.js';
import * as stats from './views/stats.js';

const routes = [
  { pattern: /^\/(?:jobs)?$/, nav: 'jobs', view: jobTypes },
  { pattern: /^\/executions$/, nav: 'executions', view: executions },
  { pattern: /^\/executions\/([0-9a-fA-F-]{36})$/, nav: 'executions', view: execution },
  { pattern: /^\/schedules$/, nav: 'schedules', view: schedules },
  { pattern: /^\/audit$/, nav: 'audit', view: audit },
  { pattern: /^\/notifications$/, nav: 'notifications', view: notifications },
  { pattern: /^\/dead-letters$/, nav: 'dead-letters', view: deadLetters },
  { pattern: /^\/stats$/, nav: 'stats', view: stats },
];

const navigation = [
  { key: 'jobs', href: '#/jobs', label: 'Job types' },
  { key: 'executions', href: '#/executions', label: 'Executions' },
  { key: 'stats', href: '#/stats', label: 'Statistics' },
  { key: 'schedules', href: '#/schedules', label: 'Schedules' },
  { key: 'notifications', href: '#/notifications', label: 'Notifications' },
  { key: 'dead-letters', href: '#/dead-letters', label: 'Dead letters' },
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
let config = null;
/** The oidc-client-ts UserManager when the page signs in by redirect. */
let users = null;

configureApi({ token: () => session?.token, unauthorized: message => signOut(message ?? UnauthorizedMessage) });
window.addEventListener('hashchange', () => {
  if (session) route();
});

start();

async function start() {
  try {
    config = await loadSignInConfig();
  } catch (error) {
    showSignIn(error.message);
    return;
  }
  if (config.signIn === 'redirect') {
    await startRedirectSignIn();
    return;
  }
  if (!config.tokenPasteAllowed) {
    showSignIn();
    return;
  }
  const fromUrl = takeTokenFromUrl();
  const stored = fromUrl ?? loadToken();
  if (stored) signIn(stored); else showSignIn();
}

async function startRedirectSignIn() {
  users = createUserManager(config);
  // A renewed token replaces the session's: the API client and the live stream read it on their next call.
  users.events.addUserLoaded(user => {
    if (!session) return;
    try {
      session = { ...describeToken(user.access_token), managed: true };
      armExpiry();
    } catch {
      // An already-expired token: the next API call's 401 signs out with the reason.
    }
  });
  let user;
  try {
    if (isSignInCallback()) {
      user = await users.signinRedirectCallback();
      history.replaceState(null, '', `${location.pathname}#${typeof user.state === 'string' && user.state.startsWith('/') ? user.state : '/'}`);
    } else {
      user = await users.getUser();
    }
  } catch (error) {
    history.replaceState(null, '', `${location.pathname}#/`);
    showSignIn(`The sign-in did not complete: ${error.error_description ?? error.message}`);
    return;
  }
  if (user && !user.expired) signIn(user.access_token, { managed: true }); else showSignIn();
}

function redirectToIssuer() {
  // Where the operator was goes along as the request's state and is restored after the round trip.
  const hash = location.hash.replace(/^#/, '');
  users.signinRedirect({ state: hash.startsWith('/') ? hash : '/' }).catch(error =>
    showSignIn(`The issuer could not be reached: ${error.message}`));
}

function showSignIn(message) {
  fill(app, renderSignIn({ message, config, onToken: signIn, onRedirect: redirectToIssuer }));
}

async function signIn(raw, { managed = false } = {}) {
  let described;
  try {
    described = describeToken(raw);
  } catch (error) {
    forget(managed);
    showSignIn(error.message);
    return;
  }
  session = { ...described, managed };
  try {
    // One reader call before showing anything: a refused token goes straight back to the sign-in screen.
    await catalog();
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return;
    session = null;
    forget(managed);
    showSignIn(error instanceof ProblemError && error.status === 403
      ? 'The token is valid but has neither Scheduler.Reader nor Scheduler.Admin, so it can read nothing here.'
      : `Could not reach the service: ${error.problem?.title ?? error.message}`);
    return;
  }
  if (!managed) saveToken(session.token);
  renderShell();
  route();
  startLive({ token: () => session?.token, unauthorized: () => signOut(UnauthorizedMessage) });
  armExpiry();
}

/** Signs out when the token expires, unless a renewal replaces it first (which arms this again). */
function armExpiry() {
  clearTimeout(expiryTimer);
  if (session?.expiresAt) {
    const ms = session.expiresAt.getTime() - Date.now();
    // setTimeout cannot wait longer than about 24.8 days; tokens that live that long are signed out on reload.
    if (ms < 2 ** 31 - 1) {
      expiryTimer = setTimeout(() => signOut(session?.managed
        ? 'Your sign-in expired and could not be renewed. Sign in again.'
        : 'Your token expired. Sign in again with a new one.'), ms);
    }
  }
}

/** Forgets the token: the pasted one, or the issuer's (the issuer's own session is left alone). */
function forget(managed) {
  if (managed) users?.removeUser(); else forgetToken();
}

function signOut(message) {
  if (!session && !main) return;
  forget(session?.managed);
  session = null;
  catalogRequest = null;
  stopLive();
  clearTimeout(expiryTimer);
  teardown?.();
  teardown = null;
  main = null;
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  showSignIn(message);
}

// A job type defined, changed or deleted through the API (on any node) makes the next view read the catalog again.
onLiveEvent(event => {
  if (event.type === 'job_type') catalogRequest = null;
});

/** GET /api/jobs/types, read again after a deploy's sign-in or a change to a type defined through the API. */
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
    /** Forgets the catalog read, after this dashboard changed a type. */
    forgetCatalog: () => { catalogRequest = null; },
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
