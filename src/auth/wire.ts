// One call that sets up authentication, authorization, hardening and the audit trail on an app.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import { auditPlugin, auditRoutes } from '../audit/plugin.ts';
import type { AuditStore } from '../audit/store.ts';
import type { AuthConfig } from './config.ts';
import { hardeningPlugin } from './hardening.ts';
import { createJwtVerifier } from './jwt.ts';
import { type Authenticator, authPlugin, createAuthenticator } from './plugin.ts';
import { rateLimitStoreClass, type SqlRateLimitCounters } from './rate-limit-store.ts';
import { serviceTokenRoutes } from './routes.ts';
import type { TokenStore } from './token-store.ts';
import { resolveBootstrapToken } from './tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by wireSecurity: the app's security (buildApp reads the approval policy from it). */
    security?: Security;
  }
}

export interface Security {
  auth: AuthConfig;
  tokens: TokenStore;
  audit: AuditStore;
  authenticator: Authenticator;
  /** PostgreSQL (several replicas): rate-limit counters shared through the database. */
  rateLimitCounters?: SqlRateLimitCounters;
}

/**
 * Resolves the bootstrap token (file from the environment, or generated
 * once into DATA_DIR/secrets/bootstrap-token) and the OIDC verifier. Logs where the bootstrap token is,
 * never the token.
 */
export async function createSecurity(deps: {
  /** The token and audit stores (their tables are created by the migrations). */
  stores: { tokens: TokenStore; audit: AuditStore; rateLimits?: SqlRateLimitCounters | undefined };
  auth: AuthConfig;
  dataDir: string;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Tests: a key resolver instead of the configured JWKS. */
  jwtGetKey?: JWTVerifyGetKey;
  /** The authentication cache's clock (tests move it; the stores have their own). */
  now?: () => Date;
}): Promise<Security> {
  const { tokens, audit } = deps.stores;
  // Replicas share PostgreSQL, so they share the counters there; one SQLite process counts in memory.
  const rateLimitCounters = deps.stores.rateLimits;
  let bootstrapHash: string | undefined;
  if (!deps.auth.bootstrap.disabled) {
    const b = resolveBootstrapToken({ tokenFile: deps.auth.bootstrap.tokenFile, dataDir: deps.dataDir });
    bootstrapHash = b.hash;
    deps.log?.info(
      { file: b.file, created: b.created },
      b.created ? 'bootstrap admin token generated (read it from the file)' : 'bootstrap admin token enabled',
    );
  }
  const jwt = deps.auth.oidc
    ? createJwtVerifier(deps.auth.oidc, {
        ...(deps.jwtGetKey ? { getKey: deps.jwtGetKey } : {}),
        ...(deps.log ? { log: deps.log } : {}),
      })
    : undefined;
  return {
    auth: deps.auth,
    tokens,
    audit,
    authenticator: createAuthenticator({
      serviceTokens: tokens,
      jwt,
      bootstrapHash,
      cacheTtlMs: deps.auth.authCacheTtlMs,
      ...(deps.now ? { now: deps.now } : {}),
    }),
    ...(rateLimitCounters ? { rateLimitCounters } : {}),
  };
}

/**
 * Registers, in this order: hardening (helmet, rate limit, body limit), auth (onRoute declaration check +
 * onRequest/preValidation checks), the audit onResponse hook, and the routes /v1/service-tokens and
 * /v1/audit. Call it in buildApp BEFORE registering any route, swagger-ui included, and after the shared
 * schemas (src/shared-schemas.ts): the error answers of its routes refer to Problem.
 */
export async function wireSecurity<L extends FastifyBaseLogger>(
  instance: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
  security: Security,
  opts: { publicPrefixes?: string[]; hsts?: boolean; openApiSecurity?: boolean } = {},
): Promise<void> {
  // Any logger type (buildApp's is pino's Logger); the plugins only need the base interface.
  const app = instance as unknown as FastifyInstance;
  const { auth } = security;
  // Hardening first: helmet's onRequest hook must run before auth can reject, so 401/403 carry the
  // security headers. The rate limit hooks in per route, after every app-level hook (auth included).
  await app.register(hardeningPlugin, {
    rateLimit: auth.rateLimit,
    ...(security.rateLimitCounters
      ? { rateLimitStore: rateLimitStoreClass(security.rateLimitCounters) }
      : {}),
    bodyLimitBytes: auth.bodyLimitBytes,
    ...(opts.hsts === undefined ? {} : { hsts: opts.hsts }),
  });
  await app.register(authPlugin, {
    authenticator: security.authenticator,
    accountGroups: auth.accountGroups,
    publicPrefixes: opts.publicPrefixes ?? ['/docs'],
    openApiSecurity: opts.openApiSecurity ?? false,
  });
  app.decorate('security', security);
  await app.register(auditPlugin, { audit: security.audit });
  app.addHook('onClose', async () => {
    await security.audit.settled();
  });
  await app.register(serviceTokenRoutes, {
    tokens: security.tokens,
    maxDays: auth.serviceTokenMaxDays,
    accountGroups: auth.accountGroups,
    // A revoked token is refused at once on this replica, whatever the authentication cache holds.
    onRevoked: (id: string) => security.authenticator.forget(`svc:${id}`),
  });
  await app.register(auditRoutes, { audit: security.audit });
}

/**
 * Throws unless the auth plugin is registered on the app (call it in main.ts after buildApp): an app built
 * without `beforeRoutes: (app) => wireSecurity(app, security)` would serve /v1 without authentication.
 */
export function assertSecured(app: { hasRequestDecorator(name: string): boolean }): void {
  if (!app.hasRequestDecorator('principal') || !app.hasRequestDecorator('auditDetails')) {
    throw new Error(
      'trailwarden: the auth and audit plugins are not registered (wireSecurity was not called)',
    );
  }
}
