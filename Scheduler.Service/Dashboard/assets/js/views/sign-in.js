// Sign-in: a redirect to the issuer the service trusts (Entra ID or another OpenID Connect issuer), or, only when the
// service trusts just the local development issuer, a pasted token (from ./run.sh) or /dashboard#token=<jwt>.
import { h, uid } from '../dom.js';

export function renderSignIn({ message, config, onToken, onRedirect }) {
  const view = h('main', { class: 'sign-in', id: 'main' },
    h('h1', {}, 'Scheduler dashboard: sign in'),
    message ? h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Not signed in'), h('p', {}, message)) : null);
  if (config?.signIn === 'redirect') {
    const button = h('button', { type: 'button', class: 'button primary', onClick: () => onRedirect() }, 'Sign in');
    view.append(
      h('div', { class: 'panel' },
        h('p', {}, 'Sign in with your organisation account at ', h('code', {}, new URL(config.authority).host), '.'),
        h('div', { class: 'actions' }, button)),
      h('section', { class: 'notice', 'aria-label': 'Access' },
        h('p', {}, 'You need the role Scheduler.Admin (to change things) or Scheduler.Reader (to look). The sign-in is kept in this browser tab only and renewed before it expires.')));
    queueMicrotask(() => button.focus());
    return view;
  }
  if (!config?.tokenPasteAllowed) {
    view.append(h('section', { class: 'notice', 'aria-label': 'Sign-in is not configured' },
      h('p', {}, 'This dashboard has no sign-in configured. Set ', h('code', {}, 'Dashboard:ClientId'),
        ' (the dashboard\'s client id at the issuer) on the service; see docs/dashboard-sign-in.md.')));
    return view;
  }
  const id = uid('token');
  const hintId = `${id}-hint`;
  const input = h('textarea', {
    id, name: 'token', class: 'token-input', required: true, spellcheck: 'false', autocomplete: 'off',
    'aria-describedby': hintId,
  });
  const form = h('form', { class: 'panel', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: id }, 'Access token (JWT)'),
      input,
      h('span', { class: 'hint', id: hintId },
        'Kept in this browser tab only (sessionStorage) and sent only to this service, as Authorization: Bearer.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Sign in')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    onToken(input.value);
  });
  view.append(form,
    h('section', { class: 'notice', 'aria-label': 'Where tokens come from' },
      h('p', {}, h('strong', {}, 'Local development: '), h('code', {}, './run.sh'), ' writes ', h('code', {}, '.local/admin.jwt'),
        ' (Scheduler.Admin) and ', h('code', {}, '.local/reader.jwt'), ' (Scheduler.Reader). Paste one here, or open ',
        h('code', {}, '/dashboard#token=<token>'), '.'),
      h('p', {}, 'With Entra ID or another OpenID Connect issuer configured, this page signs in by redirect instead.')));
  queueMicrotask(() => input.focus());
  return view;
}
