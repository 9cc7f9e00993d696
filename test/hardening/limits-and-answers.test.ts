// Rate limits spare health checks and count 403s; operation ids answer the same whether unknown or out of
// scope; Node's and our own client errors are problem+json (414, 431, 400).
import { connect } from 'node:net';
import t from 'tap';
import { ACCOUNT, makeApp, OTHER_ACCOUNT, putTrail } from '../api/helpers.ts';
import { listeningApp } from './helpers.ts';

const badToken = (i: number) => ({ authorization: `Bearer twst_0123456789abcdef_${'x'.repeat(42)}${i}` });

t.test('health checks are exempt from rate limiting; bad tokens do not lock them', async (t) => {
  const { app } = await makeApp({ auth: { rateLimit: { max: 5, timeWindowMs: 60_000 } } });
  t.teardown(() => app.close());
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ url: `/v1/accounts/${ACCOUNT}/trail`, headers: badToken(i) });
    t.equal(res.statusCode, 401, `bad token ${i + 1}: 401`);
  }
  const limited = await app.inject({ url: `/v1/accounts/${ACCOUNT}/trail`, headers: badToken(9) });
  t.equal(limited.statusCode, 429, 'the address is limited now');
  t.equal(limited.json().code, 'rate_limited');
  for (let i = 0; i < 20; i++) {
    const health = await app.inject({ url: '/healthz', headers: { authorization: null } as never });
    if (health.statusCode !== 200) {
      t.fail(`/healthz call ${i + 1} answered ${health.statusCode}`);
      break;
    }
  }
  t.pass('/healthz still answers 200, 20 times over the limit');
  const ready = await app.inject({ url: '/readyz', headers: { authorization: null } as never });
  t.equal(ready.statusCode, 200, '/readyz too');
  t.notOk(ready.headers['x-ratelimit-limit'], 'and is not counted');
  const page = await app.inject({ url: '/', headers: { authorization: null } as never });
  t.equal(page.statusCode, 429, 'other public routes stay limited');
});

t.test("403s count against the caller's limit", async (t) => {
  const { app, tokenFor } = await makeApp({ auth: { rateLimit: { max: 4, timeWindowMs: 60_000 } } });
  t.teardown(() => app.close());
  const viewerA = await tokenFor(['viewer'], [ACCOUNT]);
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({ url: `/v1/accounts/${OTHER_ACCOUNT}/trail`, headers: as(viewerA) });
    t.equal(res.statusCode, 403, `out of scope ${i + 1}: 403`);
  }
  const fifth = await app.inject({ url: `/v1/accounts/${ACCOUNT}/trail`, headers: as(viewerA) });
  t.equal(fifth.statusCode, 429, 'the fifth call, even an allowed one, is limited: the 403s counted');
  const roleDenied = await tokenFor(['viewer'], ['*']);
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/service-tokens',
      headers: as(roleDenied),
      payload: {},
    });
    t.equal(res.statusCode, 403, `insufficient role ${i + 1}: 403`);
  }
  t.equal(
    (await app.inject({ url: '/v1/accounts', headers: as(roleDenied) })).statusCode,
    429,
    'role 403s count too',
  );
});

t.test('unknown and out-of-scope operation ids get the same 404', async (t) => {
  const { app, tokenFor, engine } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  await putTrail(app, OTHER_ACCOUNT);
  const other = (
    await app.inject({ method: 'POST', url: `/v1/accounts/${OTHER_ACCOUNT}/trail/previews` })
  ).json();
  await app.operationQueue.settled(other.id);
  const unknown = '00000000-0000-4000-8000-000000000000';
  const scoped = await tokenFor(['approver'], [ACCOUNT]);
  const admin = await tokenFor(['admin']);
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const normalize = (body: Record<string, unknown>, id: string) =>
    JSON.parse(JSON.stringify(body).replaceAll(id, '<id>'));

  for (const [method, suffix] of [
    ['GET', ''],
    ['GET', '/events'],
    ['POST', '/cancel'],
    ['POST', '/retry'],
    ['POST', '/approve'],
    ['POST', '/reject'],
  ] as const) {
    const call = (id: string, token: string) =>
      app.inject({
        method,
        url: `/v1/operations/${id}${suffix}`,
        headers: { ...as(token), accept: 'application/json' },
      });
    const hidden = await call(other.id, scoped);
    const missing = await call(unknown, scoped);
    const missingForAdmin = await call(unknown, admin);
    const label = `${method} …${suffix}`;
    t.equal(hidden.statusCode, 404, `${label}: out of scope is 404`);
    t.equal(missing.statusCode, 404, `${label}: unknown is 404`);
    t.same(normalize(hidden.json(), other.id), normalize(missing.json(), unknown), `${label}: same body`);
    t.same(
      normalize(missing.json(), unknown),
      normalize(missingForAdmin.json(), unknown),
      `${label}: the same body an all-account caller gets`,
    );
    t.notMatch(hidden.body, OTHER_ACCOUNT, `${label}: the account is not named`);
  }
  const malformed = await app.inject({ url: '/v1/operations/not-a-uuid', headers: as(scoped) });
  t.equal(malformed.statusCode, 400, 'a malformed id is a 400 for everyone');
});

/** Sends raw bytes and resolves with everything the server answers before it closes. */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(data));
    let received = '';
    socket.on('data', (c) => {
      received += c.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

t.test('414, 431 and malformed requests are problem+json', async (t) => {
  const { url, port, adminToken } = await listeningApp(t);
  const long = await fetch(`${url}/v1/accounts?prefix=${'1'.repeat(9000)}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  t.equal(long.status, 414, 'a target over 8192 characters: 414');
  t.match(long.headers.get('content-type'), /application\/problem\+json/);
  const problem = (await long.json()) as Record<string, unknown>;
  t.match(problem, { status: 414, code: 'uri_too_long' });
  t.notOk(problem.instance, 'the target is not echoed');
  const anonymous = await fetch(`${url}/v1/accounts?prefix=${'1'.repeat(9000)}`);
  t.equal(anonymous.status, 414, 'before authentication');

  // A long path parameter (within the URL limit) is a 400 on that field, not the router's own 414.
  const longParam = await fetch(`${url}/v1/operations/${'x'.repeat(300)}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  t.equal(longParam.status, 400, 'a 300-character operation id: 400');
  t.match(longParam.headers.get('content-type'), /application\/problem\+json/);
  t.match(await longParam.json(), { code: 'validation_failed', errors: [{ path: '/operationId' }] });

  const huge = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
  t.match(huge, /^HTTP\/1\.1 431 /, 'headers over the limit: 431');
  t.match(huge, /content-type: application\/problem\+json/i);
  t.match(bodyOf(huge), { status: 431, code: 'request_header_fields_too_large' });
  const hugeTarget = await raw(port, `GET /healthz?${'q'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.match(
    hugeTarget,
    /^HTTP\/1\.1 431 /,
    'a target past the header limit: 431 from the parser, still problem+json',
  );
  t.match(bodyOf(hugeTarget), { status: 431 });
  const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
  t.match(garbage, /^HTTP\/1\.1 400 /, 'malformed: 400');
  t.match(bodyOf(garbage), { status: 400, code: 'bad_request' });
});

t.test('an idle client is closed by the server and counted in the log', async (t) => {
  const { port, app, logs } = await listeningApp(t, {
    config: {
      http: {
        headersTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        keepAliveTimeoutMs: 1000,
        idleTimeoutMs: 20000,
        maxConnections: 100,
        maxRequestsPerSocket: 100,
      },
    },
  });
  // Connects and sends nothing: closed at the headers timeout with a 408.
  const silent = await new Promise<string>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (c) => {
      received += c.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
  t.match(silent, /^HTTP\/1\.1 408 /, 'a silent connection gets 408 and is closed');
  t.match(bodyOf(silent), { status: 408, code: 'request_timeout' });

  // One request on a keep-alive connection, then nothing: closed after the keep-alive timeout.
  const keptAlive = await new Promise<string>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () =>
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'),
    );
    let received = '';
    socket.on('data', (c) => {
      received += c.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
  t.match(keptAlive, /^HTTP\/1\.1 200 /, 'the request was served, then the idle connection closed');

  await app.close();
  const totals = logs.filter((l) => l['msg'] === 'closed slow, idle or excess client connections').at(-1)?.[
    'closedConnectionsTotal'
  ] as Record<string, number> | undefined;
  t.ok(totals, 'the closures are logged');
  t.equal(totals?.['timeout'], 1, 'the silent one as a timeout');
  t.equal(totals?.['idle'], 1, 'the kept-alive one as idle');
});
