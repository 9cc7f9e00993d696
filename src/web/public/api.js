// The API client: same-origin fetch with the bearer token (when the user gave one), JSON in and
// out, problem+json errors as ApiError. Server-sent events are read with fetch (EventSource cannot
// send an Authorization header).

const TOKEN_KEY = 'trailwarden.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || null,
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.code = this.problem.code ?? `http_${status}`;
    this.errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/**
 * @param {Record<string, string>} [headers]
 * @returns {Record<string, string>}
 */
function authHeaders(headers = {}) {
  const t = token.get();
  return t ? { ...headers, authorization: `Bearer ${t}` } : headers;
}

/**
 * @typedef {object} ApiOptions
 * @property {string} [method]
 * @property {unknown} [body] sent as JSON
 * @property {Record<string, string>} [headers]
 * @property {AbortSignal} [signal]
 */

/** A fetch the caller aborted (an AbortSignal's DOMException), as opposed to a network failure. */
export function isAbortError(err) {
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/**
 * api('/v1/…', { method, body, headers }) → { data, status, headers } or throws ApiError.
 * @param {string} path
 * @param {ApiOptions} [options]
 * @returns {Promise<{ data: any, status: number, headers: Headers }>}
 */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const h = authHeaders({ accept: 'application/json', ...headers });
  if (body !== undefined) h['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw new ApiError(0, { code: 'network_error', detail: 'The service could not be reached.' });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, status: res.status, headers: res.headers };
}

/** A message for an error that names no field. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return String(err?.message ?? err);
  if (err.status === 401) return 'You are not signed in, or your token expired: use “Sign in” at the top.';
  if (err.status === 403) return `You are not allowed to do this. ${err.message}`;
  return err.message;
}

function parseBlock(block) {
  const event = { id: undefined, event: 'message', data: '' };
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') event.id = value;
    else if (field === 'event') event.event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  try {
    event.data = JSON.parse(text);
  } catch {
    event.data = text;
  }
  return event;
}

/**
 * Follows an operation's server-sent events until its `end` event. Calls onEvent(engineEvent, seq)
 * for each engine event and resolves with the operation the `end` event carries. Reconnects with
 * Last-Event-ID when the stream drops before the end (a restart of the service, a proxy timeout).
 */
/**
 * @param {string} operationId
 * @param {{ onEvent?: (event: any, seq: number) => void, signal?: AbortSignal }} [options]
 */
export async function followOperation(operationId, { onEvent = () => {}, signal } = {}) {
  let lastId = 0;
  let failures = 0;
  for (;;) {
    let res;
    try {
      res = await fetch(`/v1/operations/${encodeURIComponent(operationId)}/events`, {
        headers: authHeaders({
          accept: 'text/event-stream',
          ...(lastId ? { 'last-event-id': String(lastId) } : {}),
        }),
        signal,
      });
    } catch (err) {
      if (isAbortError(err)) throw err;
      res = null;
    }
    if (res && !res.ok) {
      let problem = null;
      try {
        problem = await res.json();
      } catch {}
      throw new ApiError(res.status, problem);
    }
    if (res?.body) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (!event) continue;
          if (event.event === 'end') {
            // Release the connection now: a body left unread keeps it from the browser's pool (six
            // per host), and a few followed operations would leave no connection for the next page.
            await reader.cancel().catch(() => {});
            return event.data;
          }
          if (event.event === 'engine-event') {
            const seq = Number(event.id);
            if (Number.isInteger(seq) && seq > lastId) lastId = seq;
            failures = 0;
            onEvent(event.data, seq);
          }
        }
      }
    }
    failures += 1;
    if (failures > 5) throw new ApiError(0, { detail: 'Lost the connection to the event stream.' });
    await new Promise((resolve) => setTimeout(resolve, 1000 * failures));
  }
}
