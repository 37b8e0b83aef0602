// SMTP credentials (docs/api/smtp-credentials.md): connection info, keys with
// scopes, create and rotate (the new key shown once), revoke, mobile keys.
import { api } from '../api.js';
import { session } from '../session.js';
import {
  h, add, button, pageAllowed, loadInto, table, field, text, select, checkboxGroup,
  formDialog, confirm, act, showOnce, when,
} from '../ui.js';
import { orDash, pager, pageQuery } from './common.js';

const APP = 'app';
const SCOPES = ['smtp', 'pop3', 'imap', 'api:read', 'api:write', 'app', 'internal'];
const BASE = '/api/smtp-credentials';
// the API's own warning (docs/api/smtp-credentials.md).
const WARNING = 'The apiKey field is only returned when the key is created. Store it securely -- you will not '
  + 'be able to view it again. If lost, revoke the key and create a new one.';

let list;

export function render(page) {
  if (!pageAllowed(page, APP)) return;
  list = h('div', { class: 'list' });
  add(page, h('div', { class: 'toolbar' },
    button('Create', openCreate, { kind: 'primary', name: 'Create SMTP credential' }),
    button('Mobile key', openMobile, { name: 'Create a mobile key' })), list);
  reload();
}

const PAGE_SIZE = 50;

function reload(cursor) {
  return loadInto(list, () => api('GET', `${BASE}${pageQuery(PAGE_SIZE, cursor)}`), (answer) => h('div', {},
    h('h2', {}, 'Connection info'),
    table([
      ['Protocol', ([name]) => name.toUpperCase()],
      ['Server', ([, s]) => h('code', {}, s.serverName)],
      ['Port', ([, s]) => String(s.port)],
      ['Secure port', ([, s]) => String(s.securePort)],
      ['Enabled', ([, s]) => (s.enabled ? 'yes' : 'no')],
    ], Object.entries(answer.connectionInfo), 'No mail servers configured.'),
    // What a mail client is told to enter (the mail servers check it with Mailkeys).
    h('p', { class: 'login-help' }, 'Log in with: user name ', h('code', {}, session.me ? session.me.account_id : ''),
      ', password an SMTP credential\'s key (rm_…) with the protocol\'s scope.'),
    h('h2', {}, 'Keys'),
    table([
      ['Name', (k) => k.name],
      ['Scopes', (k) => k.scopes.map((s) => h('span', { class: 'tag' }, s))],
      ['Device', (k) => (k.platform ? `${k.platform} · ${orDash(k.deviceId)}` : '—')],
      ['Created', (k) => when(k.createdAt)],
      ['Last used', (k) => when(k.lastUsedAt)],
      ['Actions', (k) => h('div', { class: 'row-actions' },
        button('Rotate', () => rotate(k), { name: `Rotate ${k.name}` }),
        button('Revoke', () => revoke(k), { kind: 'danger', name: `Revoke ${k.name}` }))],
    ], answer.keys, 'No active SMTP credentials.'),
    pager(cursor, answer.nextCursor, reload)));
}


function openCreate() {
  const f = {
    name: field('Name', text({ required: true, placeholder: 'Thunderbird' })),
    scopes: checkboxGroup('Scopes', SCOPES, ['smtp', 'imap']),
  };
  formDialog('Create SMTP credential', {
    fields: Object.values(f),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const key = await api('POST', BASE, { name: f.name.input.value, scopes: f.scopes.values() });
      d.close();
      showOnce(`SMTP credential “${key.name}” created`, key.apiKey, WARNING);
      reload();
    },
  });
}

function openMobile() {
  const f = {
    name: field('Name', text({ required: true, placeholder: 'iPhone 15' })),
    platform: field('Platform', select([['ios', 'iOS'], ['android', 'Android']], 'ios')),
    deviceId: field('Device ID', text({ required: true })),
  };
  formDialog('Create mobile key', {
    fields: Object.values(f),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const key = await api('POST', `${BASE}/mobile`, {
        name: f.name.input.value, platform: f.platform.input.value, deviceId: f.deviceId.input.value,
      });
      d.close();
      showOnce(`Mobile key “${key.name}” created`, key.apiKey, WARNING);
      reload();
    },
  });
}

async function rotate(k) {
  const sure = await confirm(`Rotate ${k.name}?`,
    'A new key with the same name and scopes replaces this one, which is refused from now on.', 'Rotate');
  if (!sure) return;
  const done = await act(list, 'Rotating…', () => api('POST', `${BASE}/${k.id}/rotate`));
  if (!done.ok) return;
  showOnce(`New key for “${done.value.name}”`, done.value.apiKey, WARNING);
  reload();
}

async function revoke(k) {
  const sure = await confirm(`Revoke ${k.name}?`, 'Mail clients using this key are refused from now on.', 'Revoke');
  if (!sure) return;
  const done = await act(list, 'Revoking…', () => api('DELETE', `${BASE}/${k.id}`));
  if (done.ok) reload();
}

