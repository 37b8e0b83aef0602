// Email providers: list, create, the Edit dialog that follows the PATCH
// rules of docs/api/email-providers.md, delete, test, and the SMTP relay of SES and
// Scaleway providers.
import { api, apiPage } from '../api.js';
import {
  h, add, clear, button, needsNote, pageAllowed, loadInto, table, field, text, secret, number, checkbox, select,
  formDialog, confirm, act, dialog, errorBox,
} from '../ui.js';
import { lastTest, outcome, secretFollowsDestination, pager, pageQuery, NOTHING_CHANGED } from './common.js';

const READ = 'EmailProvidersRead';
const WRITE = 'EmailProvidersWrite';
const TYPES = [['ses', 'AWS SES'], ['scaleway', 'Scaleway'], ['smtp', 'SMTP']];
const ENCRYPTIONS = [['starttls', 'STARTTLS'], ['tls', 'TLS'], ['none', 'None']];
const KEEP = 'Leave blank to keep current.';
const DESTINATION_RULE = 'Required because host, port or encryption changed, or certificate checks were turned '
  + 'off: a stored password only goes to the server it was given for, so enter it again for the new destination.';

let list;

export function render(page) {
  if (!pageAllowed(page, READ)) return;
  list = h('div', { class: 'list' });
  add(page,
    needsNote(WRITE, 'Create, Edit, Delete and Test'),
    h('div', { class: 'toolbar' }, button('Create', openCreate, { needs: WRITE, kind: 'primary', name: 'Create provider' })),
    list);
  reload();
}

const PAGE_SIZE = 50;

function reload(cursor) {
  const path = `/api/email-providers${pageQuery(PAGE_SIZE, cursor)}`;
  return loadInto(list, () => apiPage(path), (page) => h('div', {}, table([
    ['Name', (p) => p.name],
    ['Type', (p) => typeLabel(p.provider_type)],
    ['Region', (p) => p.region],
    ['Active', (p) => (p.is_active ? 'yes' : 'no')],
    ['Credentials', (p) => masked(p.credentials)],
    ['SMTP relay', relay],
    ['Last test', (p) => lastTest(p.last_test)],
    ['Actions', (p) => h('div', { class: 'row-actions' },
      button('Edit', () => openEdit(p.id), { needs: WRITE, name: `Edit ${p.name}` }),
      button('Test', () => openTest(p), { needs: WRITE, name: `Test ${p.name}` }),
      button('Delete', () => remove(p), { needs: WRITE, kind: 'danger', name: `Delete ${p.name}` }))],
  ], page.items, 'No email providers yet. Create one to start sending.'),
  pager(cursor, page.nextCursor, reload)));
}

const typeLabel = (type) => (TYPES.find(([t]) => t === type) || [type, type])[1];

function masked(credentials) {
  return h('dl', { class: 'masked' }, Object.entries(credentials || {}).map(([name, value]) => [
    h('dt', {}, name), h('dd', {}, value === null ? 'none' : String(value))]));
}

/** SES and Scaleway: where a mail client sends through them (no secret here). */
function relay(p) {
  if (p.provider_type === 'smtp') return h('span', { class: 'muted' }, 'its own host');
  if (!p.smtp_host) return h('span', { class: 'muted' }, 'no SMTP endpoint in this region');
  const settings = `Host: ${p.smtp_host}\nPort: ${p.smtp_port}\nUsername: ${p.smtp_username}`;
  return h('div', { class: 'relay' },
    h('code', {}, `${p.smtp_host}:${p.smtp_port}`), h('span', {}, `user ${p.smtp_username}`),
    button('Copy', () => navigator.clipboard.writeText(settings).catch(() => {}),
      { name: `Copy the SMTP relay settings of ${p.name}` }));
}


function credentialFields(type, loaded) {
  const creds = loaded ? loaded.credentials : {};
  const keep = loaded ? { help: KEEP } : {};
  if (type === 'ses') {
    return {
      access_key_id: field('Access key ID', text({ placeholder: loaded ? creds.access_key_id : 'AKIA…' }),
        loaded ? { help: `${KEEP} To change the keys, enter both.` } : {}),
      secret_access_key: field('Secret access key', secret(), keep),
    };
  }
  if (type === 'scaleway') {
    return {
      api_key: field('API key', secret(), keep),
      project_id: field('Project ID', text({ value: loaded ? creds.project_id : '' })),
    };
  }
  return {
    host: field('Host', text({ value: loaded ? creds.host : '', placeholder: 'smtp.example.com' })),
    port: field('Port', number({ min: 1, max: 65535, value: String(loaded ? creds.port : 587) })),
    encryption: field('Encryption', select(ENCRYPTIONS, loaded ? creds.encryption : 'starttls')),
    accept_invalid_certs: field('Accept invalid certificates', checkbox(loaded && creds.accept_invalid_certs)),
    username: field('Username', text({ placeholder: loaded && creds.username ? creds.username : '' }), keep),
    password: field('Password', secret(), keep),
  };
}

/** The form's credential block: values as the API takes them. */
function block(type, f, { omitBlankSecrets }) {
  const value = (name) => f[name].input.value;
  if (type === 'ses') return { access_key_id: value('access_key_id').trim(), secret_access_key: value('secret_access_key') };
  if (type === 'scaleway') return { api_key: value('api_key'), project_id: value('project_id').trim() };
  const smtp = {
    host: value('host').trim(),
    port: value('port') === '' ? undefined : Number(value('port')),
    encryption: value('encryption'),
    accept_invalid_certs: f.accept_invalid_certs.input.checked,
  };
  for (const name of ['username', 'password']) {
    if (value(name) !== '' || !omitBlankSecrets) smtp[name] = value(name) === '' ? undefined : value(name);
  }
  return smtp;
}

function openCreate() {
  const common = {
    name: field('Name', text({ required: true })),
    provider_type: field('Type', select(TYPES, 'ses')),
    region: field('Region', text({ value: 'us-east-1', required: true })),
    is_active: field('Active', checkbox(true)),
  };
  let creds = credentialFields('ses');
  const credsBox = h('fieldset', {}, h('legend', {}, 'Credentials'), Object.values(creds).map((f) => f.row));
  common.provider_type.input.addEventListener('change', () => {
    creds = credentialFields(common.provider_type.input.value);
    clear(credsBox, h('legend', {}, 'Credentials'), Object.values(creds).map((f) => f.row));
  });
  const all = () => ({ ...common, ...creds });
  formDialog('Create email provider', {
    fields: Object.values(common),
    extra: credsBox,
    submitLabel: 'Create',
    named: all,
    submit: async ({ d }) => {
      const type = common.provider_type.input.value;
      await api('POST', '/api/email-providers', {
        name: common.name.input.value,
        provider_type: type,
        region: common.region.input.value.trim(),
        is_active: common.is_active.input.checked,
        [`${type}_credentials`]: block(type, creds, { omitBlankSecrets: true }),
      });
      d.close();
      reload();
    },
  });
}

async function openEdit(id) {
  const waiting = dialog('Edit email provider');
  waiting.body.append(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  let loaded;
  try {
    loaded = await api('GET', `/api/email-providers/${id}`);
  } catch (error) {
    clear(waiting.body, errorBox(error), button('Cancel', () => waiting.close()));
    return;
  }
  waiting.close();
  editDialog(loaded);
}

function editDialog(loaded) {
  const type = loaded.provider_type;
  const typeShown = h('input', { type: 'text', readOnly: true, value: typeLabel(type), 'aria-readonly': 'true' });
  const f = {
    name: field('Name', text({ value: loaded.name, required: true })),
    provider_type: field('Type', typeShown, { help: 'Immutable: the credential format is fixed at creation. To switch, delete the provider and create a new one.' }),
    region: field('Region', text({ value: loaded.region, required: true })),
    is_active: field('Active', checkbox(loaded.is_active)),
  };
  f.provider_type.row.classList.add('immutable');
  const creds = credentialFields(type, loaded);
  const credsBox = h('fieldset', {}, h('legend', {}, 'Credentials'), Object.values(creds).map((c) => c.row));
  const all = { ...f, ...creds };

  // SMTP: moving the destination, or turning certificate checks off, makes
  // the password required (when there is one).
  const hasPassword = type === 'smtp' && loaded.credentials.password !== null;
  const destinationChanged = () => type === 'smtp' && (
    creds.host.input.value.trim() !== loaded.credentials.host
    || Number(creds.port.input.value) !== loaded.credentials.port
    || creds.encryption.input.value !== loaded.credentials.encryption
    || (creds.accept_invalid_certs.input.checked && !loaded.credentials.accept_invalid_certs));
  const waitsForPassword = hasPassword
    ? secretFollowsDestination(creds.password,
      ['host', 'port', 'encryption', 'accept_invalid_certs'].map((n) => creds[n].input),
      destinationChanged, { rule: DESTINATION_RULE, otherwise: KEEP })
    : () => false;

  const body = () => {
    const patch = {};
    if (f.name.input.value !== loaded.name) patch.name = f.name.input.value;
    if (f.region.input.value.trim() !== loaded.region) patch.region = f.region.input.value.trim();
    if (f.is_active.input.checked !== loaded.is_active) patch.is_active = f.is_active.input.checked;
    const current = block(type, creds, { omitBlankSecrets: true });
    const c = loaded.credentials;
    let credentialsChanged;
    if (type === 'ses') credentialsChanged = current.access_key_id !== '' || current.secret_access_key !== '';
    else if (type === 'scaleway') credentialsChanged = current.api_key !== '' || current.project_id !== c.project_id;
    else {
      credentialsChanged = destinationChanged() || current.accept_invalid_certs !== c.accept_invalid_certs
        || current.username !== undefined || current.password !== undefined;
    }
    if (credentialsChanged) patch[`${type}_credentials`] = current;
    return patch;
  };

  formDialog(`Edit ${loaded.name}`, {
    fields: Object.values(all),
    extra: credsBox,
    submitLabel: 'Save',
    named: all,
    submit: async ({ d, status }) => {
      const patch = body();
      if (Object.keys(patch).length === 0) {
        clear(status, h('p', { class: 'notice' }, NOTHING_CHANGED));
        return;
      }
      if (waitsForPassword()) {
        clear(status);
        return;
      }
      await api('PATCH', `/api/email-providers/${loaded.id}`, patch);
      d.close();
      reload();
    },
  });
}

function openTest(p) {
  const to = field('Recipient (optional)', h('input', { type: 'email', autocomplete: 'off' }),
    { help: 'Leave blank to check the credentials only; with an address, one real message is sent.' });
  const result = h('div', { class: 'test-result' });
  const { status } = formDialog(`Test ${p.name}`, {
    fields: [to],
    extra: result,
    submitLabel: 'Test',
    named: { to },
    submit: async () => {
      clear(result);
      const address = to.input.value.trim();
      const answer = await api('POST', `/api/email-providers/${p.id}/test`, address ? { to: address } : undefined);
      clear(result, outcome(answer));
      reload();
    },
  });
  return status;
}

async function remove(p) {
  const sure = await confirm(`Delete ${p.name}?`,
    'The provider and its stored credentials are destroyed. This cannot be undone.', 'Delete');
  if (!sure) return;
  const done = await act(list, 'Deleting…', () => api('DELETE', `/api/email-providers/${p.id}`));
  if (done.ok) reload();
}
