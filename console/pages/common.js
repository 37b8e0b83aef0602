// What several pages show the same way.
import { h, when, button } from '../ui.js';

/** `last_test` of a provider or credential: "ok" or "failed at <stage>", and when. */
export function lastTest(test) {
  if (!test) return h('span', { class: 'muted' }, 'never');
  const outcome = test.status === 'ok' ? 'ok' : `failed${test.stage ? ` at ${test.stage}` : ''}`;
  return h('span', { class: `outcome ${test.status}` }, outcome, ' · ', when(test.tested_at));
}

/** A test's outcome as the service answered it. */
export function outcome(result) {
  return h('div', { class: `result ${result.status}`, role: 'status' },
    h('p', {}, h('strong', {}, result.status === 'ok' ? 'Passed' : 'Failed'),
      result.stage ? ` at stage ${result.stage}` : '', ` in ${result.latency_ms} ms.`),
    h('p', {}, result.message || ''),
    h('p', { class: 'muted' }, 'Tested ', when(result.tested_at)));
}

/** A value or an em dash. */
export const orDash = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));

/** The names of a JSON object's changed values: the PATCH body of a form. */
export function changes(loaded, current) {
  const body = {};
  for (const [name, value] of Object.entries(current)) {
    if (value !== undefined && value !== loaded[name]) body[name] = value;
  }
  return body;
}

/**
 * The destination rule in a form: `secretField` becomes required, saying
 * why, while `moved()` (the host, port or encryption differs from what was
 * loaded). Returns a check for submit: true, with the reason beside the
 * field, when the save must wait for the secret.
 */
export function secretFollowsDestination(secretField, destinationInputs, moved, { rule, otherwise }) {
  const update = () => {
    const required = moved();
    secretField.input.required = required;
    secretField.row.classList.toggle('required', required);
    secretField.help.textContent = required ? rule : otherwise;
  };
  for (const input of destinationInputs) {
    input.addEventListener('input', update);
    input.addEventListener('change', update);
  }
  return () => {
    if (!moved() || secretField.input.value) return false;
    secretField.setError(rule);
    secretField.input.focus();
    return true;
  };
}

/** What a Save with nothing changed says. */
export const NOTHING_CHANGED = 'Nothing changed, so nothing was sent.';

/** A list's paging buttons: back to the first page, on to the next. */
export function pager(cursor, nextCursor, reload) {
  return h('div', { class: 'pager' },
    cursor ? button('First page', () => reload()) : null,
    nextCursor ? button('Next page', () => reload(nextCursor)) : null);
}

/** `?limit=…&cursor=…` of a paged list. */
export function pageQuery(limit, cursor) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return `?${params}`;
}
