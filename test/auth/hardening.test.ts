// Rate limits per principal, security headers and CSP, body limits.
import t from 'tap';
import { ACCOUNT_A, bearer, buildTestApp, serviceToken } from './helpers.ts';

t.test('rate limit per principal, falling back to the IP', async (t) => {
  const { app, security } = await buildTestApp(t, { auth: { rateLimit: { max: 3, timeWindowMs: 60_000 } } });
  const one = await serviceToken(security, ['viewer']);
  const two = await serviceToken(security, ['viewer']);
  const get = (token?: string) =>
    app.inject({
      // Anonymous: a public page (health checks are exempt from the limit, see below).
      url: token ? `/v1/accounts/${ACCOUNT_A}/trail` : '/',
      headers: token ? bearer(token) : {},
    });
  for (let i = 0; i < 3; i++) t.equal((await get(one)).statusCode, 200, `principal one, call ${i + 1}`);
  const limited = await get(one);
  t.equal(limited.statusCode, 429, 'principal one is limited');
  t.equal(limited.json().code, 'rate_limited');
  t.ok(limited.headers['retry-after'], 'Retry-After');
  t.equal((await get(two)).statusCode, 200, 'principal two has its own budget (same IP)');
  for (let i = 0; i < 3; i++) t.equal((await get()).statusCode, 200, `anonymous call ${i + 1}`);
  t.equal((await get()).statusCode, 429, 'anonymous calls are limited by IP');
  t.equal((await get(two)).statusCode, 200, 'the IP budget is not the principal budget');
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'health checks are never limited');
});

t.test('failed authentications count against the IP', async (t) => {
  const { app, security } = await buildTestApp(t, { auth: { rateLimit: { max: 3, timeWindowMs: 60_000 } } });
  const good = await serviceToken(security, ['viewer']);
  const bad = (i: number) =>
    app.inject({
      url: `/v1/accounts/${ACCOUNT_A}/trail`,
      headers: bearer(`twst_0123456789abcdef_${'x'.repeat(42)}${i}`),
    });
  for (let i = 0; i < 3; i++) t.equal((await bad(i)).statusCode, 401, `guess ${i + 1}: 401`);
  t.equal((await bad(4)).statusCode, 429, 'then 429: guessing is throttled per IP');
  t.equal((await app.inject({ url: '/v1/settings' })).statusCode, 429, 'no token at all: same IP budget');
  t.equal(
    (await app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(good) })).statusCode,
    200,
    'a valid principal keeps its own budget',
  );
});

t.test('security headers and a strict CSP', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ url: '/' });
  t.equal(res.statusCode, 200);
  const csp = String(res.headers['content-security-policy']);
  t.match(csp, /default-src 'self'/);
  t.match(csp, /script-src 'self'(;|$)/, 'scripts from the origin only');
  t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'no inline scripts or eval');
  t.match(csp, /frame-ancestors 'none'/);
  t.match(csp, /object-src 'none'/);
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
  t.equal(res.headers['referrer-policy'], 'no-referrer');
  t.notOk(res.headers['x-powered-by']);
  // Errors carry them too.
  const denied = await app.inject({ url: '/v1/settings' });
  t.equal(denied.statusCode, 401);
  t.match(String(denied.headers['content-security-policy']), /default-src 'self'/);
});

t.test('body size limit', async (t) => {
  const { app, security } = await buildTestApp(t, { auth: { bodyLimitBytes: 2048 } });
  const token = await serviceToken(security, ['requester']);
  const put = (size: number) =>
    app.inject({
      method: 'PUT',
      url: `/v1/accounts/${ACCOUNT_A}/trail`,
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(size) }),
    });
  t.equal((await put(1000)).statusCode, 201, 'under the limit');
  const big = await put(5000);
  t.equal(big.statusCode, 413, 'over the limit');
  // Without a token, the body is not even read: 401 first.
  const anon = await app.inject({
    method: 'PUT',
    url: `/v1/accounts/${ACCOUNT_A}/trail`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ pad: 'x'.repeat(5000) }),
  });
  t.equal(anon.statusCode, 401, 'authentication happens before the body is parsed');
});
