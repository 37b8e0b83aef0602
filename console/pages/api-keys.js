// Email API keys (docs/api/api-keys.md): list (last use, networks, overlapping
// pairs together), create (shown once), edit name, permissions and networks,
// rotate (optionally keeping the old key a while), revoke.
import { api } from '../api.js';
import {
  h, add, button, pageAllowed, loadInto, table, field, text, number, checkboxGroup,
  formDialog, confirm, act, showOnce, when,
} from '../ui.js';
import {
  NOTHING_CHANGED, pager, pageQuery, lastUse, networks, networksField, networksOf, patchNetworks, pairsTogether, overlapNote,
  rotateDialog, exposureNotice,
} from './common.js';

const ADMIN = 'admin';
const PERMISSIONS = ['send', 'read', 'webhooks', 'admin',
  'EmailProvidersRead', 'EmailProvidersWrite', 'ProviderCredentialsRead', 'ProviderCredentialsWrite'];
const KEYS = '/api/email/api-keys';
// the API's own warning (docs/api/api-keys.md).
export const WARNING = 'The full API key is only returned once upon creation. Store it securely as it cannot be retrieved again.';

let list;

export function render(page) {
  if (!pageAllowed(page, ADMIN)) return;
  list = h('div', { class: 'list' });
  const notice = h('div', { class: 'notices' });
  add(page, notice, h('div', { class: 'toolbar' }, button('Create', openCreate, { kind: 'primary', name: 'Create API key' })), list);
  exposureNotice(notice);
  reload();
}

const PAGE_SIZE = 50;

function reload(cursor) {
  return loadInto(list, () => api('GET', `${KEYS}${pageQuery(PAGE_SIZE, cursor)}`), (answer) => {
    const keys = answer.data.keys;
    return h('div', {}, table([
      ['Name', (k) => h('span', {}, k.name, ' ', overlapNote(k, keys))],
      ['Prefix', (k) => h('code', {}, k.prefix)],
      ['Permissions', (k) => k.permissions.map((p) => h('span', { class: 'tag' }, p))],
      ['Allowed from', networks],
      ['Created', (k) => when(k.createdAt)],
      ['Last used', lastUse],
      ['Expires', (k) => (k.expiresAt ? when(k.expiresAt) : 'never')],
      ['Actions', (k) => h('div', { class: 'row-actions' },
        button('Edit', () => openEdit(k), { name: `Edit ${k.name}` }),
        k.replacedBy ? null : button('Rotate', () => openRotate(k), { name: `Rotate ${k.name}` }),
        button('Revoke', () => revoke(k), { kind: 'danger', name: `Revoke ${k.name}` }))],
    ], pairsTogether(keys), 'No active API keys.'),
    pager(cursor, answer.data.nextCursor, reload));
  });
}


function openCreate() {
  const f = {
    name: field('Name', text({ required: true })),
    permissions: checkboxGroup('Permissions', PERMISSIONS, ['send', 'read']),
    expiresIn: field('Expires in (days)', number({ min: 1, max: 3650 }), { help: 'Leave blank for a key that does not expire.' }),
    allowedCidrs: networksField(),
  };
  formDialog('Create API key', {
    fields: Object.values(f),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const days = f.expiresIn.input.value;
      const answer = await api('POST', KEYS, {
        name: f.name.input.value,
        permissions: f.permissions.values(),
        expiresIn: days === '' ? null : Number(days),
        allowedCidrs: networksOf(f.allowedCidrs),
      });
      d.close();
      showOnce(`API key “${answer.data.name}” created`, answer.data.key, WARNING);
      reload();
    },
  });
}

function openEdit(k) {
  const f = {
    name: field('Name', text({ value: k.name, required: true })),
    permissions: checkboxGroup('Permissions', PERMISSIONS, k.permissions),
    allowedCidrs: networksField(k.allowedCidrs),
  };
  const same = (a, b) => [...a].sort().join() === [...b].sort().join();
  formDialog(`Edit ${k.name}`, {
    fields: Object.values(f),
    submitLabel: 'Save',
    named: f,
    submit: async ({ d, status }) => {
      const patch = {};
      if (f.name.input.value !== k.name) patch.name = f.name.input.value;
      if (!same(f.permissions.values(), k.permissions)) patch.permissions = f.permissions.values();
      patchNetworks(patch, f.allowedCidrs, k);
      if (Object.keys(patch).length === 0) {
        status.replaceChildren(h('p', { class: 'notice' }, NOTHING_CHANGED));
        return;
      }
      await api('PATCH', `${KEYS}/${k.id}`, patch);
      d.close();
      reload();
    },
  });
}

function openRotate(k) {
  rotateDialog(k, {
    keeps: 'name, permissions, expiry and networks',
    warning: WARNING,
    rotate: async (body) => {
      const answer = await api('POST', `${KEYS}/${k.id}/rotate`, body);
      return { name: answer.data.name, key: answer.data.key, answer: answer.data };
    },
    done: () => reload(),
  });
}

async function revoke(k) {
  const sure = await confirm(`Revoke ${k.name}?`, 'Requests with this key are refused from now on. This cannot be undone.', 'Revoke');
  if (!sure) return;
  const done = await act(list, 'Revoking…', () => api('DELETE', `${KEYS}/${k.id}`));
  if (done.ok) reload();
}
