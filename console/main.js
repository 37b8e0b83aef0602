// The console's shell: sign-in, the account bar, the page list, and the
// page of the location's hash (#/providers, #/credentials, ...).
import { api } from './api.js';
import { session } from './session.js';
import { h, clear, field, secret, errorBox } from './ui.js';
import * as providers from './pages/providers.js';
import * as credentials from './pages/credentials.js';
import * as apiKeys from './pages/api-keys.js';
import * as smtp from './pages/smtp.js';
import * as webhooks from './pages/webhooks.js';
import * as audit from './pages/audit.js';

const PAGES = [
  { path: 'providers', title: 'Email providers', page: providers },
  { path: 'credentials', title: 'Provider credentials', page: credentials },
  { path: 'api-keys', title: 'API keys', page: apiKeys },
  { path: 'smtp', title: 'SMTP credentials', page: smtp },
  { path: 'webhooks', title: 'Webhooks', page: webhooks },
  { path: 'audit', title: 'Audit trail', page: audit },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

function currentPage() {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.path === path) || PAGES[0];
}

function renderSignIn() {
  clear(nav);
  clear(who);
  const keyField = field('API key', secret({ autocomplete: 'off', required: true }), {
    help: 'Paste a Mailkeys key (pk_… or rm_…). It is kept in this tab only and forgotten when the tab closes.',
  });
  const status = h('div', { role: 'status' });
  const form = h('form', { class: 'signin', novalidate: true },
    h('h1', {}, 'Sign in'),
    session.notice ? h('p', { class: 'notice', role: 'alert' }, session.notice) : null,
    keyField.row, status,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = keyField.input.value.trim();
    keyField.setError('');
    if (!key) { keyField.setError('Paste your key first.'); keyField.input.focus(); return; }
    clear(status, h('p', { class: 'loading' }, 'Checking the key…'));
    try {
      const me = await api('GET', '/api/whoami', undefined, key);
      keyField.input.value = '';
      session.start(key, me);
    } catch (error) {
      clear(status);
      if (error.status === 401) keyField.setError('This key is not valid (unknown, revoked or expired).');
      else status.append(errorBox(error));
    }
  });
  clear(main, form);
  keyField.input.focus();
}

function renderShell() {
  const me = session.me;
  clear(who,
    h('span', { class: 'account' }, h('span', { class: 'muted' }, 'Account '), h('code', {}, me.account_id)),
    h('span', { class: 'perms', title: 'Permissions of this key' },
      me.permissions.map((p) => h('span', { class: 'tag' }, p))),
    h('button', { type: 'button', onclick: () => session.signOut() }, 'Sign out'));
  const page = currentPage();
  clear(nav, h('ul', {}, PAGES.map((p) => h('li', {},
    h('a', { href: `#/${p.path}`, 'aria-current': p === page ? 'page' : undefined }, p.title)))));
  document.title = `${page.title} · Mailkeys console`;
  clear(main, h('h1', {}, page.title));
  const body = h('div', { class: 'page' });
  main.append(body);
  page.page.render(body);
}

async function render() {
  if (session.key && !session.me) {
    // A reload in the same tab: check the kept key again.
    clear(main, h('p', { class: 'loading', role: 'status' }, 'Signing in…'));
    try {
      session.me = await api('GET', '/api/whoami');
    } catch (error) {
      if (session.key) {
        clear(main, errorBox(error, render));
        return;
      }
    }
  }
  if (session.signedIn) renderShell();
  else renderSignIn();
}

session.addEventListener('change', () => {
  document.querySelectorAll('dialog').forEach((d) => d.close());
  render();
});
window.addEventListener('hashchange', () => { if (session.signedIn) { renderShell(); main.focus(); } });
render();
