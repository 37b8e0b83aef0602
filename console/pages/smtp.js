// SMTP credentials (docs/api/smtp-credentials.md): connection info, keys with
// scopes, last use and networks (overlapping pairs together), create, edit
// name and networks, rotate (optionally keeping the old key a while; the new
// key shown once), revoke, mobile keys.
import { api } from '../api.js';
import { session } from '../session.js';
import {
  h, add, button, pageAllowed, loadInto, table, field, text, select, checkboxGroup,
  formDialog, confirm, act, showOnce, when,
} from '../ui.js';
import {
  orDash, pager, pageQuery, lastUse, networks, networksField, networksOf, patchNetworks, pairsTogether, overlapNote, rotateDialog,
  NOTHING_CHANGED, exposureNotice,
} from './common.js';

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
  const notice = h('div', { class: 'notices' });
  add(page, notice, h('div', { class: 'toolbar' },
    button('Create', openCreate, { kind: 'primary', name: 'Create SMTP credential' }),
    button('Mobile key', openMobile, { name: 'Create a mobile key' })), list);
  exposureNotice(notice);
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
      ['Name', (k) => h('span', {}, k.name, ' ', overlapNote(k, answer.keys))],
      ['Scopes', (k) => k.scopes.map((s) => h('span', { class: 'tag' }, s))],
      ['Device', (k) => (k.platform ? `${k.platform} · ${orDash(k.deviceId)}` : '—')],
      ['Allowed from', networks],
      ['Created', (k) => when(k.createdAt)],
      ['Last used', lastUse],
      ['Actions', (k) => h('div', { class: 'row-actions' },
        button('Edit', () => openEdit(k), { name: `Edit ${k.name}` }),
        k.replacedBy ? null : button('Rotate', () => openRotate(k), { name: `Rotate ${k.name}` }),
        button('Revoke', () => revoke(k), { kind: 'danger', name: `Revoke ${k.name}` }))],
    ], pairsTogether(answer.keys), 'No active SMTP credentials.'),
    pager(cursor, answer.nextCursor, reload)));
}


function openCreate() {
  const f = {
    name: field('Name', text({ required: true, placeholder: 'Thunderbird' })),
    scopes: checkboxGroup('Scopes', SCOPES, ['smtp', 'imap']),
    allowedCidrs: networksField(),
  };
  formDialog('Create SMTP credential', {
    fields: Object.values(f),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const key = await api('POST', BASE, {
        name: f.name.input.value, scopes: f.scopes.values(), allowedCidrs: networksOf(f.allowedCidrs),
      });
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

function openEdit(k) {
  const f = {
    name: field('Name', text({ value: k.name, required: true })),
    allowedCidrs: networksField(k.allowedCidrs),
  };
  formDialog(`Edit ${k.name}`, {
    fields: Object.values(f),
    submitLabel: 'Save',
    named: f,
    submit: async ({ d, status }) => {
      const patch = {};
      if (f.name.input.value !== k.name) patch.name = f.name.input.value;
      patchNetworks(patch, f.allowedCidrs, k);
      if (Object.keys(patch).length === 0) {
        status.replaceChildren(h('p', { class: 'notice' }, NOTHING_CHANGED));
        return;
      }
      await api('PATCH', `${BASE}/${k.id}`, patch);
      d.close();
      reload();
    },
  });
}

function openRotate(k) {
  rotateDialog(k, {
    keeps: 'name, scopes and networks',
    warning: WARNING,
    rotate: async (body) => {
      const answer = await api('POST', `${BASE}/${k.id}/rotate`, body);
      return { name: answer.name, key: answer.apiKey, answer };
    },
    done: () => reload(),
  });
}

async function revoke(k) {
  const sure = await confirm(`Revoke ${k.name}?`, 'Mail clients using this key are refused from now on.', 'Revoke');
  if (!sure) return;
  const done = await act(list, 'Revoking…', () => api('DELETE', `${BASE}/${k.id}`));
  if (done.ok) reload();
}

