// OIDC bearer tokens: verified against a JWKS served from a local HTTP server.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadAuthConfig } from '../../src/auth/config.ts';
import { tempDir } from '../helpers/engine.ts';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  AUDIENCE,
  bearer,
  buildTestApp,
  ISSUER,
  jwksServer,
  oidcConfig,
  rsaKeys,
  signToken,
} from './helpers.ts';

t.test('OIDC tokens against a remote JWKS', async (t) => {
  const keys = await rsaKeys('key-1');
  const attacker = await rsaKeys('key-1'); // same kid, different key: a forged signature
  const jwks = await jwksServer(t, [keys.publicJwk]);
  const { app } = await buildTestApp(t, { auth: { oidc: oidcConfig(jwks.url) } });
  const url = `/v1/accounts/${ACCOUNT_A}/trail`;
  const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  const ok = await get(bearer(await signToken(keys, { roles: ['viewer'], accounts: [ACCOUNT_A] })));
  t.equal(ok.statusCode, 200, 'a valid token is accepted');
  t.equal(ok.json().principal, 'oidc:alice', 'the principal is the subject');
  t.ok(jwks.hits() >= 1, 'the JWKS was fetched from the server');

  const cases: [string, Record<string, string>, RegExp][] = [
    ['no token', {}, /bearer token is required/],
    ['not a bearer header', { authorization: 'Basic dXNlcjpwYXNz' }, /Bearer <token>/],
    ['bad signature', bearer(await signToken(attacker)), /signature/],
    ['expired', bearer(await signToken(keys, { expiresIn: -3600 })), /expired/],
    ['wrong audience', bearer(await signToken(keys, { audience: 'another-service' })), /"aud"/],
    ['wrong issuer', bearer(await signToken(keys, { issuer: 'https://evil.example.test' })), /"iss"/],
    ['garbage', bearer('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'), /signature|not valid|not signed/],
  ];
  for (const [name, headers, detail] of cases) {
    const res = await get(headers);
    t.equal(res.statusCode, 401, `${name}: 401`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`);
    t.equal(res.json().code, 'unauthorized', `${name}: code`);
    t.match(res.json().detail, detail, `${name}: says why`);
    t.match(
      String(res.headers['www-authenticate']),
      /^Bearer realm="trailwarden"/,
      `${name}: WWW-Authenticate`,
    );
  }

  // A token altered after signing (roles escalated) fails the signature check.
  const real = await signToken(keys, { roles: ['viewer'] });
  const [h, , s] = real.split('.');
  const payload = Buffer.from(
    JSON.stringify({
      sub: 'alice',
      iss: ISSUER,
      aud: AUDIENCE,
      exp: Math.floor(Date.now() / 1000) + 600,
      trailwarden_roles: ['admin'],
    }),
  ).toString('base64url');
  const escalated = await app.inject({
    method: 'GET',
    url: '/v1/settings',
    headers: bearer(`${h}.${payload}.${s}`),
  });
  t.equal(escalated.statusCode, 401, 'an edited payload does not verify');

  // An HMAC token signed with the public key as secret ("alg confusion") is rejected.
  const { SignJWT } = await import('jose');
  const hs = await new SignJWT({ trailwarden_roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
    .setSubject('mallory')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JSON.stringify(keys.publicJwk)));
  t.equal((await get(bearer(hs))).statusCode, 401, 'HS256 is not accepted');
});

t.test('roles and accounts from configurable (nested) claims; unknown roles ignored', async (t) => {
  const keys = await rsaKeys();
  const jwks = await jwksServer(t, [keys.publicJwk]);
  const { app } = await buildTestApp(t, {
    auth: {
      oidc: oidcConfig(jwks.url, {
        rolesClaim: 'realm_access.roles',
        accountsClaim: 'groups',
        nameClaim: 'preferred_username',
      }),
      accountGroups: { prod: [ACCOUNT_B] },
    },
  });
  const token = await signToken(keys, {
    sub: 'bob',
    roles: [],
    accounts: [],
    claims: {
      realm_access: { roles: ['requester', 'superuser'] },
      groups: 'group:prod',
      preferred_username: 'bob',
    },
  });
  const put = (account: string) =>
    app.inject({ method: 'PUT', url: `/v1/accounts/${account}/trail`, headers: bearer(token), payload: {} });
  t.equal((await put(ACCOUNT_B)).statusCode, 201, 'requester on an account of its group');
  t.equal((await put(ACCOUNT_A)).statusCode, 403, 'not on an account outside the group');
  const admin = await app.inject({ method: 'GET', url: '/v1/settings', headers: bearer(token) });
  t.equal(admin.statusCode, 403, 'an unknown role claim ("superuser") grants nothing');
  // The default claim names are not read when others are configured.
  const defaultClaims = await signToken(keys, { roles: ['admin'], accounts: ['*'] });
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/settings', headers: bearer(defaultClaims) })).statusCode,
    403,
    'trailwarden_roles is ignored when OIDC_ROLES_CLAIM names another claim',
  );
});

t.test('a local JWKS file (air-gapped) from the environment', async (t) => {
  const dir = await tempDir(t);
  const keys = await rsaKeys('local');
  const file = join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [keys.publicJwk] }));
  const auth = loadAuthConfig({
    OIDC_ISSUER: ISSUER,
    OIDC_AUDIENCE: `other, ${AUDIENCE}`,
    OIDC_JWKS_FILE: file,
  });
  t.same(auth.oidc?.audience, ['other', AUDIENCE]);
  const { app } = await buildTestApp(t, { auth: { oidc: auth.oidc } });
  const url = `/v1/accounts/${ACCOUNT_A}/trail`;
  t.equal((await app.inject({ url, headers: bearer(await signToken(keys)) })).statusCode, 200);
  const stranger = await rsaKeys('other');
  t.equal((await app.inject({ url, headers: bearer(await signToken(stranger)) })).statusCode, 401);
});

t.test('an unreachable JWKS: 401 for the caller, a warning for the operator', async (t) => {
  const { createJwtVerifier } = await import('../../src/auth/jwt.ts');
  const { createServer } = await import('node:http');
  // A port that was just free: nothing listens there.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const warnings: object[] = [];
  const verifier = createJwtVerifier(oidcConfig(`http://127.0.0.1:${port}/jwks.json`), {
    log: { warn: (obj) => warnings.push(obj) },
  });
  const keys = await rsaKeys();
  const token = await signToken(keys);
  await t.rejects(verifier.verify(token), { status: 401, code: 'unauthorized' });
  t.equal(warnings.length, 1, 'one warning');
  t.notOk(JSON.stringify(warnings).includes(token), 'without the token');
  // A bad token is the caller's problem: no warning.
  const jwks = await jwksServer(t, [keys.publicJwk]);
  const ok = createJwtVerifier(oidcConfig(jwks.url), { log: { warn: (obj) => warnings.push(obj) } });
  await t.rejects(ok.verify(await signToken(keys, { audience: 'x' })), { status: 401, code: 'unauthorized' });
  t.equal(warnings.length, 1, 'no warning for a bad token');
});

t.test('without OIDC configured, JWTs are refused', async (t) => {
  const keys = await rsaKeys();
  const { app } = await buildTestApp(t);
  const res = await app.inject({
    url: `/v1/accounts/${ACCOUNT_A}/trail`,
    headers: bearer(await signToken(keys)),
  });
  t.equal(res.statusCode, 401);
  t.match(res.json().detail, /no identity provider/);
});

t.test('OIDC configuration errors', async (t) => {
  t.throws(() => loadAuthConfig({ OIDC_ISSUER: ISSUER }), /OIDC_AUDIENCE/);
  t.throws(
    () =>
      loadAuthConfig({
        OIDC_ISSUER: ISSUER,
        OIDC_AUDIENCE: 'a',
        OIDC_JWKS_URL: 'https://x/jwks',
        OIDC_JWKS_FILE: '/x',
      }),
    /exactly one/,
  );
  t.throws(() => loadAuthConfig({ ACCOUNT_GROUPS: '{"prod": ["123"]}' }), /ACCOUNT_GROUPS/);
  const c = loadAuthConfig({ ACCOUNT_GROUPS: '{"prod": ["123456789012"]}', APPROVAL_ADMIN_BYPASS: 'false' });
  t.same(c.accountGroups, { prod: ['123456789012'] });
  t.equal(c.approval.adminBypass, false);
  t.equal(c.oidc, undefined);
});
