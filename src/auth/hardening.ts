// Hardening that is not about who may call what: rate limits per principal, security headers and a
// strict CSP, request body limits, and the pino redaction of secrets.
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import { AppError, type ErrorCode } from '../errors.ts';
import {
  checkBounds,
  type SchemaRefs,
  type SchemaViolation,
  withoutPrimitiveUniqueItems,
} from '../schema-bounds.ts';
import type { SharedRateLimitStore } from './rate-limit-store.ts';

/**
 * Paths pino must censor, on top of src/app.ts REDACT_PATHS: bearer tokens in headers wherever a request
 * or its headers are logged, service/bootstrap tokens in objects and response bodies, the passphrase and
 * webhook secrets. pino paths are exact (one `*` = one level), hence the explicit depths.
 */
export const SECRET_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
  '*.*.token',
  'bootstrapToken',
  '*.bootstrapToken',
  'serviceToken.token',
  'accessToken',
  '*.accessToken',
  'idToken',
  '*.idToken',
  '*.refreshToken',
  '*.sessionToken',
  'passphrase',
  '*.passphrase',
  '*.*.passphrase',
  'pulumiConfigPassphrase',
  '*.pulumiConfigPassphrase',
  '*.*.pulumiConfigPassphrase',
  'PULUMI_CONFIG_PASSPHRASE',
  '*.PULUMI_CONFIG_PASSPHRASE',
  'webhookSecret',
  '*.webhookSecret',
  '*.*.webhookSecret',
  'signingKey',
  '*.signingKey',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.secretKey',
  '*.secretAccessKey',
  '*.clientSecret',
];

/** SECRET_REDACT_PATHS merged with other paths, without duplicates (pino rejects none, but keep it tidy). */
export function mergeRedactPaths(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

/** The CSP for the pages: same-origin everything, no inline scripts, no framing. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // No 'unsafe-inline' for styles either; swagger-ui's static CSP hashes cover its own inline bits.
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  scriptSrcAttr: ["'none'"],
  upgradeInsecureRequests: null,
};

export class RateLimitedError extends AppError {
  constructor(detail: string) {
    super(429, 'rate_limited', 'Too many requests', detail);
  }
}

export interface HardeningOptions {
  rateLimit: { max: number; timeWindowMs: number };
  /** Counters shared by the replicas (src/auth/rate-limit-store.ts); default: in this process's memory. */
  rateLimitStore?: new () => SharedRateLimitStore;
  /** Default body limit for routes that set none. */
  bodyLimitBytes: number;
  /** Send HSTS (behind TLS). Default false: the service often runs behind a TLS-terminating proxy that sets it. */
  hsts?: boolean;
}

/** The liveness and readiness probes (src/health/routes.ts): exempt from rate limiting. */
export const HEALTH_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export function isHealthCheck(req: FastifyRequest): boolean {
  return HEALTH_ROUTES.has(req.routeOptions.url ?? '');
}

/**
 * The pages' static files (ES modules, CSS, icons, Swagger UI's assets): one page load fetches about
 * twenty, unauthenticated, so counted per address they used up the limit of a person clicking through
 * the pages in a minute (every module then failed and the page stayed on "Loading…"). They are files
 * on disk, cheap to serve, and behind the connection limits; the API stays limited.
 */
export function isStaticAsset(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.routeOptions.url ?? '';
  return url.startsWith('/assets/') || url.startsWith('/docs/static/');
}

/** Rate-limit key: the principal when authenticated (set by the auth plugin's onRequest hook), else the IP. */
export function rateLimitKey(req: FastifyRequest): string {
  return req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`;
}

/**
 * The security headers (helmet: CSP, HSTS when asked, nosniff, frame and referrer policies…), computed
 * once: they depend on the options only. @fastify/helmet rebuilt helmet's middleware, and so every
 * header value, on each request; here helmet writes them into a recorder once, and every reply gets the
 * recorded set.
 */
export function securityHeaders(opts: Pick<HardeningOptions, 'hsts'>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    hsts: opts.hsts ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

async function hardeningImpl(app: FastifyInstance, opts: HardeningOptions): Promise<void> {
  // Routes that do not set their own bodyLimit get the configured one.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.bodyLimit === undefined) route.bodyLimit = opts.bodyLimitBytes;
  });
  // Before the auth plugin's hook: 401/403 carry them too. A plain function, not an async one: the
  // cheapest hook Fastify runs.
  const headers = securityHeaders(opts);
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  // The rate limit adds a route-level onRequest hook; route-level hooks run after all app-level ones, so
  // the auth plugin's hook has already set req.principal when the key is computed, whatever the order.
  await app.register(rateLimit, {
    global: true,
    // Health checks neither count nor get limited: behind a proxy every caller shares one address, and
    // a flood of bad tokens from it must not make the orchestrator think the service is down.
    // Nor do the pages' static files (isStaticAsset).
    allowList: (req) => isHealthCheck(req) || isStaticAsset(req),
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindowMs,
    keyGenerator: rateLimitKey,
    ...(opts.rateLimitStore
      ? {
          store: opts.rateLimitStore as unknown as FastifyRateLimitStoreCtor,
          // The database unreachable: requests are not refused for it (/readyz reports the database).
          skipOnError: true,
        }
      : {}),
    errorResponseBuilder: (_req, ctx) =>
      new RateLimitedError(`Rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry later.`),
  });
}

/**
 * Register before the auth plugin (helmet's headers then reach 401/403 too) and before any route. Not
 * encapsulated (fastify-plugin); the auth plugin names it as a dependency.
 */
export const hardeningPlugin = fp(hardeningImpl, { name: 'trailwarden-hardening', fastify: '5.x' });

/** Why the server closed a client's connection (counted and logged). */
export type ConnectionCloseReason =
  | 'timeout'
  | 'idle'
  | 'evicted'
  | 'rejected'
  | 'header_overflow'
  | 'bad_request';

const CLOSE_REASONS: readonly ConnectionCloseReason[] = [
  'timeout',
  'idle',
  'evicted',
  'rejected',
  'header_overflow',
  'bad_request',
];

/** The limits ConnectionGuard enforces (src/config.ts HttpLimits). */
export interface ConnectionLimits {
  maxConnections: number;
}

interface GuardLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** A raw problem+json response for a socket Node answers before Fastify sees a request. */
function rawProblem(status: number, code: ErrorCode, title: string, detail: string): string {
  // The code is typed against the catalogue (src/errors.ts); the catalogue test reads each call's status.
  const body = JSON.stringify(new AppError(status, code, title, detail).toProblem());
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? title}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Keeps slow and idle clients from holding the process's file handles:
 * - caps open connections; when a new one exceeds the cap, the oldest connection that is not serving a
 *   request (still sending its headers, or idle between keep-alive requests) is closed, so a flood of
 *   slow connections cannot lock out a well-behaved client; only when every connection is busy is the
 *   new one refused;
 * - answers Node's client errors (headers or request timeout 408, header overflow 431, malformed 400)
 *   with problem+json and closes the socket;
 * - closes sockets idle longer than the idle timeout;
 * - counts every closure by reason and logs a summary (at most one line per interval, and at close).
 * Node's own headersTimeout/requestTimeout/keepAliveTimeout (set by buildApp) decide when a client is slow.
 */
export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  readonly #log: GuardLog;
  /** Open sockets in connection order, with the number of requests each is serving. */
  readonly #open = new Map<Socket, number>();
  readonly #totals = Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<
    ConnectionCloseReason,
    number
  >;
  #pending = { ...this.#totals };
  #pendingCount = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(limits: ConnectionLimits, log: GuardLog, summaryIntervalMs = 10000) {
    this.#limits = limits;
    this.#log = log;
    this.#timer = setInterval(() => this.flush(), summaryIntervalMs).unref();
  }

  /** Closures by reason since the start. */
  get totals(): Readonly<Record<ConnectionCloseReason, number>> {
    return { ...this.#totals };
  }

  get openConnections(): number {
    return this.#open.size;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      if (!this.#open.has(socket)) return;
      this.#open.set(socket, (this.#open.get(socket) ?? 0) + 1);
      res.once('close', () => {
        if (this.#open.has(socket)) this.#open.set(socket, Math.max(0, (this.#open.get(socket) ?? 1) - 1));
      });
    });
    // With a listener here Node no longer destroys a timed-out socket itself.
    server.on('timeout', (socket: Socket) => {
      this.#count('idle', socket);
      socket.destroy();
    });
  }

  /** Fastify's clientErrorHandler: Node's parser or timeout error on a socket without a request yet. */
  readonly clientErrorHandler = (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let response: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.#count('timeout', socket);
      response = rawProblem(
        408,
        'request_timeout',
        'Request timeout',
        'The request was not received in time; the connection is closed.',
      );
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      this.#count('header_overflow', socket);
      response = rawProblem(
        431,
        'request_header_fields_too_large',
        'Request header fields too large',
        'The request line and headers exceed the size the server accepts.',
      );
    } else {
      this.#count('bad_request', socket);
      response = rawProblem(400, 'bad_request', 'Bad request', 'The request is not valid HTTP.');
    }
    if (socket.writable) socket.write(response);
    // After the answer is flushed; a client that never reads cannot keep the socket (it is small).
    socket.destroySoon();
  };

  #onConnection(socket: Socket): void {
    this.#open.set(socket, 0);
    socket.once('close', () => this.#open.delete(socket));
    if (this.#open.size <= this.#limits.maxConnections) return;
    for (const [candidate, busy] of this.#open) {
      if (busy > 0 || candidate === socket) continue;
      this.#count('evicted', candidate);
      candidate.destroy();
      return;
    }
    this.#count('rejected', socket);
    socket.destroy();
  }

  #count(reason: ConnectionCloseReason, socket: Socket): void {
    this.#totals[reason]++;
    this.#pending[reason]++;
    this.#pendingCount++;
    this.#log.debug({ reason, remoteAddress: socket.remoteAddress }, 'client connection closed');
  }

  /** Logs the closures since the last summary, if any. */
  flush(): void {
    if (this.#pendingCount === 0) return;
    // Idle keep-alive connections closing is routine; slow, excess or malformed clients are worth a warning.
    const routine = this.#pending.idle === this.#pendingCount;
    this.#log[routine ? 'info' : 'warn'](
      {
        closedConnections: this.#pending,
        closedConnectionsTotal: { ...this.#totals },
        openConnections: this.#open.size,
      },
      'closed slow, idle or excess client connections',
    );
    this.#pending = Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<
      ConnectionCloseReason,
      number
    >;
    this.#pendingCount = 0;
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}

/** Longest request target (path and query) served; longer ones get 414 (Node answers 431 past ~16 KB). */
export const MAX_URL_LENGTH = 8192;

export class UriTooLongError extends AppError {
  constructor() {
    super(
      414,
      'uri_too_long',
      'URI too long',
      `The request target is longer than ${MAX_URL_LENGTH} characters.`,
    );
  }
}

type ValidationResult = { value?: unknown; error?: unknown[] };
type ValidatorCompiler = (route: never) => (value: unknown) => unknown;

/**
 * Wraps a Fastify validator compiler: size bounds are checked first and alone, and uniqueness of primitive
 * items with a Set (checkBounds); the wrapped compiler checks everything else. Linear in the input.
 * `refs` are the shared schemas a route schema's `$ref`s name: checkBounds follows them, and the compiler
 * is built over them (`makeCompiler`) without the uniqueItems checkBounds takes over, as the route's own.
 */
export function boundsFirst<C extends ValidatorCompiler>(
  makeCompiler: (refs: SchemaRefs) => C,
  refs: SchemaRefs = {},
): C {
  const compiler = makeCompiler(withoutPrimitiveUniqueItems(refs));
  const wrapped = (route: { schema: unknown }) => {
    const validate = (compiler as unknown as (r: object) => (v: unknown) => ValidationResult)({
      ...route,
      schema: withoutPrimitiveUniqueItems(route.schema),
    });
    return (value: unknown): ValidationResult => {
      const duplicates: SchemaViolation[] = [];
      const over = checkBounds(route.schema, value, duplicates, '', '#', refs);
      if (over) return { error: [over] };
      const result = validate(value);
      if (duplicates.length === 0) return result;
      return { error: [...(result.error ?? []), ...duplicates] };
    };
  };
  return wrapped as unknown as C;
}
