// Provider credentials of the signed-in account: search, create, edit the
// non-secret fields, rotate, test, delete.
import { api } from '../api.js';
import { session } from '../session.js';
import {
  h, add, clear, button, needsNote, pageAllowed, loadInto, table, field, text, secret, number, select,
  formDialog, confirm, act,
} from '../ui.js';
import { lastTest, outcome, changes, secretFollowsDestination, pager, pageQuery, NOTHING_CHANGED } from './common.js';

const READ = 'ProviderCredentialsRead';
const WRITE = 'ProviderCredentialsWrite';
const KINDS = [['imap', 'IMAP'], ['smtp', 'SMTP']];
const SECURITY = [['ssl_tls', 'SSL/TLS'], ['starttls', 'STARTTLS'], ['none', 'None']];
const AUTH = [['password', 'Password'], ['oauth2', 'OAuth2']];
const PAGE_SIZE = 20;
const DESTINATION_RULE = 'Required because host, port or security mode changed: a stored secret only goes '
  + 'to the server it was given for, so enter it again for the new destination.';
const SECRET_HELP = 'Only when host, port or security mode changes. To replace the secret otherwise, use Rotate.';

let list;
let filters;

const base = () => `/api/accounts/${session.me.account_id}/provider-credentials`;
const secretName = (authKind) => (authKind === 'oauth2' ? 'access_token' : 'password');
const secretLabel = (authKind) => (authKind === 'oauth2' ? 'Access token' : 'Password');

export function render(page) {
  if (!pageAllowed(page, READ)) return;
  filters = {
    provider_kind: field('Kind', select([['', 'Any'], ...KINDS], '')),
    host: field('Host', text({ placeholder: 'imap.example.com' })),
  };
  const search = h('form', { class: 'filters', role: 'search' },
    Object.values(filters).map((f) => f.row),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  search.addEventListener('submit', (event) => { event.preventDefault(); reload(); });
  list = h('div', { class: 'list' });
  add(page,
    needsNote(WRITE, 'Create, Edit, Rotate, Test and Delete'),
    h('div', { class: 'toolbar' }, button('Create', openCreate, { needs: WRITE, kind: 'primary', name: 'Create credential' })),
    search, list);
  reload();
}

/** A page of the list, or of a search when a filter is set. */
function reload(cursor) {
  const query = {};
  if (filters.provider_kind.input.value) query.provider_kind = filters.provider_kind.input.value;
  if (filters.host.input.value.trim()) query.host = filters.host.input.value.trim();
  const load = Object.keys(query).length
    ? () => api('POST', `${base()}/search`, { ...query, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) })
    : () => api('GET', `${base()}${pageQuery(PAGE_SIZE, cursor)}`);
  return loadInto(list, load, (page) => h('div', {},
    table([
      ['Kind', (c) => c.provider_kind.toUpperCase()],
      ['Host', (c) => h('code', {}, c.host)],
      ['Port', (c) => String(c.port)],
      ['Security', (c) => c.security_mode],
      ['Auth', (c) => c.auth_kind],
      ['Username', (c) => c.username_masked],
      ['Last test', (c) => lastTest(c.last_test)],
      ['Actions', (c) => h('div', { class: 'row-actions' },
        button('Edit', () => openEdit(c), { needs: WRITE, name: `Edit ${c.host}` }),
        button('Rotate', () => openRotate(c), { needs: WRITE, name: `Rotate ${c.host}` }),
        button('Test', () => runTest(c), { needs: WRITE, name: `Test ${c.host}` }),
        button('Delete', () => remove(c), { needs: WRITE, kind: 'danger', name: `Delete ${c.host}` }))],
    ], page.items, 'No provider credentials match.'),
    pager(cursor, page.next_cursor, reload)));
}


function openCreate() {
  const f = {
    provider_kind: field('Kind', select(KINDS, 'imap')),
    host: field('Host', text({ placeholder: 'imap.example.com', required: true })),
    port: field('Port', number({ min: 1, max: 65535, value: '993', required: true })),
    security_mode: field('Security mode', select(SECURITY, 'ssl_tls')),
    auth_kind: field('Auth kind', select(AUTH, 'password')),
    username: field('Username', text({ required: true })),
    password: field('Password', secret({ required: true })),
  };
  f.access_token = f.password;
  f.auth_kind.input.addEventListener('change', () => {
    f.password.row.querySelector('label').textContent = secretLabel(f.auth_kind.input.value);
  });
  formDialog('Create provider credential', {
    fields: Object.values(f).filter((x, i, all) => all.indexOf(x) === i),
    submitLabel: 'Create',
    named: f,
    submit: async ({ d }) => {
      const authKind = f.auth_kind.input.value;
      await api('POST', base(), {
        provider_kind: f.provider_kind.input.value,
        host: f.host.input.value.trim(),
        port: Number(f.port.input.value),
        security_mode: f.security_mode.input.value,
        auth_kind: authKind,
        username: f.username.input.value,
        [secretName(authKind)]: f.password.input.value,
      });
      d.close();
      reload();
    },
  });
}

function openEdit(c) {
  const secretKey = secretName(c.auth_kind);
  const f = {
    provider_kind: field('Kind', select(KINDS, c.provider_kind)),
    host: field('Host', text({ value: c.host, required: true })),
    port: field('Port', number({ min: 1, max: 65535, value: String(c.port), required: true })),
    security_mode: field('Security mode', select(SECURITY, c.security_mode)),
    [secretKey]: field(secretLabel(c.auth_kind), secret(), { help: SECRET_HELP }),
  };
  const current = () => ({
    provider_kind: f.provider_kind.input.value,
    host: f.host.input.value.trim(),
    port: f.port.input.value === '' ? undefined : Number(f.port.input.value),
    security_mode: f.security_mode.input.value,
  });
  const moved = () => {
    const now = current();
    return now.host !== c.host || now.port !== c.port || now.security_mode !== c.security_mode;
  };
  const secretField = f[secretKey];
  const waitsForSecret = secretFollowsDestination(secretField,
    ['host', 'port', 'security_mode'].map((n) => f[n].input), moved, { rule: DESTINATION_RULE, otherwise: SECRET_HELP });
  formDialog(`Edit ${c.host}`, {
    fields: Object.values(f),
    submitLabel: 'Save',
    named: f,
    submit: async ({ d, status }) => {
      const patch = changes(c, current());
      if (moved() && secretField.input.value) patch[secretKey] = secretField.input.value;
      if (Object.keys(patch).length === 0) {
        clear(status, h('p', { class: 'notice' }, NOTHING_CHANGED));
        return;
      }
      if (waitsForSecret()) {
        clear(status);
        return;
      }
      await api('PATCH', `/api/provider-credentials/${c.id}`, patch);
      d.close();
      reload();
    },
  });
}

function openRotate(c) {
  const f = {
    auth_kind: field('Auth kind', select(AUTH, c.auth_kind)),
    password: field(secretLabel(c.auth_kind), secret({ required: true }), { help: 'The new secret.' }),
    username: field('Username', text({ placeholder: c.username_masked }), { help: 'Leave blank to keep current.' }),
  };
  f.access_token = f.password;
  f.auth_kind.input.addEventListener('change', () => {
    f.password.row.querySelector('label').textContent = secretLabel(f.auth_kind.input.value);
  });
  formDialog(`Rotate ${c.host}`, {
    fields: [f.auth_kind, f.password, f.username],
    submitLabel: 'Rotate',
    named: f,
    submit: async ({ d }) => {
      const authKind = f.auth_kind.input.value;
      const body = { [secretName(authKind)]: f.password.input.value };
      if (authKind !== c.auth_kind) body.auth_kind = authKind;
      if (f.username.input.value) body.username = f.username.input.value;
      await api('POST', `/api/provider-credentials/${c.id}/rotate`, body);
      d.close();
      reload();
    },
  });
}

function runTest(c) {
  const result = h('div', { class: 'test-result' });
  formDialog(`Test ${c.host}`, {
    fields: [],
    extra: [h('p', {}, `Connects to ${c.host}:${c.port} and logs in with the stored secret.`), result],
    submitLabel: 'Test',
    submit: async () => {
      clear(result);
      clear(result, outcome(await api('POST', `/api/provider-credentials/${c.id}/test`)));
      reload();
    },
  });
}

async function remove(c) {
  const sure = await confirm(`Delete the credential for ${c.host}?`,
    'The credential and its stored secret are destroyed. This cannot be undone.', 'Delete');
  if (!sure) return;
  const done = await act(list, 'Deleting…', () => api('DELETE', `/api/provider-credentials/${c.id}`));
  if (done.ok) reload();
}
