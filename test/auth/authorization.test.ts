// Roles and account scopes on each route kind: read, mutate, admin; body and lookup account locators.
import t from 'tap';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  ACCOUNT_C,
  bearer,
  buildTestApp,
  jwksServer,
  oidcConfig,
  rsaKeys,
  serviceToken,
  signToken,
} from './helpers.ts';

t.test('403 for a role or an account outside the scope, on read, mutate and admin routes', async (t) => {
  const keys = await rsaKeys();
  const jwks = await jwksServer(t, [keys.publicJwk]);
  const { app } = await buildTestApp(t, {
    auth: { oidc: oidcConfig(jwks.url), accountGroups: { prod: [ACCOUNT_C] } },
  });
  const jwt = (roles: string[], accounts: string[]) =>
    signToken(keys, { sub: roles.join('-') || 'none', roles, accounts });
  const viewerA = await jwt(['viewer'], [ACCOUNT_A]);
  const requesterA = await jwt(['requester'], [ACCOUNT_A]);
  const requesterProd = await jwt(['requester'], ['group:prod']);
  const approverAll = await jwt(['approver'], ['*']);
  const admin = await jwt(['admin'], []);
  const noRoles = await jwt([], ['*']);

  const call = async (method: 'GET' | 'PUT' | 'POST', url: string, token: string) => {
    const res = await app.inject({
      method,
      url,
      headers: bearer(token),
      ...(method === 'GET' ? {} : { payload: {} }),
    });
    return { status: res.statusCode, code: res.statusCode >= 400 ? (res.json().code as string) : undefined };
  };
  const read = (acc: string) => `/v1/accounts/${acc}/trail`;
  const mutate = (acc: string) => `/v1/accounts/${acc}/applies`;

  // read
  t.same(
    await call('GET', read(ACCOUNT_A), viewerA),
    { status: 200, code: undefined },
    'viewer reads its account',
  );
  t.same(
    await call('GET', read(ACCOUNT_B), viewerA),
    { status: 403, code: 'account_not_in_scope' },
    'read: other account',
  );
  t.same(
    await call('GET', read(ACCOUNT_A), noRoles),
    { status: 403, code: 'insufficient_role' },
    'read: no role',
  );
  t.equal((await call('GET', read(ACCOUNT_B), admin)).status, 200, 'admin reads any account');
  // mutate
  t.equal((await call('POST', mutate(ACCOUNT_A), requesterA)).status, 202, 'requester mutates its account');
  t.same(
    await call('POST', mutate(ACCOUNT_A), viewerA),
    { status: 403, code: 'insufficient_role' },
    'mutate: viewer',
  );
  t.same(
    await call('POST', mutate(ACCOUNT_B), requesterA),
    { status: 403, code: 'account_not_in_scope' },
    'mutate: other account',
  );
  t.equal(
    (await call('POST', mutate(ACCOUNT_C), requesterProd)).status,
    202,
    'group:prod covers its account',
  );
  t.equal(
    (await call('POST', mutate(ACCOUNT_A), requesterProd)).status,
    403,
    'group:prod covers nothing else',
  );
  t.equal((await call('POST', mutate(ACCOUNT_B), approverAll)).status, 202, 'approver ranks above requester');
  // admin
  t.equal((await call('GET', '/v1/settings', admin)).status, 200, 'admin route: admin');
  t.same(
    await call('GET', '/v1/settings', approverAll),
    { status: 403, code: 'insufficient_role' },
    'admin route: approver',
  );
  t.same(
    await call('POST', '/v1/settings', requesterA),
    { status: 403, code: 'insufficient_role' },
    'admin mutate: requester',
  );
  t.equal(
    (await call('GET', '/v1/service-tokens', requesterA)).status,
    403,
    'service tokens: not for a requester',
  );
  t.equal((await call('GET', '/v1/audit', viewerA)).status, 403, 'audit: not for a viewer');
  // approver routes
  t.equal(
    (await call('POST', '/v1/operations/op-a/approval', requesterA)).status,
    403,
    'approval needs the approver role',
  );
  t.equal((await call('POST', '/v1/operations/op-a/approval', approverAll)).status, 200, 'approver approves');

  // Public routes need nothing; the 404 handler needs nothing either.
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'public route without a token');
  t.equal((await app.inject({ url: '/nowhere' })).statusCode, 404, 'unknown URL: 404, not 401');
  // 401 comes before any role check.
  t.equal((await app.inject({ url: '/v1/settings' })).statusCode, 401, 'admin route without token: 401');
});

t.test('account from the body and from a lookup', async (t) => {
  const { app, security } = await buildTestApp(t);
  const reqA = await serviceToken(security, ['requester'], [ACCOUNT_A]);
  const viewerAll = await serviceToken(security, ['viewer'], ['*']);
  const viewerA = await serviceToken(security, ['viewer'], [ACCOUNT_A]);

  const post = (token: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/bulk-checks',
      headers: bearer(token),
      payload: payload as object,
    });
  t.equal((await post(reqA, { accountId: ACCOUNT_A })).statusCode, 200, 'body account in scope');
  t.equal((await post(reqA, { accountId: ACCOUNT_B })).statusCode, 403, 'body account out of scope');
  t.equal((await post(reqA, {})).statusCode, 403, 'no account in the body: only all-account principals pass');

  const op = (token: string, id: string) =>
    app.inject({ url: `/v1/operations/${id}`, headers: bearer(token) });
  t.equal((await op(viewerA, 'op-a')).statusCode, 200, 'operation of an account in scope');
  t.equal((await op(viewerA, 'op-b')).statusCode, 403, 'operation of another account');
  t.equal((await op(viewerA, 'op-zzz')).statusCode, 403, 'unknown operation: a scoped caller learns nothing');
  t.equal(
    (await op(viewerAll, 'op-zzz')).statusCode,
    404,
    'unknown operation: 404 for an all-account caller',
  );
});

t.test('list routes filter by the scope of the caller', async (t) => {
  const { app, security } = await buildTestApp(t, { auth: { accountGroups: { prod: [ACCOUNT_C] } } });
  const list = async (accounts: string[], roles: ('viewer' | 'admin')[] = ['viewer']) =>
    (
      await app.inject({
        url: '/v1/accounts',
        headers: bearer(await serviceToken(security, roles, accounts)),
      })
    ).json();
  t.same(await list([ACCOUNT_B, 'group:prod']), { items: [ACCOUNT_B, ACCOUNT_C], canA: false });
  t.same(await list(['*']), { items: [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C], canA: true });
  t.same(await list([], ['admin']), { items: [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C], canA: true });
  t.same(await list(['group:unknown']), { items: [], canA: false });
});

t.test('assertSecured', async (t) => {
  const { assertSecured } = await import('../../src/auth/wire.ts');
  const { default: Fastify } = await import('fastify');
  const { app } = await buildTestApp(t);
  t.doesNotThrow(() => assertSecured(app));
  const bare = Fastify();
  t.throws(() => assertSecured(bare), /wireSecurity was not called/);
  await bare.close();
});

t.test('the bootstrap admin token', async (t) => {
  const { tempDir } = await import('../helpers/engine.ts');
  const { statSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dataDir = await tempDir(t);
  const { app } = await buildTestApp(t, {
    dataDir,
    auth: { bootstrap: { disabled: false, tokenFile: undefined } },
  });
  const file = join(dataDir, 'secrets', 'bootstrap-token');
  t.equal(statSync(file).mode & 0o777, 0o600, 'written with mode 0600');
  const token = readFileSync(file, 'utf8').trim();
  t.match(token, /^twst_/, 'recognizable as a service token');
  const res = await app.inject({ url: '/v1/settings', headers: bearer(token) });
  t.equal(res.statusCode, 200, 'the bootstrap token is an admin');
  t.equal(
    (await app.inject({ url: '/v1/settings', headers: bearer(token + 'x') })).statusCode,
    401,
    'near miss: 401',
  );

  // A second start reuses the file; a configured file takes precedence.
  const again = await buildTestApp(t, {
    dataDir,
    auth: { bootstrap: { disabled: false, tokenFile: undefined } },
  });
  t.equal(
    (await again.app.inject({ url: '/v1/settings', headers: bearer(token) })).statusCode,
    200,
    'reused',
  );
  const own = join(dataDir, 'my-token');
  writeFileSync(own, 'twst_my-own-bootstrap-token-of-enough-length\n');
  const configured = await buildTestApp(t, {
    dataDir,
    auth: { bootstrap: { disabled: false, tokenFile: own } },
  });
  t.equal(
    (
      await configured.app.inject({
        url: '/v1/settings',
        headers: bearer('twst_my-own-bootstrap-token-of-enough-length'),
      })
    ).statusCode,
    200,
    'TRAILWARDEN_BOOTSTRAP_TOKEN_FILE',
  );
  t.equal(
    (await configured.app.inject({ url: '/v1/settings', headers: bearer(token) })).statusCode,
    401,
    'generated one not used',
  );
  // An operator's token needs no twst_ prefix.
  const plain = join(dataDir, 'plain-token');
  writeFileSync(plain, 'Zm9vYmFyYmF6cXV4LW9wZXJhdG9yLWNob3Nlbi10b2tlbg\n');
  const plainApp = await buildTestApp(t, {
    dataDir,
    auth: { bootstrap: { disabled: false, tokenFile: plain } },
  });
  const plainToken = 'Zm9vYmFyYmF6cXV4LW9wZXJhdG9yLWNob3Nlbi10b2tlbg';
  t.equal(
    (await plainApp.app.inject({ url: '/v1/settings', headers: bearer(plainToken) })).statusCode,
    200,
    'a bootstrap token without the prefix',
  );
  const disabled = await buildTestApp(t, { dataDir });
  t.equal(
    (await disabled.app.inject({ url: '/v1/settings', headers: bearer(token) })).statusCode,
    401,
    'disabled',
  );
});
