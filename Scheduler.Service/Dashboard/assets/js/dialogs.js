// Modal dialogs (<dialog> with showModal: focus moves in, Escape closes, focus returns to the opener), confirmation
// steps, form fields with their labels and errors, and problem details as a person reads them.
import { h, fill, uid } from './dom.js';
import { ProblemError } from './api.js';

/** Opens a modal dialog titled `title`; returns { dialog, body, close }. */
export function openDialog(title) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'dialog-body' });
  const dialog = h('dialog', { 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title)),
    body);
  document.body.append(dialog);
  const focusKey = opener instanceof HTMLElement ? opener.dataset.focusKey : null;
  dialog.addEventListener('close', () => {
    dialog.remove();
    // A live update may have re-rendered the opener's row meanwhile: find its successor by focus key.
    const target = opener instanceof HTMLElement && opener.isConnected
      ? opener
      : focusKey ? document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`) : null;
    target?.focus();
  });
  dialog.showModal();
  return { dialog, body, close: () => dialog.close() };
}

/** Problem details: title, detail, and each field's errors. `fieldNames` maps API field names to labels. */
export function problemView(error, { fieldNames = {}, extra, errors: only } = {}) {
  const problem = error instanceof ProblemError ? error.problem : { title: error?.message ?? String(error) };
  const errors = Object.entries(only ?? problem.errors ?? {});
  return h('div', { class: 'problem', role: 'alert' },
    h('strong', {}, problem.title ?? 'Something went wrong'),
    problem.detail ? h('p', {}, problem.detail) : null,
    problem.executionId ? h('p', {}, h('a', { href: `#/executions/${problem.executionId}` }, `Open execution ${problem.executionId}`)) : null,
    errors.length ? h('ul', {}, errors.map(([field, messages]) =>
      h('li', {}, `${fieldNames[field] ?? field}: ${[messages].flat().join(' ')}`))) : null,
    extra ?? null);
}

/**
 * A labelled form field. spec: { name, label, type ('text' | 'number' | 'textarea' | 'datetime-local' | 'checkbox' | 'select'),
 * value, hint, required, min, max, maxlength, placeholder, options: [{ value, label }], list }.
 * Returns { element, input, setError(message | null), value() }.
 */
export function field(spec) {
  const id = uid(`field-${spec.name}`);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const common = {
    id, name: spec.name, required: spec.required, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    dataset: { field: spec.apiName ?? spec.name },
  };
  let input;
  if (spec.type === 'textarea') {
    input = h('textarea', { ...common, maxlength: spec.maxlength, placeholder: spec.placeholder, class: 'wide' });
    input.value = spec.value ?? '';
  } else if (spec.type === 'select') {
    input = h('select', common, spec.options.map(o => h('option', { value: o.value, selected: o.value === String(spec.value ?? '') }, o.label)));
  } else if (spec.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox', checked: Boolean(spec.value) });
  } else {
    input = h('input', {
      ...common, type: spec.type ?? 'text', value: spec.value ?? '', min: spec.min, max: spec.max, step: spec.step,
      maxlength: spec.maxlength, placeholder: spec.placeholder, list: spec.list, class: spec.wide ? 'wide' : null,
      autocomplete: 'off', spellcheck: spec.type === 'text' ? 'false' : null,
    });
  }
  const label = h('label', { for: id }, spec.label, spec.required ? h('span', { 'aria-hidden': 'true' }, ' *') : null);
  const element = spec.type === 'checkbox'
    ? h('div', { class: 'field checkbox' }, input, label, error)
    : h('div', { class: 'field' }, label, input, spec.hint ? h('span', { class: 'hint', id: hintId }, spec.hint) : null, error);
  return {
    element,
    input,
    setError(message) {
      error.hidden = !message;
      error.textContent = message ?? '';
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    },
    value() {
      return spec.type === 'checkbox' ? input.checked : input.value.trim();
    },
  };
}

/**
 * Shows a 400's field errors next to the fields they name (matching data-field); returns the errors it could not
 * place, and focuses the first field in error.
 */
export function showFieldErrors(fields, error) {
  for (const f of fields) f.setError(null);
  const errors = error instanceof ProblemError ? { ...(error.problem.errors ?? {}) } : {};
  let first = null;
  for (const f of fields) {
    const key = f.input.dataset.field;
    if (errors[key]) {
      f.setError([errors[key]].flat().join(' '));
      delete errors[key];
      first ??= f.input;
    }
  }
  first?.focus();
  return errors;
}

/**
 * A confirmation dialog: `message` (nodes), optional fields, and a confirm button that runs `action(values)`.
 * Problems from the action are shown in the dialog (field errors beside their fields); on success the dialog closes
 * and the promise resolves with the action's result (null when the operator backs out).
 */
export function confirmDialog({ title, message, fields = [], confirmLabel, danger = false, action, fieldNames }) {
  return new Promise(resolve => {
    const { dialog, body, close } = openDialog(title);
    let result = null;
    dialog.addEventListener('close', () => resolve(result));
    const problemSlot = h('div');
    const confirm = h('button', { type: 'submit', class: `button ${danger ? 'danger' : 'primary'}` }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'button', onClick: close }, 'Back out');
    const form = h('form', { class: 'dialog-body-form', novalidate: true },
      h('div', {}, message), fields.map(f => f.element), problemSlot, h('div', { class: 'actions' }, cancel, confirm));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      fill(problemSlot);
      for (const f of fields) f.setError(null);
      const missing = fields.filter(f => f.input.required && !f.value());
      if (missing.length) {
        for (const f of missing) f.setError('Required.');
        missing[0].input.focus();
        return;
      }
      confirm.disabled = true;
      cancel.disabled = true;
      const label = confirm.textContent;
      confirm.textContent = 'Working…';
      try {
        result = await action(Object.fromEntries(fields.map(f => [f.input.name, f.value()])));
        close();
      } catch (error) {
        const rest = showFieldErrors(fields, error);
        fill(problemSlot, problemView(error, { fieldNames, errors: rest }));
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = label;
        // Focus stays on the first field in error; otherwise back on the button the operator pressed.
        if (!fields.some(f => f.input.getAttribute('aria-invalid'))) confirm.focus();
      }
    });
    fill(body, form);
    (fields[0]?.input ?? confirm).focus();
  });
}
