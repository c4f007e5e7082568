// Builds DOM nodes from data without ever parsing it as HTML: every value ends up as text or an attribute.

/** h('a', { href: '#/x', class: 'y', onClick: fn }, 'text', child, [more]) */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'value' && 'value' in element) {
      element.value = value;
    } else if (name === 'checked' || name === 'selected') {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Replaces the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Brings a table body in line with `items`: rows whose data did not change are kept as they are (so focus, open
 * <details> and selection survive live updates); a changed row is replaced, and if focus was inside it, the element
 * with the same data-focus-key in the new row gets it back.
 */
export function syncRows(tbody, items, keyOf, signatureOf, render) {
  const existing = new Map();
  for (const row of tbody.querySelectorAll(':scope > tr[data-key]')) existing.set(row.dataset.key, row);
  const active = document.activeElement;
  let previous = null;
  for (const item of items) {
    const key = String(keyOf(item));
    const signature = signatureOf(item);
    let row = existing.get(key);
    existing.delete(key);
    if (!row || row.dataset.signature !== signature) {
      const fresh = render(item);
      fresh.dataset.key = key;
      fresh.dataset.signature = signature;
      if (row) {
        const focusKey = row.contains(active) ? active.closest('[data-focus-key]')?.dataset.focusKey : null;
        row.replaceWith(fresh);
        if (focusKey) fresh.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
      }
      row = fresh;
    }
    const expectedPosition = previous ? previous.nextElementSibling : tbody.firstElementChild;
    if (expectedPosition !== row) {
      if (previous) previous.after(row); else tbody.prepend(row);
    }
    previous = row;
  }
  for (const row of existing.values()) row.remove();
  for (const row of tbody.querySelectorAll(':scope > tr:not([data-key])')) row.remove();
}
