import { Writable } from 'node:stream';
import t from 'tap';
import { buildApp, createLogger } from '../../src/app.ts';
import { testConfig } from '../../src/config.ts';
import { ACCOUNT, alarmCatalog, ControllableEngine, openTestStore, putTrail } from './helpers.ts';

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, stream };
}

t.test('request id honoured and returned; operation id on engine lines; secrets redacted', async (t) => {
  const { lines, stream } = captureLogs();
  const config = testConfig({ logLevel: 'info' });
  const engine = new ControllableEngine();
  const app = await buildApp({
    config,
    stores: await openTestStore(),
    engine,
    alarmCatalog,
    logger: createLogger(config, stream),
  });
  t.teardown(() => app.close());

  const res = await app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'portal-42', authorization: 'Bearer abc.def' },
  });
  t.equal(res.headers['x-request-id'], 'portal-42');
  const requestLines = lines.filter((l) => l['reqId'] === 'portal-42');
  t.ok(requestLines.length >= 2, 'incoming and completed lines carry the request id');
  t.notMatch(JSON.stringify(lines), /abc\.def/, 'authorization header never logged');

  const generated = await app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'bad id\n' },
  });
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an unsafe id is replaced');

  await putTrail(app);
  const op = (await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/applies` })).json();
  const call = await engine.nextCall();
  call.opts?.log?.info(
    { step: 'engine-line', passphrase: 'hunter2', nested: { secret: 's3cr3t' } },
    'from the engine',
  );
  call.succeed();
  await app.operationQueue.settled(op.id);
  const engineLine = lines.find((l) => l['step'] === 'engine-line');
  t.equal(engineLine?.['operationId'], op.id);
  t.equal(engineLine?.['passphrase'], '[Redacted]');
  t.same(engineLine?.['nested'], { secret: '[Redacted]' });
  t.notMatch(JSON.stringify(lines), /hunter2|s3cr3t/);
});

t.test('an unknown error is a generic 500 problem, logged with its cause, no stack trace', async (t) => {
  const { lines, stream } = captureLogs();
  const config = testConfig({ logLevel: 'info' });
  const store = await openTestStore();
  const app = await buildApp({
    config,
    stores: store,
    engine: new ControllableEngine(),
    alarmCatalog,
    logger: createLogger(config, stream),
  });
  t.teardown(() => app.close());
  store.accounts.getAccount = async () => {
    throw new Error('disk I/O error at /secret/path');
  };
  const res = await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` });
  t.equal(res.statusCode, 500);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(res.json(), { code: 'internal_error', status: 500, detail: 'An unexpected error occurred.' });
  t.notMatch(res.body, /disk I\/O|at .*\.ts/);
  t.ok(
    lines.some((l) => JSON.stringify(l).includes('disk I/O error')),
    'the cause is logged',
  );
});

t.test(
  'static assets are not logged at info; API requests are; the engine gets a debug channel',
  async (t) => {
    const { lines, stream } = captureLogs();
    const config = testConfig({ logLevel: 'info' });
    const engine = new ControllableEngine();
    const app = await buildApp({
      config,
      stores: await openTestStore(),
      engine,
      alarmCatalog,
      logger: createLogger(config, stream),
    });
    t.teardown(() => app.close());
    for (const url of ['/assets/app.js', '/assets/app.css', '/docs/static/index.css']) {
      const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': `asset-${url}` } });
      t.equal(res.statusCode, 200, url);
      t.same(
        lines.filter((l) => l['reqId'] === `asset-${url}`),
        [],
        `${url}: no request lines at info`,
      );
    }
    const missing = await app.inject({
      method: 'GET',
      url: '/assets/nope.js',
      headers: { 'x-request-id': 'a404' },
    });
    t.equal(missing.statusCode, 404);
    await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'api-1' } });
    t.ok(lines.filter((l) => l['reqId'] === 'api-1').length >= 2, 'an API request still logs');

    await putTrail(app);
    await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/previews` });
    const call = await engine.nextCall();
    t.type(call.opts?.log?.debug, 'function', 'per-resource progress has a debug channel');
    call.succeed();
  },
);

t.test('LOG_FORMAT=pretty is a documented, validated setting', async (t) => {
  const { parseConfigEnv } = await import('../../src/config.ts');
  t.equal(parseConfigEnv({}).LOG_FORMAT, 'json');
  t.equal(parseConfigEnv({ LOG_FORMAT: 'pretty' }).LOG_FORMAT, 'pretty', 'pino-pretty is installed (dev)');
  t.throws(() => parseConfigEnv({ LOG_FORMAT: 'fancy' }), /LOG_FORMAT/);
});
