// A small app with the security plugins and dummy routes of every kind, for inject tests.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import type { AuthConfig, OidcConfig } from '../../src/auth/config.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, type Security, wireSecurity } from '../../src/auth/wire.ts';
import { AppError, InternalError } from '../../src/errors.ts';
import { registerSharedSchemas } from '../../src/shared-schemas.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import type { SqlDatabase } from '../../src/store/sql.ts';
import { createStores } from '../../src/stores.ts';

export const ISSUER = 'https://idp.example.test/realms/portal';
export const AUDIENCE = 'trailwarden';
export const ACCOUNT_A = '111111111111';
export const ACCOUNT_B = '222222222222';
export const ACCOUNT_C = '333333333333';

export interface Keys {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
  kid: string;
}

export async function rsaKeys(kid = 'key-1'): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, publicJwk, kid };
}

/** Serves { keys } as a JWKS on 127.0.0.1:<ephemeral>; counts requests. */
export async function jwksServer(t: Test, keys: JWK[]): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/jwks.json`, hits: () => hits };
}

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  accounts?: string[];
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  claims?: Record<string, unknown>;
}

export async function signToken(keys: Keys, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    trailwarden_roles: o.roles ?? ['viewer'],
    trailwarden_accounts: o.accounts ?? ['*'],
    email: `${o.sub ?? 'alice'}@example.test`,
    ...o.claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setSubject(o.sub ?? 'alice')
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (o.expiresIn ?? 600))
    .sign(keys.privateKey);
}

export function oidcConfig(jwksUrl: string, overrides: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer: ISSUER,
    audience: [AUDIENCE],
    jwksUrl,
    rolesClaim: 'trailwarden_roles',
    accountsClaim: 'trailwarden_accounts',
    nameClaim: 'email',
    clockToleranceSeconds: 5,
    ...overrides,
  };
}

/** The same rendering as src/app.ts: AppError → problem+json, anything unknown → a generic 500. */
function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (err.validation) e = new AppError(400, 'validation_failed', 'Validation failed', err.message);
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      e = new AppError(err.statusCode, (err.code ?? 'bad_request').toLowerCase(), 'Bad request', err.message);
    } else {
      req.log.error({ err }, 'unhandled error');
      e = new InternalError(err);
    }
    reply.code(e.status).type('application/problem+json').send(e.toProblem(req.url));
  });
}

export interface TestApp {
  app: FastifyInstance;
  security: Security;
  db: SqlDatabase;
  /** The clock the token store and audit log use; tests move it. */
  clock: { now: Date };
}

/** Operation id → account, for the resolver route. */
export const OPERATIONS: Record<string, string> = { 'op-a': ACCOUNT_A, 'op-b': ACCOUNT_B };

export async function buildTestApp(
  t: Test,
  opts: {
    auth?: Partial<AuthConfig>;
    logger?: Logger;
    dataDir?: string;
    extraRoutes?: (app: FastifyInstance) => void;
    /** Default: a fresh in-memory SQLite. A given one must be migrated (openMigratedDatabase). */
    db?: SqlDatabase;
  } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await openMigratedDatabase('sqlite::memory:'));
  const clock = { now: new Date() };
  const auth = testAuthConfig(opts.auth);
  const security = await createSecurity({
    stores: createStores(db, { now: () => clock.now }),
    auth,
    dataDir: opts.dataDir ?? '/nonexistent',
    now: () => clock.now,
  });
  // As src/app.ts: the caller's x-request-id becomes the request id.
  const genReqId = (req: { headers: Record<string, unknown> }) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' ? given : randomUUID();
  };
  const app = (opts.logger
    ? Fastify({ loggerInstance: opts.logger, genReqId })
    : Fastify({ genReqId })) as unknown as FastifyInstance;
  installErrorHandler(app);
  // As src/app.ts: the shared schemas (the routes' error answers refer to Problem), then security.
  registerSharedSchemas(app);
  await wireSecurity(app, security);

  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/', { config: { public: true } }, async (_req, reply) =>
    reply.type('text/html').send('<!doctype html><title>x</title><script src="/app.js"></script>'),
  );
  // read
  app.get(
    '/v1/accounts/:accountId/trail',
    { config: { access: { role: 'viewer', account: 'params.accountId' } } },
    async (req) => ({
      accountId: (req.params as { accountId: string }).accountId,
      principal: req.principal?.id,
    }),
  );
  // mutate
  app.put(
    '/v1/accounts/:accountId/trail',
    { config: { access: { role: 'requester', account: 'params.accountId' } } },
    async (req, reply) => {
      req.auditDetails = { note: 'spec stored' };
      reply.code(201);
      return { ok: true };
    },
  );
  app.post(
    '/v1/accounts/:accountId/applies',
    { config: { access: { role: 'requester', account: 'params.accountId' } } },
    async (_req, reply) => reply.code(202).send({ queued: true }),
  );
  // account from the body
  app.post(
    '/v1/bulk-checks',
    { config: { access: { role: 'requester', account: 'body.accountId' } } },
    async (req) => ({ accountId: (req.body as { accountId: string }).accountId }),
  );
  // account from a lookup
  app.get(
    '/v1/operations/:operationId',
    {
      config: {
        access: {
          role: 'viewer',
          account: (req) => OPERATIONS[(req.params as { operationId: string }).operationId],
        },
      },
    },
    async (req, reply) => {
      const id = (req.params as { operationId: string }).operationId;
      if (!OPERATIONS[id]) return reply.code(404).send({ code: 'operation_not_found' });
      return { id };
    },
  );
  // approve: the approver role
  app.post(
    '/v1/operations/:operationId/approval',
    {
      config: {
        access: {
          role: 'approver',
          account: (req) => OPERATIONS[(req.params as { operationId: string }).operationId],
        },
      },
    },
    async () => ({ approved: true }),
  );
  // a list filtered by the caller's scope
  app.get('/v1/accounts', { config: { access: { role: 'viewer' } } }, async (req) => {
    const scope = req.accountScope();
    const all = [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C];
    return {
      items: scope === 'all' ? all : all.filter((id) => scope.has(id)),
      canA: req.canAccessAccount(ACCOUNT_A),
    };
  });
  // admin
  app.get('/v1/settings', { config: { access: { role: 'admin' } } }, async () => ({ settings: {} }));
  app.post('/v1/settings', { config: { access: { role: 'admin' } } }, async () => ({ saved: true }));
  opts.extraRoutes?.(app);
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await db.close();
  });
  return { app, security, db, clock };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A service token with the given grants, created straight in the store. */
export async function serviceToken(
  s: Security,
  roles: ('viewer' | 'requester' | 'approver' | 'admin')[],
  accounts: string[] = ['*'],
  expiresInDays = 30,
): Promise<string> {
  const { token } = await s.tokens.create({
    name: `t-${roles.join('-')}`,
    roles,
    accounts,
    expiresInDays,
    createdBy: 'test',
  });
  return token;
}
