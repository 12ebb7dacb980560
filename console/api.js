// The console API client: token handling, JSON calls and one shared Server-Sent Events stream.
const token = new URLSearchParams(location.search).get('token');
const BASE = new URL('api/', new URL('.', location.href));

export class ApiError extends Error {}

function withToken(url) {
  // The cookie set with the page carries the token; the query is for browsers that refused the cookie.
  if (token) url.searchParams.set('token', token);
  return url;
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(new URL(path, BASE), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store',
  });
  if (response.status === 204) return undefined;
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message = parsed && typeof parsed.error === 'string' ? parsed.error : text.trim() || response.statusText;
    throw new ApiError(`${method} ${path}: ${response.status} ${message}`);
  }
  return parsed;
}

export const enc = encodeURIComponent;

const listeners = new Map();
let source;

/** Subscribes to one SSE event type; returns the unsubscribe function. */
export function onEvent(type, handler) {
  if (!listeners.has(type)) {
    listeners.set(type, new Set());
    source?.addEventListener(type, dispatch);
  }
  listeners.get(type).add(handler);
  return () => listeners.get(type)?.delete(handler);
}

function dispatch(event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  for (const handler of listeners.get(event.type) ?? []) handler(data);
}

/** Opens the stream once; EventSource reconnects by itself, and onState reports whether it is live. */
export function connectEvents(onState) {
  source = new EventSource(withToken(new URL('events', BASE)).href);
  for (const type of listeners.keys()) source.addEventListener(type, dispatch);
  source.addEventListener('open', () => onState('live'));
  source.addEventListener('error', () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
}
