// Small DOM helpers: elements built with textContent only (nothing is ever
// parsed as HTML), dialogs, form fields with their error slots, tables, and
// the loading and error states every request shows.
import { session } from './session.js';

let nextId = 0;
export const uid = (prefix) => `${prefix}-${++nextId}`;

/** h('button', {class: 'x', onclick: f}, 'Label', child, [more]) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name === 'value') el.value = value; // a property: never written into the markup
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

/** Appends children, skipping null, undefined and false. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A time of the API in the browser's locale. */
export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, isNaN(date) ? iso : date.toLocaleString());
}

/** A button that the signed-in key may not use is disabled and says why. */
export function button(label, onclick, { needs, kind = '', type = 'button', name } = {}) {
  const allowed = !needs || session.can(needs);
  return h('button', {
    type,
    class: kind,
    onclick: allowed ? onclick : undefined,
    disabled: !allowed,
    title: allowed ? undefined : `Requires ${needs}`,
    'aria-label': name,
  }, label);
}

/** False, with a note on the page, when the key may not read it at all. */
export function pageAllowed(page, permission) {
  if (session.can(permission)) return true;
  page.append(h('p', { class: 'note', role: 'note' }, `This page needs a key with ${permission}.`));
  return false;
}

/** A note naming what the key lacks for the disabled controls of a page. */
export function needsNote(permission, what) {
  if (session.can(permission)) return null;
  return h('p', { class: 'note', role: 'note' }, `${what} need a key with ${permission}; they are disabled.`);
}

/** Loading, then `render(data)` or the error with a Retry button. */
export async function loadInto(container, load, render) {
  clear(container, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    const data = await load();
    clear(container, render(data));
  } catch (error) {
    clear(container, errorBox(error, () => loadInto(container, load, render)));
  }
}

/**
 * Runs a request started from a row (delete, revoke, rotate) with a status
 * line while it runs; an error is shown at the top of `container`.
 * Resolves to {ok, value}.
 */
export async function act(container, label, request) {
  const note = h('p', { class: 'loading', role: 'status' }, label);
  container.prepend(note);
  try {
    return { ok: true, value: await request() };
  } catch (error) {
    container.prepend(errorBox(error));
    return { ok: false };
  } finally {
    note.remove();
  }
}

export function errorBox(error, retry) {
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, error.code ? `${error.code}: ` : ''), error.message,
    error.requestId ? h('span', { class: 'muted' }, ` (request ${error.requestId})`) : null,
    retry ? [' ', button('Retry', retry)] : null);
}

export function table(columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map(([title]) => h('th', { scope: 'col' }, title)))),
      h('tbody', {}, rows.map((row) => h('tr', {},
        columns.map(([title, cell]) => h('td', { 'data-label': title }, cell(row))))))));
}

/**
 * A labelled input with its helper text and an error slot (aria-described).
 * `input` is an element; returns {row, input, setError}.
 */
export function field(label, input, { help, name } = {}) {
  const id = input.id || uid('f');
  input.id = id;
  if (name) input.name = name;
  const helpEl = help ? h('p', { class: 'help', id: `${id}-help` }, help) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  input.setAttribute('aria-describedby', [helpEl && helpEl.id, errorEl.id].filter(Boolean).join(' '));
  const isCheck = input.type === 'checkbox';
  const labelEl = h('label', { for: id }, label);
  const row = h('div', { class: isCheck ? 'field check' : 'field' },
    isCheck ? [input, labelEl] : [labelEl, input], helpEl, errorEl);
  const setError = (message) => {
    errorEl.textContent = message || '';
    errorEl.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  return { row, input, help: helpEl, setError };
}

/**
 * Checkboxes for a set of permissions, each disabled (and saying why) when
 * the signed-in key may not grant it: a key cannot mint a stronger one.
 */
export function checkboxGroup(legend, names, checked = []) {
  const boxes = names.map((name) => {
    const allowed = session.mayGrant(name);
    const input = h('input', { type: 'checkbox', value: name, checked: checked.includes(name), disabled: !allowed });
    const id = uid('c');
    input.id = id;
    return h('div', { class: 'check' }, input, h('label', { for: id }, name),
      allowed ? null : h('span', { class: 'muted' }, ` (this key cannot grant ${name})`));
  });
  const errorEl = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const row = h('fieldset', { class: 'group' }, h('legend', {}, legend), boxes, errorEl);
  return {
    row,
    input: row.querySelector('input:not([disabled])') || row,
    values: () => [...row.querySelectorAll('input:checked')].map((i) => i.value),
    setError: (message) => { errorEl.textContent = message || ''; errorEl.hidden = !message; },
  };
}

export const text = (props = {}) => h('input', { type: 'text', autocomplete: 'off', spellcheck: false, ...props });
export const secret = (props = {}) => h('input', { type: 'password', autocomplete: 'new-password', ...props });
export const number = (props = {}) => h('input', { type: 'number', inputmode: 'numeric', ...props });
export const checkbox = (checked) => h('input', { type: 'checkbox', checked: Boolean(checked) });
export function select(options, value) {
  return h('select', {}, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

/**
 * A modal dialog (native <dialog>: focus stays inside, Escape closes it).
 * `onClose` runs however it closes; the dialog then leaves the page.
 */
export function dialog(title, { onClose } = {}) {
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'dialog-body' });
  const el = h('dialog', { 'aria-labelledby': titleId }, h('h2', { id: titleId }, title), body);
  const opener = document.activeElement;
  el.addEventListener('close', () => {
    if (onClose) onClose();
    el.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  el.addEventListener('keydown', (event) => trapTab(el, event));
  document.body.append(el);
  el.showModal();
  return { el, body, close: () => el.close() };
}

/** Tab and Shift+Tab go round the dialog's controls, never out of it. */
function trapTab(el, event) {
  if (event.key !== 'Tab') return;
  const focusable = [...el.querySelectorAll('button, input, select, textarea, a[href]')]
    .filter((c) => !c.disabled && c.offsetParent !== null);
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
  else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
}

/** Asks before something that cannot be undone; resolves to true or false. */
export function confirm(title, message, action) {
  return new Promise((resolve) => {
    let answer = false;
    const d = dialog(title, { onClose: () => resolve(answer) });
    d.body.append(h('p', {}, message), h('div', { class: 'actions' },
      button('Cancel', () => d.close()),
      button(action, () => { answer = true; d.close(); }, { kind: 'danger' })));
    d.el.querySelector('button').focus();
  });
}

/**
 * The form field a 400 is about: `named` maps request field names to form
 * fields (or is a function that gives that map); a block's field
 * (`smtp_credentials.host`) is found by its own name.
 */
function fieldNamed(named, error) {
  if (error.status !== 400 || !error.field || !named) return null;
  const map = typeof named === 'function' ? named() : named;
  // `allowedCidrs[3]` is about the list's field.
  const name = error.field.replace(/\[\d+\]$/, '');
  return map[name] || map[name.split('.').pop()] || null;
}

/**
 * A form in a dialog. `submit(form)` runs the request; an ApiError 400 is
 * shown beside the field the error body names (`named`: request field name
 * → form field) or at the top. Returns {d, form, status}.
 */
export function formDialog(title, { fields, submitLabel, submit, named, onClose, extra }) {
  const d = dialog(title, { onClose });
  const status = h('div', { class: 'form-status', role: 'status' });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { novalidate: true },
    fields.map((f) => f.row), extra || null, status,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), submitButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fields.forEach((f) => f.setError && f.setError(''));
    clear(status);
    submitButton.disabled = true;
    clear(status, h('p', { class: 'loading' }, 'Saving…'));
    try {
      await submit({ d, status });
    } catch (error) {
      clear(status);
      const target = fieldNamed(named, error);
      if (target) {
        target.setError(error.message);
        target.input.focus();
      } else {
        status.append(errorBox(error));
      }
    } finally {
      submitButton.disabled = false;
      if (status.querySelector('.loading')) clear(status);
    }
  });
  d.body.append(form);
  const first = form.querySelector('input:not([readonly]), select');
  if (first) first.focus();
  return { d, form, status };
}

/** Shows a key created just now, once; it leaves the page when closed. */
export function showOnce(title, value, warning) {
  const input = h('input', { type: 'text', readOnly: true, value, class: 'once', 'aria-label': 'New key', spellcheck: false });
  const copied = h('span', { class: 'muted', role: 'status' });
  const d = dialog(title, { onClose: () => { input.value = ''; } });
  d.body.append(
    h('p', { class: 'warning', role: 'note' }, warning),
    field('Key', input).row,
    h('div', { class: 'actions' },
      button('Copy', async () => {
        try { await navigator.clipboard.writeText(input.value); copied.textContent = 'Copied.'; }
        catch { input.select(); copied.textContent = 'Select and copy it by hand.'; }
      }),
      copied,
      button('Done', () => d.close(), { kind: 'primary' })));
  input.focus();
  input.select();
  return d;
}
