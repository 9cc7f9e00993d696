// The API contract, applied to every route centrally as it is registered (an onRoute hook), so feature
// routes declare only what is theirs (params, body, 2xx) and every operation still gets:
//   - its operationId, tag and summary from the table in operations.ts (start-up fails without an entry);
//   - every error answer it can give, as problem+json with the Problem schema and an example: 400 always
//     (Fastify checks the URL, and the body of any method that has one), 401 and 403 when it declares
//     access, 413 and 415 when it takes a body, 429 with Retry-After (the rate limit covers every route),
//     and the statuses its table entry lists (404, 409, 412, 503);
//   - a description of its success answer instead of "Default Response".
// (The one If-Match schema is src/trail-request/schema.ts IfMatchHeaders, which every route that reads it uses.)
// It also answers 405 with Allow (problem+json) for a method a known path does not have.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { TProperties, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AppError, ERROR_CATALOGUE, type ErrorCode, ProblemSchema } from '../errors.ts';
import { sharedRef } from '../schema-ref.ts';
import { OPERATIONS, type OperationEntry } from './operations.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const EXAMPLE_DETAIL: Record<number, { code: ErrorCode; detail: string; errors?: object[] }> = {
  400: {
    code: 'validation_failed',
    detail: 'The request is not valid; see errors for each field.',
    errors: [{ path: '/homeRegion', message: 'must be one of the AWS regions' }],
  },
  401: { code: 'unauthorized', detail: 'A valid bearer token is required.' },
  403: { code: 'account_not_in_scope', detail: 'You are not granted access to account 123456789012.' },
  404: { code: 'trail_request_not_found', detail: 'Account 123456789012 has no trail request' },
  409: {
    code: 'operation_in_progress',
    detail: 'Account 123456789012 has a queued or running operation; retry later or allow waiting.',
  },
  412: {
    code: 'etag_mismatch',
    detail: 'If-Match "v1" does not match the current ETag "v2": the trail request changed meanwhile',
  },
  413: { code: 'body_too_large', detail: 'Request body is too large' },
  428: {
    code: 'if_match_required',
    detail:
      'The trail request of 123456789012 exists (ETag "v2"); send If-Match with the ETag of the version you are replacing',
  },
  415: { code: 'unsupported_media_type', detail: 'Unsupported Media Type' },
  429: { code: 'rate_limited', detail: 'Rate limit of 300 requests per 1 minute exceeded; retry later.' },
  503: { code: 'not_ready', detail: 'database: database unreachable' },
};

const STATUS_DESCRIPTION: Record<number, string> = {
  400: 'Bad request: validation_failed lists each field in errors[] (JSON pointer, reason, part)',
  401: 'No valid bearer token (WWW-Authenticate says why)',
  403: "The caller's role or account scope does not allow this",
  404: 'Not found',
  409: 'Conflict with the state of the resource',
  412: 'If-Match does not name the current ETag',
  413: 'The body is larger than BODY_LIMIT_BYTES',
  428: 'If-Match is required: an update must name the version it replaces',
  415: 'The body has a Content-Type the route does not accept (send application/json)',
  429: 'Rate limited: retry after Retry-After seconds',
  503: 'Not ready',
};

/** One error answer as the document shows it (and Fastify serializes it). */
export function problemResponse(status: number) {
  const ex = EXAMPLE_DETAIL[status];
  const codes = (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter(
    (c) => ERROR_CATALOGUE[c].status === status,
  );
  const code = ex?.code ?? codes[0] ?? 'bad_request';
  const example = {
    type: `https://trailwarden.dev/problems/${code}`,
    title: status === 400 ? 'Validation failed' : 'Error',
    status,
    detail: ex?.detail ?? ERROR_CATALOGUE[code].meaning,
    instance: '/v1/accounts/123456789012/trail',
    code,
    ...(ex?.errors ? { errors: ex.errors } : {}),
  };
  const headers =
    status === 429
      ? {
          'retry-after': {
            type: 'integer',
            minimum: 0,
            description: 'Seconds until the caller may send again',
          },
        }
      : status === 401
        ? { 'www-authenticate': { type: 'string', description: 'Bearer realm="trailwarden", error=…' } }
        : undefined;
  return {
    description: `${STATUS_DESCRIPTION[status] ?? 'Error'}. Codes: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    ...(headers ? { headers } : {}),
    // The one Problem schema (a shared schema): the document names it once, every error answer refers to it.
    content: { 'application/problem+json': { schema: sharedRef(ProblemSchema), example } },
  };
}

type Schema = Record<string, unknown>;
/** The shared schemas by $id (the app's addSchema'd ones), which a `$ref` in a route schema names. */
type Shared = Readonly<Record<string, unknown>>;
type RouteSchema = Schema & { response?: Record<string, unknown>; headers?: unknown };

/** The error statuses a route can answer, by the rules above. */
export function problemStatuses(route: RouteOptions, entry: OperationEntry): number[] {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = new Set<number>([400, 429]);
  if ((route.config as { access?: unknown } | undefined)?.access) {
    statuses.add(401);
    statuses.add(403);
  }
  if (methods.some((m) => BODY_METHODS.has(m))) {
    statuses.add(413);
    statuses.add(415);
  }
  for (const s of entry.problems ?? []) statuses.add(s);
  return [...statuses].sort();
}

function isProblemResponse(r: unknown): boolean {
  const content = (r as { content?: Record<string, unknown> } | undefined)?.content;
  if (content) return 'application/problem+json' in content;
  return (r as { title?: unknown } | undefined)?.title === 'Problem';
}

/** A plausible value of a schema, built from its own examples, defaults, formats and bounds. */
function sampleOf(shared: Shared, schema: unknown, depth = 0): unknown {
  if (schema === null || typeof schema !== 'object' || depth > 12) return undefined;
  const ref = (schema as Schema)['$ref'];
  if (typeof ref === 'string') return sampleOf(shared, shared[ref], depth);
  const s = schema as Schema & {
    examples?: unknown[];
    properties?: Record<string, unknown>;
    anyOf?: unknown[];
    enum?: unknown[];
  };
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s['example'] !== undefined) return s['example'];
  if (s['const'] !== undefined) return s['const'];
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s['default'] !== undefined) return s['default'];
  if (Array.isArray(s.anyOf)) {
    const branch = s.anyOf.find((b) => (b as Schema)['type'] !== 'null') ?? s.anyOf[0];
    return sampleOf(shared, branch, depth + 1);
  }
  switch (s['type']) {
    case 'object': {
      // Required properties only: an example shows what always comes, not every optional variant at once.
      const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (!required.has(k)) continue;
        const value = sampleOf(shared, v, depth + 1);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
    case 'array': {
      const item = sampleOf(shared, s['items'], depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'string': {
      // JSON carried in a string (an SSE data line): the example of its content, serialized.
      if (s['contentMediaType'] === 'application/json' && s['contentSchema']) {
        const inner = sampleOf(shared, s['contentSchema'], depth + 1);
        return inner === undefined ? undefined : JSON.stringify(inner);
      }
      const format = s['format'];
      if (format === 'date-time') return '2026-11-30T03:00:00.000Z';
      if (format === 'uuid') return '0f8fad5b-d9cb-469f-a165-70867728950e';
      if (typeof s['pattern'] === 'string' && s['pattern'].includes('[0-9]{12}')) return '123456789012';
      return 'string';
    }
    case 'integer':
    case 'number':
      return typeof s['minimum'] === 'number' ? s['minimum'] : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** An example for a success answer, when the sample satisfies the schema (else none: better than a wrong one). */
function withExample(shared: Shared, media: unknown): unknown {
  const m = media as { schema?: unknown; example?: unknown } | undefined;
  if (!m?.schema || m.example !== undefined) return media;
  try {
    const example = sampleOf(shared, m.schema);
    if (example !== undefined && Value.Check(shared as TProperties, m.schema as TSchema, example))
      return { ...m, example };
  } catch {
    // A schema TypeBox cannot check: no example.
  }
  return media;
}

function withOkDescription(shared: Shared, r: unknown, description: string): unknown {
  if (r === null || typeof r !== 'object') return r;
  const res = r as Schema;
  const content = res['content'] as Record<string, unknown> | undefined;
  if (content) {
    const examples = Object.fromEntries(
      Object.entries(content).map(([type, m]) => [type, withExample(shared, m)]),
    );
    return {
      ...res,
      description: typeof res['description'] === 'string' ? res['description'] : description,
      content: examples,
    };
  }
  // A bare schema: wrap it, so the description is the response's and not the schema's.
  if (res['type'] === 'null') return { ...res, description };
  return { description, content: { 'application/json': withExample(shared, { schema: res }) } };
}

function isDocumented(route: RouteOptions, skipPrefixes: readonly string[]): boolean {
  if ((route.schema as { hide?: boolean } | undefined)?.hide) return false;
  return !skipPrefixes.some((p) => route.url === p || route.url.startsWith(`${p}/`));
}

/** METHOD path keys of the routes the table covers, for the integrator and the tests. */
export const documentedRouteKeys = (): string[] => Object.keys(OPERATIONS);

/** Path pattern → methods, for 405. */
interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

function patternOf(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((seg) =>
      seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

export class MethodNotAllowedError extends AppError {
  readonly allow: string[];
  constructor(method: string, allow: string[]) {
    super(
      405,
      'method_not_allowed',
      'Method not allowed',
      `${method} is not allowed here; use ${allow.join(', ')}`,
    );
    this.allow = allow;
  }
}

/**
 * Installs the onRoute hook (call before any route is registered, after the shared schemas: a success
 * answer's example follows their $refs) and the 405 check. Routes under
 * `skipPrefixes` (swagger-ui) and routes hidden from the document need no table entry.
 */
export function installContract(
  app: FastifyInstance,
  opts: { skipPrefixes?: string[]; operations?: Record<string, OperationEntry> } = {},
): void {
  const skipPrefixes = opts.skipPrefixes ?? ['/docs'];
  const table = { ...OPERATIONS, ...opts.operations };
  // Routes without an entry, reported together when the app gets ready (so ready()/listen() fail).
  const unnamed: string[] = [];
  app.addHook('onReady', async () => {
    if (unnamed.length > 0) {
      throw new Error(
        `routes without an entry in src/openapi/operations.ts (give each an operationId, tag and summary there): ${unnamed.join('; ')}`,
      );
    }
  });
  const paths = new Map<string, PathMethods>();

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = paths.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
    for (const m of methods) known.methods.add(m);
    paths.set(route.url, known);

    if (methods.includes('HEAD') || !isDocumented(route, skipPrefixes)) return;
    const key = `${methods.join(',')} ${route.url}`;
    const entry = table[key];
    if (!entry) {
      unnamed.push(key);
      return;
    }
    const schema = (route.schema ?? {}) as RouteSchema;
    const response: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(schema.response ?? {})) {
      response[status] = /^[23]/.test(status) ? withOkDescription(app.getSchemas(), r, entry.ok) : r;
    }
    // A redirect (a deprecated path's 308) is the success answer of its route.
    if (!Object.keys(response).some((s) => /^[23]/.test(s))) {
      throw new Error(`route ${key} declares no 2xx or 3xx response schema`);
    }
    for (const status of problemStatuses(route, entry)) {
      const own = response[String(status)];
      if (own === undefined || isProblemResponse(own)) response[String(status)] = problemResponse(status);
    }
    route.schema = {
      ...schema,
      operationId: entry.operationId,
      tags: [entry.tag],
      summary: (schema['summary'] as string | undefined) ?? entry.summary,
      response,
    };
  });

  // 405 before anything else looks at the request: an unknown method on a known path (TRACE, QUERY…).
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.is404) return;
    const path = req.url.split('?', 1)[0] ?? '';
    const allow = new Set<string>();
    for (const { pattern, methods } of paths.values()) {
      if (pattern.test(path)) for (const m of methods) allow.add(m);
    }
    if (allow.size === 0 || allow.has(req.method)) return;
    const allowed = [...allow].sort();
    reply.header('allow', allowed.join(', '));
    throw new MethodNotAllowedError(req.method, allowed);
  });
}
