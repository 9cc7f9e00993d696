// Service tokens: create → use → revoke → 401; expiry; the secret is shown once and stored only hashed.
import Fastify from 'fastify';
import t from 'tap';
import { testAuthConfig } from '../../src/auth/config.ts';
import { hashToken, resolveBootstrapToken } from '../../src/auth/tokens.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { registerSharedSchemas } from '../../src/shared-schemas.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import { createStores } from '../../src/stores.ts';
import { ACCOUNT_A, ACCOUNT_B, bearer, buildTestApp, serviceToken } from './helpers.ts';

t.test('create → use → revoke → 401', async (t) => {
  const { app, security, db } = await buildTestApp(t);
  const admin = await serviceToken(security, ['admin']);

  const created = await app.inject({
    method: 'POST',
    url: '/v1/service-tokens',
    headers: bearer(admin),
    payload: { name: 'ci pipeline', roles: ['requester'], accounts: [ACCOUNT_A], expiresInDays: 30 },
  });
  t.equal(created.statusCode, 201);
  t.equal(created.headers['cache-control'], 'no-store');
  const { token, serviceToken: st } = created.json();
  t.match(token, /^twst_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/, 'prefixed, random');
  t.match(st, {
    name: 'ci pipeline',
    roles: ['requester'],
    accounts: [ACCOUNT_A],
    status: 'active',
    revokedAt: null,
  });
  t.equal(st.createdBy, 'svc:' + admin.split('_')[1], 'records who created it');

  // Only the hash is in the database.
  const rows = await db.all<Record<string, unknown>>('SELECT * FROM service_tokens WHERE id = ?', [st.id]);
  t.equal(rows[0]?.['token_hash'], hashToken(token), 'SHA-256 stored');
  t.notOk(JSON.stringify(rows).includes(token.slice(22)), 'the secret part is not stored');

  // Use it.
  const use = (tok: string, account = ACCOUNT_A) =>
    app.inject({ method: 'POST', url: `/v1/accounts/${account}/applies`, headers: bearer(tok), payload: {} });
  t.equal((await use(token)).statusCode, 202, 'works on its account');
  t.equal((await use(token, ACCOUNT_B)).statusCode, 403, 'scoped to its accounts');
  t.equal(
    (await app.inject({ url: '/v1/settings', headers: bearer(token) })).statusCode,
    403,
    'only its role',
  );

  // The list never shows the secret.
  const list = await app.inject({ url: '/v1/service-tokens', headers: bearer(admin) });
  t.equal(list.statusCode, 200);
  t.notOk(list.body.includes(token), 'no token in the list');
  t.notOk(list.body.includes(hashToken(token)), 'no hash in the list');
  t.ok(list.json().items.some((i: { id: string }) => i.id === st.id));

  // A token with the right id but another secret is refused (hash compared in constant time).
  const forged = token.slice(0, 22) + 'A'.repeat(43);
  t.equal((await use(forged)).statusCode, 401, 'right id, wrong secret');

  // Revoke.
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/service-tokens/${st.id}`,
    headers: bearer(admin),
  });
  t.equal(del.statusCode, 204);
  const after = await use(token);
  t.equal(after.statusCode, 401, 'revoked: 401');
  t.match(after.json().detail, /unknown, revoked or expired/);
  const listed = (await app.inject({ url: '/v1/service-tokens', headers: bearer(admin) })).json();
  t.match(
    listed.items.find((i: { id: string }) => i.id === st.id),
    { status: 'revoked', revokedBy: /^svc:/ },
  );
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: '/v1/service-tokens/0123456789abcdef',
        headers: bearer(admin),
      })
    ).statusCode,
    404,
    'unknown id: 404',
  );
});

t.test('expired → 401', async (t) => {
  const { app, security, clock } = await buildTestApp(t);
  const token = await serviceToken(security, ['viewer'], ['*'], 1);
  const get = () => app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(token) });
  t.equal((await get()).statusCode, 200, 'valid before expiry');
  clock.now = new Date(clock.now.getTime() + 86_400_000 + 1000);
  t.equal((await get()).statusCode, 401, 'expired after expiresInDays');
  const [record] = await security.tokens.list();
  t.ok(record);
});

t.test('only admins manage tokens; requests are validated', async (t) => {
  const { app, security } = await buildTestApp(t, {
    auth: { accountGroups: { prod: [ACCOUNT_A] }, serviceTokenMaxDays: 90 },
  });
  const admin = await serviceToken(security, ['admin']);
  const approver = await serviceToken(security, ['approver']);
  const post = (tok: string, payload: object) =>
    app.inject({ method: 'POST', url: '/v1/service-tokens', headers: bearer(tok), payload });
  t.equal((await post(approver, { name: 'x', roles: ['viewer'] })).statusCode, 403, 'approver cannot create');
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: '/v1/service-tokens/0123456789abcdef',
        headers: bearer(approver),
      })
    ).statusCode,
    403,
  );
  t.equal((await post(admin, { name: 'x', roles: ['root'] })).statusCode, 400, 'unknown role');
  t.equal(
    (await post(admin, { name: 'x', roles: ['viewer'], expiresInDays: 91 })).statusCode,
    400,
    'beyond the max',
  );
  t.equal(
    (await post(admin, { name: 'x', roles: ['viewer'], accounts: ['12345'] })).statusCode,
    400,
    'bad account',
  );
  const unknownGroup = await post(admin, { name: 'x', roles: ['viewer'], accounts: ['group:dev'] });
  t.equal(unknownGroup.statusCode, 400, 'unknown group');
  // The schema names the configured groups, so the field is refused like any other bad value.
  t.equal(unknownGroup.json().code, 'validation_failed');
  t.match(unknownGroup.json().detail, /accounts\/0/);
  const ok = await post(admin, { name: 'x', roles: ['viewer'], accounts: ['group:prod'] });
  t.equal(ok.statusCode, 201);
  t.equal(
    Date.parse(ok.json().serviceToken.expiresAt) - Date.parse(ok.json().serviceToken.createdAt),
    90 * 86_400_000,
    'default expiry',
  );
});

t.test('bootstrap token file: a short token is refused', async (t) => {
  const { tempDir } = await import('../helpers/engine.ts');
  const { writeFileSync } = await import('node:fs');
  const dir = await tempDir(t);
  writeFileSync(`${dir}/short`, 'twst_short');
  t.throws(() => resolveBootstrapToken({ tokenFile: `${dir}/short`, dataDir: dir }), /shorter than 32/);
  t.throws(() => resolveBootstrapToken({ tokenFile: `${dir}/missing`, dataDir: dir }), /cannot read/);
});

t.test(
  'a verified token is remembered briefly: a revocation is immediate here, within the TTL elsewhere',
  async (t) => {
    // Two replicas on one database, each with its own authentication cache (AUTH_CACHE_TTL_MS 5000).
    const db = await openMigratedDatabase('sqlite::memory:');
    const clock = { now: new Date() };
    const replica = async () => {
      const security = await createSecurity({
        stores: createStores(db, { now: () => clock.now }),
        auth: testAuthConfig({ authCacheTtlMs: 5000 }),
        dataDir: '/nonexistent',
        now: () => clock.now,
      });
      const app = Fastify();
      registerSharedSchemas(app);
      await wireSecurity(app, security);
      app.get(
        '/v1/accounts/:accountId/trail',
        { config: { access: { role: 'viewer', account: 'params.accountId' } } },
        async () => ({ ok: true }),
      );
      return { app, security };
    };
    const a = await replica();
    const b = await replica();
    t.teardown(async () => {
      await a.app.close();
      await b.app.close();
      await db.close();
    });
    const admin = await serviceToken(a.security, ['admin']);
    const token = await serviceToken(a.security, ['viewer'], [ACCOUNT_A]);
    const read = (app: typeof a.app) =>
      app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(token) });
    t.equal((await read(a.app)).statusCode, 200, 'replica A verified and remembers it');
    t.equal((await read(b.app)).statusCode, 200, 'replica B verified and remembers it');

    const id = token.split('_')[1];
    const del = await a.app.inject({
      method: 'DELETE',
      url: `/v1/service-tokens/${id}`,
      headers: bearer(admin),
    });
    t.equal(del.statusCode, 204);
    t.equal((await read(a.app)).statusCode, 401, 'refused at once by the replica that revoked it');
    t.equal((await read(b.app)).statusCode, 200, 'another replica may still hold it within the TTL');
    clock.now = new Date(clock.now.getTime() + 5001);
    t.equal((await read(b.app)).statusCode, 401, 'and refuses it once the TTL has passed');
  },
);
