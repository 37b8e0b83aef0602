// What several pages show the same way.
import { h, when, button, field, select, formDialog, showOnce } from '../ui.js';
import { api } from '../api.js';

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

// ---- key controls (docs/api/api-keys.md, "Key controls") ----

/** What the rotate dialogs offer for the old key (seconds). */
export const KEEP_OLD = [['0', 'Stop it now'], ['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']];

/** A key's last use: when, from which address, for what. */
export function lastUse(k) {
  if (!k.lastUsedAt) return 'never';
  const where = [k.lastUsedFrom, k.lastUsedFor].filter(Boolean).join(' · ');
  return h('span', { class: 'last-use' }, when(k.lastUsedAt), where ? h('span', { class: 'muted' }, ` ${where}`) : null);
}

/** A key's networks, or "anywhere". */
export function networks(k) {
  const list = k.allowedCidrs || [];
  return list.length ? list.map((n) => h('code', { class: 'tag' }, n)) : 'anywhere';
}

/** The allow-list field: one network a line (or comma-separated). */
export function networksField(current = []) {
  const input = h('textarea', { rows: 3, spellcheck: false, placeholder: '203.0.113.0/24' });
  input.value = current.join('\n');
  return field('Allowed networks', input, { help: 'One network a line (CIDR, up to 20). Leave empty for anywhere.' });
}

/** The networks a field holds, as the API takes them. */
export function networksOf(f) {
  return f.input.value.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean);
}

/** An Edit dialog's `allowedCidrs` for `patch`: set only when the field differs from key `k`'s. */
export function patchNetworks(patch, f, k) {
  const networks = networksOf(f);
  if (networks.join() !== k.allowedCidrs.join()) patch.allowedCidrs = networks;
}

/**
 * Keys in list order, each key rotated with an overlap placed just before
 * the key that replaces it, so the pair reads together.
 */
export function pairsTogether(keys) {
  const byReplacement = new Map(keys.filter((k) => k.replacedBy).map((k) => [k.replacedBy, k]));
  const placed = new Set();
  const ordered = [];
  const place = (k) => {
    if (placed.has(k.id)) return;
    const old = byReplacement.get(k.id);
    if (old) place(old);
    placed.add(k.id);
    ordered.push(k);
  };
  keys.forEach(place);
  return ordered;
}

/** What a key's row says of an overlap: until when it works, what replaces it. */
export function overlapNote(k, keys) {
  if (k.replacedBy) {
    return h('span', { class: 'tag warning-tag' }, 'old key · stops ', when(k.expiresAt));
  }
  const old = keys.find((o) => o.replacedBy === k.id);
  return old ? h('span', { class: 'tag' }, 'new key') : null;
}

/** The message after a rotation: the new key, and until when the old one works. */
function rotatedWarning(warning, rotated) {
  const kept = rotated.oldKeyExpiresAt && new Date(rotated.oldKeyExpiresAt) > new Date();
  return kept
    ? `${warning} The old key keeps working until ${new Date(rotated.oldKeyExpiresAt).toLocaleString()}.`
    : `${warning} The old key no longer works.`;
}

/**
 * A key's Rotate dialog: how long the old key keeps working (`KEEP_OLD`),
 * then the new key shown once with when the old one stops. `rotate(body)`
 * sends the request and gives `{ name, key, answer }`; `done()` follows.
 */
export function rotateDialog(k, { keeps, rotate, warning, done }) {
  const f = {
    keepOldForSeconds: field('Keep the old key working for', select(KEEP_OLD, '0'),
      { help: 'Until then both keys work; its last use shows when the old one went quiet.' }),
  };
  formDialog(`Rotate ${k.name}`, {
    fields: Object.values(f),
    submitLabel: 'Rotate',
    named: f,
    extra: h('p', {}, `A new key with the same ${keeps} replaces this one.`),
    submit: async ({ d }) => {
      const rotated = await rotate({ keepOldForSeconds: Number(f.keepOldForSeconds.input.value) });
      d.close();
      showOnce(`New key for “${rotated.name}”`, rotated.key, rotatedWarning(warning, rotated.answer));
      done();
    },
  });
}

/** How far back the key pages look for exposed keys. */
const EXPOSED_DAYS = 30;

/**
 * A notice, filled in `container`, of the account's keys found in public
 * (GitHub secret scanning, or a public revocation) and revoked in the last
 * 30 days, with where each was found. Nothing shows when there are none, or
 * when the signed-in key may not read the audit trail.
 */
export async function exposureNotice(container) {
  const since = new Date(Date.now() - EXPOSED_DAYS * 86400 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  let page;
  try {
    page = await api('GET', `/api/audit-events?event_type=API_KEY_EXPOSED&since=${encodeURIComponent(since)}&limit=20`);
  } catch {
    return;
  }
  const events = (page && page.events) || [];
  if (!events.length) return;
  container.replaceChildren(h('div', { class: 'warning exposed', role: 'alert' },
    h('p', {}, `${events.length === 1 ? 'A key' : `${events.length} keys`} of this account ${events.length === 1 ? 'was' : 'were'} found in public `
      + `and revoked in the last ${EXPOSED_DAYS} days. Replace ${events.length === 1 ? 'it' : 'them'} where ${events.length === 1 ? 'it was' : 'they were'} used.`),
    h('ul', {}, events.map((e) => h('li', {},
      h('code', {}, e.key_prefix || ''), ' ', h('code', {}, e.resource_id), ' — ',
      // Only GitHub sends a place (signed); it is linked only as https.
      e.url ? (e.url.startsWith('https://') ? h('a', { href: e.url, rel: 'noopener noreferrer', target: '_blank' }, e.url) : e.url)
        : 'reported by its holder',
      e.source ? ` (${e.source})` : '', ', ', when(e.created_at),
      e.actor_key_id === 'github-secret-scanning' ? ' · GitHub secret scanning' : ' · public revocation')))));
}

