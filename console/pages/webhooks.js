// Webhook endpoints (docs/api/webhooks.md): list, create (the signing secret
// shown once), edit URL, events and description, turn off and on, send a
// test event, rotate the secret, recent deliveries, delete.
import { api } from '../api.js';
import {
  h, add, button, pageAllowed, loadInto, table, field, text, uid, dialog, formDialog, confirm, act, showOnce, when,
} from '../ui.js';
import { NOTHING_CHANGED, orDash, pager, pageQuery } from './common.js';

const WEBHOOKS = '/api/webhooks';
// The vocabulary (docs/api/webhooks.md); `*` is every type but credential.resolved.
const ALL = '*';
const EVENT_TYPES = [
  'api_key.created', 'api_key.updated', 'api_key.rotated', 'api_key.revoked', 'api_key.expiring', 'api_key.exposed',
  'smtp_credential.created', 'smtp_credential.updated', 'smtp_credential.rotated', 'smtp_credential.revoked',
  'smtp_credential.expiring', 'smtp_credential.exposed',
  'email_provider.created', 'email_provider.updated', 'email_provider.deleted', 'email_provider.test_failed',
  'provider_credential.created', 'provider_credential.updated', 'provider_credential.rotated',
  'provider_credential.deleted', 'provider_credential.test_failed',
  'credential.resolved',
];
export const WARNING = 'The signing secret is shown only now. Give it to your receiver to verify deliveries '
  + '(Standard Webhooks); it cannot be retrieved again.';

let list;

export function render(page) {
  if (!pageAllowed(page, 'webhooks')) return;
  list = h('div', { class: 'list' });
  add(page,
    h('p', { class: 'muted' }, 'Each endpoint is sent what happens to this account\'s credentials, signed with its own '
      + 'secret. Deliveries are retried for about 10 hours; an endpoint failing for 3 days is turned off.'),
    h('div', { class: 'toolbar' }, button('Create', openCreate, { kind: 'primary', name: 'Create webhook endpoint' })),
    list);
  reload();
}

const PAGE_SIZE = 50;

function reload(cursor) {
  return loadInto(list, () => api('GET', `${WEBHOOKS}${pageQuery(PAGE_SIZE, cursor)}`), (answer) => h('div', {},
    table([
      ['URL', (w) => h('code', {}, w.url)],
      ['Events', (w) => w.events.map((e) => h('span', { class: 'tag' }, e))],
      ['Description', (w) => orDash(w.description)],
      ['State', state],
      ['Created', (w) => when(w.created_at)],
      ['Actions', (w) => h('div', { class: 'row-actions' },
        button('Test', () => test(w), { name: `Test ${w.url}` }),
        button('Deliveries', () => showDeliveries(w), { name: `Deliveries of ${w.url}` }),
        button('Edit', () => openEdit(w), { name: `Edit ${w.url}` }),
        button(w.enabled ? 'Disable' : 'Enable', () => setEnabled(w, !w.enabled), { name: `${w.enabled ? 'Disable' : 'Enable'} ${w.url}` }),
        button('Rotate secret', () => rotateSecret(w), { name: `Rotate the secret of ${w.url}` }),
        button('Delete', () => remove(w), { kind: 'danger', name: `Delete ${w.url}` }))],
    ], answer.items, 'No webhook endpoints yet.'),
    pager(cursor, answer.next_cursor, reload)));
}

/** Enabled, failing (since when), or disabled (and why). */
function state(w) {
  if (!w.enabled) {
    return h('span', { class: 'outcome failed' }, 'disabled',
      w.disabled_reason ? h('span', { class: 'muted' }, ` — ${w.disabled_reason}`) : null);
  }
  if (w.failing_since) return h('span', { class: 'outcome failed' }, 'failing since ', when(w.failing_since));
  return h('span', { class: 'outcome ok' }, 'enabled');
}

/** Checkboxes for the event types: `*` (all but the opt-in) and each type. */
function eventsField(checked = [ALL]) {
  const box = (name, label) => {
    const id = uid('e');
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', id, value: name, checked: checked.includes(name) }), h('label', { for: id }, label));
  };
  const errorEl = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const row = h('fieldset', { class: 'group' }, h('legend', {}, 'Events'),
    box(ALL, 'Everything (* — all but credential.resolved)'),
    EVENT_TYPES.map((t) => box(t, t === 'credential.resolved' ? `${t} (every read of a secret; only when ticked)` : t)),
    errorEl);
  return {
    row,
    input: row.querySelector('input'),
    values: () => [...row.querySelectorAll('input:checked')].map((i) => i.value),
    setError: (message) => { errorEl.textContent = message || ''; errorEl.hidden = !message; },
  };
}

function formFields(w = {}) {
  return {
    url: field('URL', text({ value: w.url || '', required: true, placeholder: 'https://hooks.example.com/mailkeys' }),
      { help: 'Receives a POST per event. https in production; never a private or loopback address there.' }),
    events: eventsField(w.events),
    description: field('Description', text({ value: w.description || '' })),
  };
}

function openCreate() {
  const f = formFields();
  formDialog('Create webhook endpoint', {
    fields: Object.values(f),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const answer = await api('POST', WEBHOOKS, {
        url: f.url.input.value.trim(), events: f.events.values(), description: f.description.input.value,
      });
      d.close();
      showOnce(`Endpoint ${answer.url} created`, answer.secret, WARNING);
      reload();
    },
  });
}

function openEdit(w) {
  const f = formFields(w);
  const same = (a, b) => [...a].sort().join() === [...b].sort().join();
  formDialog(`Edit ${w.url}`, {
    fields: Object.values(f),
    submitLabel: 'Save',
    named: f,
    submit: async ({ d, status }) => {
      const patch = {};
      if (f.url.input.value.trim() !== w.url) patch.url = f.url.input.value.trim();
      if (!same(f.events.values(), w.events)) patch.events = f.events.values();
      if (f.description.input.value !== w.description) patch.description = f.description.input.value;
      if (Object.keys(patch).length === 0) {
        status.replaceChildren(h('p', { class: 'notice' }, NOTHING_CHANGED));
        return;
      }
      await api('PATCH', `${WEBHOOKS}/${w.id}`, patch);
      d.close();
      reload();
    },
  });
}

async function setEnabled(w, enabled) {
  const done = await act(list, enabled ? 'Enabling…' : 'Disabling…', () => api('PATCH', `${WEBHOOKS}/${w.id}`, { enabled }));
  if (done.ok) reload();
}

async function test(w) {
  const done = await act(list, 'Sending a test event…', () => api('POST', `${WEBHOOKS}/${w.id}/test`));
  if (!done.ok) return;
  const result = done.value;
  const d = dialog(`Test of ${w.url}`);
  d.body.append(
    h('div', { class: `result ${result.delivered ? 'ok' : 'failed'}`, role: 'status' },
      h('p', {}, h('strong', {}, result.delivered ? 'Delivered' : 'Not delivered'),
        result.status_code ? ` — the receiver answered ${result.status_code}.` : '.'),
      result.error ? h('p', {}, result.error) : null),
    h('div', { class: 'actions' }, button('Done', () => d.close(), { kind: 'primary' })));
}

function showDeliveries(w) {
  const d = dialog(`Deliveries to ${w.url}`);
  const body = h('div', { class: 'list' });
  d.body.append(body, h('div', { class: 'actions' }, button('Done', () => d.close(), { kind: 'primary' })));
  const load = (cursor) => loadInto(body,
    () => api('GET', `${WEBHOOKS}/${w.id}/deliveries${pageQuery(25, cursor)}`),
    (answer) => h('div', {}, table([
      ['At', (x) => when(x.at)],
      ['Type', (x) => h('code', {}, x.type)],
      ['Attempt', (x) => String(x.attempt)],
      ['Status', (x) => orDash(x.status_code)],
      ['Error', (x) => orDash(x.error)],
      ['Event id', (x) => h('code', {}, x.event_id)],
    ], answer.items, 'No deliveries in the last 30 days.'), pager(cursor, answer.next_cursor, load)));
  load();
}

async function rotateSecret(w) {
  const sure = await confirm(`Rotate the secret of ${w.url}?`,
    'A new secret signs from now on; the old one keeps signing beside it for 24 hours, so the receiver can move over.',
    'Rotate');
  if (!sure) return;
  const done = await act(list, 'Rotating…', () => api('POST', `${WEBHOOKS}/${w.id}/rotate-secret`));
  if (done.ok) showOnce(`New secret for ${w.url}`, done.value.secret, WARNING);
}

async function remove(w) {
  const sure = await confirm(`Delete ${w.url}?`, 'Nothing more is sent to it. This cannot be undone.', 'Delete');
  if (!sure) return;
  const done = await act(list, 'Deleting…', () => api('DELETE', `${WEBHOOKS}/${w.id}`));
  if (done.ok) reload();
}
