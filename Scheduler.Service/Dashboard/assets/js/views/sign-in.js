// Sign-in: a pasted token (locally, from ./run.sh), or /dashboard#token=<jwt>. Production tokens come from Entra ID.
import { h, uid } from '../dom.js';

export function renderSignIn({ message, onToken }) {
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
  const view = h('main', { class: 'sign-in', id: 'main' },
    h('h1', {}, 'Scheduler dashboard: sign in'),
    message ? h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Not signed in'), h('p', {}, message)) : null,
    form,
    h('section', { class: 'notice', 'aria-label': 'Where tokens come from' },
      h('p', {}, h('strong', {}, 'Locally: '), h('code', {}, './run.sh'), ' writes ', h('code', {}, '.local/admin.jwt'),
        ' (Scheduler.Admin) and ', h('code', {}, '.local/reader.jwt'), ' (Scheduler.Reader). Paste one here, or open ',
        h('code', {}, '/dashboard#token=<token>'), '.'),
      h('p', {}, h('strong', {}, 'In production: '), 'use an access token from Microsoft Entra ID for ',
        h('code', {}, 'api://scheduler-service'), ' carrying the app role Scheduler.Admin or Scheduler.Reader (for example ',
        h('code', {}, 'az account get-access-token --scope api://scheduler-service/.default'),
        '). Interactive Entra sign-in is not built into this page yet.')));
  queueMicrotask(() => input.focus());
  return view;
}
