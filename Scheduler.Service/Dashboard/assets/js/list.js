// Filter forms and paging for the list views (executions, audit trail). Filters live in the address (#/view?…),
// so a filtered list can be bookmarked or shared; the page reloads only its data when they change.
import { h, fill } from './dom.js';
import { field } from './dialogs.js';
import { isoToLocalInput, localInputToIso } from './format.js';

export const PageSizes = [25, 50, 100, 200];

/**
 * A search form: specs as for field() (datetime-local values are ISO in and out), values from the address.
 * onApply(values) on submit; Clear empties every filter and applies.
 */
export function filterForm({ label, specs, values, onApply }) {
  const fields = specs.map(spec => field({
    ...spec,
    value: spec.type === 'datetime-local' ? isoToLocalInput(values[spec.name]) : values[spec.name] ?? spec.value ?? '',
  }));
  const read = () => Object.fromEntries(fields.map((f, i) => [
    f.input.name,
    specs[i].type === 'datetime-local' ? localInputToIso(f.value()) : f.value(),
  ]));
  const clear = h('button', { type: 'button', class: 'button' }, 'Clear filters');
  const form = h('form', { class: 'panel filters', role: 'search', 'aria-label': label },
    fields.map(f => f.element),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Apply filters'), clear));
  form.addEventListener('submit', event => {
    event.preventDefault();
    onApply(read());
  });
  clear.addEventListener('click', () => {
    for (const [i, f] of fields.entries()) {
      if (f.input.tagName === 'SELECT') f.input.value = specs[i].name === 'limit' ? String(values.limit ?? 50) : '';
      else f.input.value = '';
    }
    onApply(read());
  });
  return {
    form,
    fields,
    /** Replaces a select's options, keeping its value. */
    setOptions(name, options) {
      const f = fields.find(x => x.input.name === name);
      const current = values[name] ?? '';
      fill(f.input, options.map(o => h('option', { value: o.value, selected: o.value === String(current) }, o.label)));
    },
  };
}

/**
 * "Showing 51–100 of 234" with Previous, numbered pages around the current one, and Next (by the API's nextCursor
 * where it gave one: keyset paging stays fast however deep).
 */
export function pager({ page, limit, total, count, nextCursor, onPage, label }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const first = total === 0 ? 0 : (page - 1) * limit + 1;
  const last = (page - 1) * limit + count;
  const numbers = new Set([1, pages, page - 2, page - 1, page, page + 1, page + 2].filter(n => n >= 1 && n <= pages));
  const sorted = [...numbers].sort((a, b) => a - b);
  const buttons = [];
  let previous = 0;
  for (const n of sorted) {
    if (n - previous > 1) buttons.push(h('span', { class: 'muted', 'aria-hidden': 'true' }, '…'));
    buttons.push(h('button', {
      type: 'button', class: 'button small', 'aria-label': `Page ${n}`, 'aria-current': n === page ? 'page' : null,
      onClick: () => onPage(n, null),
    }, String(n)));
    previous = n;
  }
  return h('nav', { class: 'pager', 'aria-label': label },
    h('span', { class: 'count' }, total === 0 ? 'Nothing matches.' : `Showing ${first}–${last} of ${total}`),
    h('button', { type: 'button', class: 'button small', disabled: page <= 1, onClick: () => onPage(page - 1, null) }, '‹ Previous'),
    buttons,
    h('button', { type: 'button', class: 'button small', disabled: page >= pages, onClick: () => onPage(page + 1, nextCursor) }, 'Next ›'));
}

/** The filter values from the address, with page and limit as numbers. */
export function readParams(params, names) {
  const values = Object.fromEntries(names.map(name => [name, params.get(name) ?? '']));
  values.page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  values.limit = PageSizes.includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 50;
  return values;
}
