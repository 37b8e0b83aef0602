// The audit trail: newest first, filters (resource id, event type, time
// range), paging by cursor.
import { api } from '../api.js';
import { h, add, pageAllowed, loadInto, table, field, text, select, button, when } from '../ui.js';

const ADMIN = 'admin';
const EVENT_TYPES = ['ACCOUNT_CREATED', 'API_KEY_CREATED', 'API_KEY_UPDATED', 'API_KEY_REVOKED', 'API_KEY_ROTATED',
  'EMAIL_PROVIDER_CREATED', 'EMAIL_PROVIDER_UPDATED', 'EMAIL_PROVIDER_DELETED', 'EMAIL_PROVIDER_TESTED',
  'PROVIDER_CREDENTIAL_CREATED', 'PROVIDER_CREDENTIAL_UPDATED', 'PROVIDER_CREDENTIAL_ROTATED',
  'PROVIDER_CREDENTIAL_DELETED', 'PROVIDER_CREDENTIAL_TESTED', 'CREDENTIAL_RESOLVED', 'API_KEY_EXPOSED',
  'API_KEY_EXPIRING', 'WEBHOOK_CREATED', 'WEBHOOK_UPDATED', 'WEBHOOK_SECRET_ROTATED', 'WEBHOOK_DELETED',
  'WEBHOOK_DISABLED'];
const PAGE_SIZE = 25;

let list;
let filters;

export function render(page) {
  if (!pageAllowed(page, ADMIN)) return;
  filters = {
    resource_id: field('Resource ID', text({ placeholder: '1, pc_…, key_…' })),
    event_type: field('Event type', select([['', 'Any'], ...EVENT_TYPES.map((t) => [t, t])], '')),
    since: field('Since', h('input', { type: 'datetime-local' })),
    until: field('Until', h('input', { type: 'datetime-local' })),
  };
  const form = h('form', { class: 'filters', role: 'search' },
    Object.values(filters).map((f) => f.row),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply')));
  form.addEventListener('submit', (event) => { event.preventDefault(); reload(); });
  list = h('div', { class: 'list' });
  add(page, form, list);
  reload();
}

/** The query of the filters; local times become RFC 3339 instants. */
function query(cursor) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const resource = filters.resource_id.input.value.trim();
  if (resource) params.set('resource_id', resource);
  if (filters.event_type.input.value) params.set('event_type', filters.event_type.input.value);
  for (const name of ['since', 'until']) {
    const local = filters[name].input.value;
    if (local) params.set(name, new Date(local).toISOString());
  }
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

function reload(cursor) {
  return loadInto(list, () => api('GET', `/api/audit-events?${query(cursor)}`), (page) => h('div', {},
    table([
      ['Time', (e) => when(e.created_at)],
      ['Event', (e) => h('code', {}, e.event_type)],
      ['Resource', (e) => [e.resource_type, ' ', h('code', {}, e.resource_id)]],
      // The resource's version the change wrote: a resource's trail is in this order.
      ['Version', (e) => (e.version === undefined ? '—' : String(e.version))],
      ['Changed fields', (e) => (e.changed_fields && e.changed_fields.length ? e.changed_fields.join(', ') : '—')],
      ['Details', details],
      ['Actor', (e) => h('code', {}, e.actor_key_id || '—')],
      ['Request ID', (e) => h('code', {}, e.request_id || '—')],
    ], page.events, 'No audit events match.'),
    h('div', { class: 'pager' },
      cursor ? button('Newest', () => reload()) : null,
      page.next_cursor ? button('Older', () => reload(page.next_cursor)) : null)));
}

/** What else a record names: outcome, purpose, key prefix, related resource, an overlap's end. */
function details(e) {
  const parts = [];
  if (e.outcome) parts.push(`outcome ${e.outcome}`);
  if (e.purpose) parts.push(`purpose ${e.purpose}`);
  if (e.key_prefix) parts.push(`key ${e.key_prefix}`);
  if (e.related_resource_id) parts.push(`related ${e.related_resource_id}`);
  // A rotation with an overlap: the old key's end is no write of its own.
  if (e.old_key_expires_at) parts.push(`old key works until ${new Date(e.old_key_expires_at).toLocaleString()}`);
  return parts.length ? parts.join(' · ') : '—';
}
