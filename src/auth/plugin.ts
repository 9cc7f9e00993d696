// Authentication (bearer: service token or OIDC JWT) and authorization (role + account scope) for
// every route, from the route's config.access declaration (see access.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, InternalError } from '../errors.ts';
import {
  type AccountLocator,
  installRouteDeclarationCheck,
  matchesPrefix,
  type RouteAccess,
} from './access.ts';
import { ForbiddenError, UnauthorizedError } from './errors.ts';
import type { JwtVerifier } from './jwt.ts';
import { type AccountGroups, accountScope, canAccessAccount, hasRole, type Principal } from './principal.ts';
import type { TokenStore } from './token-store.ts';
import { BOOTSTRAP_PRINCIPAL, hashToken, isServiceTokenShaped, sameHash } from './tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null on public routes and before authentication. */
    principal: Principal | null;
    /** The account the route's access declaration resolved to, when it names one (for the audit trail). */
    accessAccountId: string | null;
    /** The accounts the caller may see: 'all', or the ids (groups expanded). For list routes to filter by. */
    accountScope(): 'all' | Set<string>;
    /** Whether the caller may act on the account (role aside). False without a principal. */
    canAccessAccount(accountId: string): boolean;
  }
}

export interface Authenticator {
  /** The principal of a bearer token; throws UnauthorizedError (never echoing the token) otherwise. */
  authenticate(token: string): Promise<Principal>;
  /** Drops what the cache holds for a principal (a revoked service token): effective at once here. */
  forget(principalId: string): void;
}

/** Verified tokens the cache holds at most; past it the oldest is dropped (every input bounded). */
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

/** When a verified token stops being valid by itself: a JWT's exp, a service token's expiresAt. */
function validUntil(token: string, principal: Principal): number {
  if (principal.expiresAt) return Date.parse(principal.expiresAt);
  if (principal.kind === 'oidc') {
    // Verified already: the payload is well-formed and carries exp (a required claim, jwt.ts).
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    if (typeof payload.exp === 'number') return payload.exp * 1000;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Verifying a token costs a database read (service token) or a signature check (JWT) per request; a
 * verified one is remembered for cacheTtlMs (keyed by its SHA-256, never the token), never past its own
 * expiry. Revoking a service token calls forget() on this replica, so it is refused at once here; other
 * replicas hold it at most cacheTtlMs longer (AUTH_CACHE_TTL_MS; 0 turns the cache off). Failures are
 * not remembered.
 */
export function createAuthenticator(opts: {
  serviceTokens: Pick<TokenStore, 'authenticate'>;
  jwt?: JwtVerifier | undefined;
  /** SHA-256 hex of the bootstrap admin token; undefined when bootstrap is disabled. */
  bootstrapHash?: string | undefined;
  cacheTtlMs?: number;
  now?: () => Date;
}): Authenticator {
  const ttl = opts.cacheTtlMs ?? 0;
  const now = () => (opts.now ? opts.now().getTime() : Date.now());
  const cache = new Map<string, { principal: Principal; until: number }>();
  const verify = async (token: string, hash: string): Promise<Principal> => {
    // The bootstrap token may come from an operator's file in any shape: compared first, in constant time.
    if (opts.bootstrapHash && sameHash(hash, opts.bootstrapHash)) return BOOTSTRAP_PRINCIPAL;
    if (isServiceTokenShaped(token)) {
      const principal = await opts.serviceTokens.authenticate(token);
      if (!principal) throw new UnauthorizedError('The service token is unknown, revoked or expired.');
      return principal;
    }
    if (!opts.jwt)
      throw new UnauthorizedError('OIDC tokens are not accepted: no identity provider is configured.');
    return opts.jwt.verify(token);
  };
  return {
    async authenticate(token) {
      const hash = hashToken(token);
      if (ttl <= 0) return verify(token, hash);
      const at = now();
      const hit = cache.get(hash);
      if (hit && hit.until > at) return hit.principal;
      if (hit) cache.delete(hash);
      const principal = await verify(token, hash);
      if (cache.size >= AUTH_CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(hash, { principal, until: Math.min(at + ttl, validUntil(token, principal)) });
      return principal;
    },
    forget(principalId) {
      for (const [hash, entry] of cache) if (entry.principal.id === principalId) cache.delete(hash);
    },
  };
}

export interface AuthPluginOptions {
  authenticator: Authenticator;
  accountGroups?: AccountGroups;
  /** URL prefixes whose routes count as public without declaring it (third-party plugin routes). */
  publicPrefixes?: string[];
  /**
   * Mark declared routes with `security: [{ bearerAuth: [] }]` in their schema. Only when the swagger
   * options declare OPENAPI_SECURITY_SCHEMES (access.ts): @fastify/swagger fails on an unknown scheme.
   */
  openApiSecurity?: boolean;
}

const BEARER = /^bearer +([A-Za-z0-9._~+/=-]{16,16000})$/i;

function bearerToken(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (!header) throw new UnauthorizedError();
  const m = BEARER.exec(header);
  if (!m) throw new UnauthorizedError('The Authorization header must be "Bearer <token>".');
  return m[1]!;
}

function fromPath(req: FastifyRequest, locator: string): string | undefined {
  const [part, key] = locator.split('.', 2) as ['params' | 'query' | 'body', string];
  const source = part === 'params' ? req.params : part === 'query' ? req.query : req.body;
  if (source === null || typeof source !== 'object' || !Object.hasOwn(source, key)) return undefined;
  const value = (source as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Body locators wait for the body (preValidation); path and query ones are checked in onRequest. */
function needsBody(locator: AccountLocator | undefined): boolean {
  return typeof locator === 'string' && locator.startsWith('body.');
}

/**
 * Resolvers (an operation's account) run after validation (preHandler): a malformed id gets the same
 * 400 from everyone, and the resolver only ever sees valid ids.
 */
function isResolver(locator: AccountLocator | undefined): boolean {
  return typeof locator === 'function';
}

async function checkAccount(req: FastifyRequest, access: RouteAccess, groups: AccountGroups): Promise<void> {
  const principal = req.principal!;
  const locator = access.account!;
  const accountId = typeof locator === 'function' ? await locator(req) : fromPath(req, locator);
  req.accessAccountId = accountId ?? null;
  const allowed =
    accountId === undefined
      ? principal.roles.includes('admin') || principal.accounts.includes('*')
      : canAccessAccount(principal, accountId, groups);
  if (!allowed) {
    if (access.hidden) throw access.hidden(req);
    throw new ForbiddenError(
      'account_not_in_scope',
      accountId === undefined
        ? 'This call needs access to all accounts.'
        : `You are not granted access to account ${accountId}.`,
    );
  }
}

const AUTH_FAILURE = Symbol('trailwarden.authFailure');
const DEFERS_FAILURE = Symbol('trailwarden.defersAuthFailure');
type WithFailure = FastifyRequest & { [AUTH_FAILURE]?: AppError };
type RouteConfig = { access?: RouteAccess; public?: boolean; [DEFERS_FAILURE]?: boolean };

async function authPluginImpl(app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const groups = opts.accountGroups ?? {};
  app.decorateRequest('principal', null);
  app.decorateRequest('accessAccountId', null);
  app.decorateRequest('accountScope', function (this: FastifyRequest) {
    return this.principal ? accountScope(this.principal, groups) : new Set<string>();
  });
  app.decorateRequest('canAccessAccount', function (this: FastifyRequest, accountId: string) {
    return this.principal ? canAccessAccount(this.principal, accountId, groups) : false;
  });
  const publicPrefixes = opts.publicPrefixes ?? ['/docs'];
  installRouteDeclarationCheck(app, publicPrefixes, { openApiSecurity: opts.openApiSecurity ?? false });

  // A failed authentication or authorization is thrown by a route-level hook appended here, i.e. after
  // the rate limit's own route-level hook (the hardening plugin registers first): failed attempts count
  // against the caller's IP (401) or principal (403). Routes without that hook (none, normally) fail at
  // once in the app-level hook below.
  app.addHook('onRoute', (route) => {
    const config = route.config as RouteConfig | undefined;
    if (!config?.access) return;
    const rethrow = async (req: FastifyRequest) => {
      const failure = (req as WithFailure)[AUTH_FAILURE];
      if (failure) throw failure;
    };
    const existing = route.onRequest;
    route.onRequest = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      rethrow,
    ];
    config[DEFERS_FAILURE] = true;
  });

  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config as RouteConfig | undefined;
    const access = config?.access;
    if (!access) {
      // Public routes and unmatched URLs (the 404 handler) need no token.
      if (config?.public === true || req.is404) return;
      const url = req.routeOptions.url ?? '';
      if (matchesPrefix(url, publicPrefixes)) return;
      // A route registered before this plugin escaped the startup check: fail closed.
      req.log.error(
        { route: `${req.method} ${url}` },
        'route declares no access (registered before the auth plugin?)',
      );
      throw new InternalError();
    }
    try {
      req.principal = await opts.authenticator.authenticate(bearerToken(req));
    } catch (err) {
      if (!(err instanceof UnauthorizedError)) throw err;
      reply.header('www-authenticate', 'Bearer realm="trailwarden", error="invalid_token"');
      if (!config[DEFERS_FAILURE]) throw err;
      (req as WithFailure)[AUTH_FAILURE] = err;
      return;
    }
    try {
      if (!hasRole(req.principal, access.role)) {
        throw new ForbiddenError('insufficient_role', `This call needs the ${access.role} role.`);
      }
      if (access.account !== undefined && !needsBody(access.account) && !isResolver(access.account))
        await checkAccount(req, access, groups);
    } catch (err) {
      if (!(err instanceof AppError) || !config[DEFERS_FAILURE]) throw err;
      (req as WithFailure)[AUTH_FAILURE] = err;
    }
  });

  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config?.access;
    if (!access) return;
    // Belt and braces: nothing with an access declaration gets past here unauthenticated or denied.
    const failure = (req as WithFailure)[AUTH_FAILURE];
    if (failure) throw failure;
    if (!req.principal) throw new UnauthorizedError();
    if (access.account !== undefined && needsBody(access.account)) await checkAccount(req, access, groups);
  });

  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config?.access;
    if (!access || !isResolver(access.account)) return;
    if (!req.principal) throw new UnauthorizedError();
    await checkAccount(req, access, groups);
  });
}

/**
 * Register before any route (it installs the declaration check as an onRoute hook). Not encapsulated
 * (fastify-plugin): its hooks apply to the whole app. After hardening, so 401/403 carry helmet's headers
 * and failed attempts count against the rate limit: Fastify refuses to boot otherwise.
 */
export const authPlugin = fp(authPluginImpl, {
  name: 'trailwarden-auth',
  fastify: '5.x',
  dependencies: ['trailwarden-hardening'],
});

/** For a handler: the authenticated principal (throws 401 on a route that has none). */
export function requirePrincipal(req: FastifyRequest): Principal {
  if (!req.principal) throw new UnauthorizedError();
  return req.principal;
}
