// The API, from the browser: same origin, the signed-in key as a bearer
// token, and every error in the service's own body turned into ApiError.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, requestId, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    // The request field a 400 is about, as the error body names it.
    this.field = field;
  }
}

/** Calls the API; resolves to the parsed JSON (null for an empty answer). */
export async function api(method, path, body, key = session.key) {
  return (await call(method, path, body, key)).data;
}

/**
 * A page of a list answered as a bare array (email providers): its items,
 * and the cursor of the next page from the `Link: <...>; rel="next"` header.
 */
export async function apiPage(path) {
  const { data, response } = await call('GET', path);
  const link = response.headers.get('Link') || '';
  const next = link.match(/<([^>]*)>\s*;\s*rel="next"/);
  const nextCursor = next ? new URL(next[1], window.location.origin).searchParams.get('cursor') : null;
  return { items: data || [], nextCursor };
}

async function call(method, path, body, key = session.key) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service cannot be reached. Check your connection and try again.');
  }
  const requestId = response.headers.get('X-Request-Id');
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return { data, response };
  const error = data && data.error ? data.error : {};
  const apiError = new ApiError(response.status, error.code || 'HTTP_' + response.status,
    error.message || `The service answered ${response.status}.`, requestId, error.field || null);
  // A refused key ends the session, wherever it happens.
  if (response.status === 401 && key === session.key) session.signOut('Your key was refused (401). Sign in again.');
  throw apiError;
}
