// Every route declares its access; a route that declares nothing makes startup fail.
import Fastify, { type FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { describeAccess, listRouteAccess } from '../../src/auth/access.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { registerSharedSchemas } from '../../src/shared-schemas.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import { createStores } from '../../src/stores.ts';
import { buildTestApp } from './helpers.ts';

async function bareApp(t: Test): Promise<FastifyInstance> {
  const db = await openMigratedDatabase('sqlite::memory:');
  const security = await createSecurity({
    stores: createStores(db),
    auth: testAuthConfig(),
    dataDir: '/nonexistent',
  });
  const app = Fastify();
  registerSharedSchemas(app);
  await wireSecurity(app, security);
  t.teardown(async () => {
    await app.close();
    await db.close();
  });
  return app;
}

t.test('a route without a declaration makes startup fail', async (t) => {
  const app = await bareApp(t);
  // Registered after boot, fastify adds the route at once and the check throws synchronously; either way
  // the app does not start.
  await t.rejects(async () => {
    app.get('/v1/forgotten', async () => ({}));
    await app.ready();
  }, /route GET \/v1\/forgotten declares no access/);
});

t.test('a route in a plugin without a declaration makes startup fail too', async (t) => {
  const app = await bareApp(t);
  await t.rejects(async () => {
    await app.register(async (child) => {
      child.post('/v1/nested', async () => ({}));
    });
    await app.ready();
  }, /POST \/v1\/nested declares no access/);
});

t.test('malformed declarations fail at startup', async (t) => {
  for (const [name, config, message] of [
    ['public under /v1', { public: true }, /is public, but every \/v1 route needs a bearer token/],
    ['unknown role', { access: { role: 'owner' } }, /unknown role "owner"/],
    ['bad locator', { access: { role: 'viewer', account: 'headers.x' } }, /account must be/],
    ['both', { access: { role: 'viewer' }, public: true }, /declares both/],
  ] as const) {
    const app = await bareApp(t);
    await t.rejects(
      async () => {
        app.get('/v1/x', { config: config as never }, async () => ({}));
        await app.ready();
      },
      message,
      name,
    );
  }
});

t.test('listRouteAccess lists every route and its declaration', async (t) => {
  const { app } = await buildTestApp(t);
  const list = listRouteAccess(app);
  const find = (method: string, url: string) => list.find((r) => r.method === method && r.url === url);
  t.same(find('GET', '/healthz')?.access, 'public');
  t.same(find('PUT', '/v1/accounts/:accountId/trail')?.access, {
    role: 'requester',
    account: 'params.accountId',
  });
  t.equal(
    describeAccess(find('GET', '/v1/operations/:operationId')!.access),
    'role=viewer account=<resolver>',
  );
  t.same(find('POST', '/v1/service-tokens')?.access, { role: 'admin' });
  t.same(find('GET', '/v1/audit/verify')?.access, { role: 'admin' });
  t.ok(find('HEAD', '/healthz'), 'HEAD routes are listed too');
  // Every /v1 route in the app requires a role.
  const v1 = list.filter((r) => r.url.startsWith('/v1/'));
  t.ok(v1.length >= 10);
  t.ok(v1.every((r) => r.access !== 'public'));
  // And the live app agrees: no /v1 route answers without a token.
  for (const r of v1.filter((r) => r.method !== 'HEAD')) {
    const url = r.url
      .replace(':accountId', '111111111111')
      .replace(':operationId', 'op-a')
      .replace(':id', '0123456789abcdef');
    const res = await app.inject({ method: r.method as 'GET', url });
    t.equal(res.statusCode, 401, `${r.method} ${r.url} without a token`);
  }
});

t.test('routes under the public prefixes (swagger-ui) need no declaration', async (t) => {
  const app = await bareApp(t);
  app.get('/docs/static/index.html', async () => 'docs');
  await app.ready();
  t.equal((await app.inject({ url: '/docs/static/index.html' })).statusCode, 200);
  t.equal(listRouteAccess(app).find((r) => r.url === '/docs/static/index.html')?.access, 'public');
});

t.test('routes registered before the plugins fail closed at runtime', async (t) => {
  const db = await openMigratedDatabase('sqlite::memory:');
  const security = await createSecurity({
    stores: createStores(db),
    auth: testAuthConfig(),
    dataDir: '/nonexistent',
  });
  const app = Fastify();
  t.teardown(async () => {
    await app.close();
    await db.close();
  });
  // Wrong order: the onRoute check cannot see these.
  app.get('/v1/early', { config: { access: { role: 'admin' } } }, async () => ({ leaked: true }));
  app.get('/v1/early-undeclared', async () => ({ leaked: true }));
  app.get('/docs/early', async () => 'docs');
  registerSharedSchemas(app);
  await wireSecurity(app, security);
  await app.ready();
  t.equal((await app.inject({ url: '/v1/early' })).statusCode, 401, 'a declared route is still enforced');
  const undeclared = await app.inject({ url: '/v1/early-undeclared' });
  t.equal(undeclared.statusCode, 500, 'an undeclared one answers 500');
  t.notOk(undeclared.body.includes('leaked'));
  t.equal((await app.inject({ url: '/docs/early' })).statusCode, 200, 'public prefixes still pass');
});

t.test('plugins registered out of order make startup fail (fastify-plugin dependencies)', async (t) => {
  const db = await openMigratedDatabase('sqlite::memory:');
  const security = await createSecurity({
    stores: createStores(db),
    auth: testAuthConfig(),
    dataDir: '/nonexistent',
  });
  t.teardown(() => db.close());
  const { auditPlugin } = await import('../../src/audit/plugin.ts');
  const { authPlugin } = await import('../../src/auth/plugin.ts');
  // The audit trail records the principal: without the auth plugin before it, Fastify refuses to boot.
  const auditFirst = Fastify();
  await t.rejects(async () => {
    await auditFirst.register(auditPlugin, { audit: security.audit });
    await auditFirst.ready();
  }, /trailwarden-audit/);
  // Auth without hardening would answer 401s without the security headers and outside the rate limit.
  const authAlone = Fastify();
  await t.rejects(async () => {
    await authAlone.register(authPlugin, { authenticator: security.authenticator });
    await authAlone.ready();
  }, /trailwarden-hardening/);
});
