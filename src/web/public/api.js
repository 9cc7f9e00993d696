// The API client: same-origin fetch with the bearer token (when the user gave one), JSON in and
// out, problem+json errors as ApiError. Server-sent events are read with fetch (EventSource cannot
// send an Authorization header).

/** @typedef {import('./types.d.ts').Issue} Issue */
/** @typedef {import('./types.d.ts').Operation} Operation */

/**
 * The problem+json body of an error answer (src/errors.ts), or what the client puts in its place
 * (a network failure, a body that was not JSON): every member may be missing.
 * @typedef {{ code?: string, title?: string, detail?: string, errors?: unknown }} ProblemBody
 */

const TOKEN_KEY = 'trailwarden.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || null,
  /** @param {string} value */
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status; 0 when there was no answer
   * @param {ProblemBody | null} problem
   */
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    /** @type {ProblemBody} */
    this.problem = problem ?? {};
    /** @type {string} */
    this.code = this.problem.code ?? `http_${status}`;
    /** @type {Issue[]} the field errors of a 400 (validation_failed) */
    this.errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/**
 * An error answer's body as the problem it is meant to be: an object, else nothing.
 * @param {unknown} body parsed JSON
 * @returns {ProblemBody | null}
 */
function problemOf(body) {
  // Members are read with ?. and checked where used (errors with Array.isArray).
  return body !== null && typeof body === 'object' ? /** @type {ProblemBody} */ (body) : null;
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

/**
 * A fetch the caller aborted (an AbortSignal's DOMException), as opposed to a network failure.
 * @param {unknown} err
 */
export function isAbortError(err) {
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/**
 * A member of a parsed JSON value, when it is an object (engine events and the OpenAPI document are typed loosely).
 * @param {unknown} value
 * @param {string} key
 * @returns {unknown}
 */
export function member(value, key) {
  return value !== null && typeof value === 'object'
    ? /** @type {Record<string, unknown>} */ (value)[key]
    : undefined;
}

/**
 * api('/v1/…', { method, body, headers }) → { data, status, headers } or throws ApiError. `data` is
 * the parsed JSON (null for an empty body): callers name its schema type (types.d.ts), as a
 * generated client does.
 * @param {string} path
 * @param {ApiOptions} [options]
 * @returns {Promise<{ data: unknown, status: number, headers: Headers }>}
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
  /** @type {unknown} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!res.ok) throw new ApiError(res.status, problemOf(data));
  return { data, status: res.status, headers: res.headers };
}

/**
 * A message for an error that names no field.
 * @param {unknown} err
 * @returns {string}
 */
export function describeError(err) {
  if (!(err instanceof ApiError))
    return String(err !== null && typeof err === 'object' && 'message' in err ? (err.message ?? err) : err);
  if (err.status === 401) return 'You are not signed in, or your token expired: use “Sign in” at the top.';
  if (err.status === 403) return `You are not allowed to do this. ${err.message}`;
  return err.message;
}

/**
 * One server-sent event of a stream (the lines between blank lines); null when it carries no data.
 * @param {string} block
 * @returns {{ id: string | undefined, event: string, data: unknown } | null}
 */
function parseBlock(block) {
  /** @type {{ id: string | undefined, event: string, data: unknown }} */
  const event = { id: undefined, event: 'message', data: '' };
  /** @type {string[]} */
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
 * @param {string} operationId
 * @param {{ onEvent?: (event: unknown, seq: number) => void, signal?: AbortSignal }} [options]
 * @returns {Promise<Operation | null>} null when the end event carried no operation
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
      /** @type {unknown} */
      let problem = null;
      try {
        problem = await res.json();
      } catch {}
      throw new ApiError(res.status, problemOf(problem));
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
            // The end event's data: the operation as GET /v1/operations/{id} shows it, or null
            // (src/operations/routes.ts).
            const op = event.data;
            return op !== null && typeof op === 'object' ? /** @type {Operation} */ (op) : null;
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
