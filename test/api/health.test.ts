import t from 'tap';
import { makeApp, openTestStore } from './helpers.ts';

t.test('/healthz answers while the process runs', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('/readyz: ready when the database answers and the CLI has the pinned version', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  const ok = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().status, 'ready');

  engine.version = 'v3.100.0';
  const wrong = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(wrong.statusCode, 503);
  t.equal(wrong.json().code, 'not_ready');
  t.match(wrong.json().detail, /pulumi-cli: CLI 3\.100\.0, expected 3\.260\.0/);

  engine.version = 'v3.260.0';
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'a leading v is fine');
});

t.test('/readyz: 503 when the database is unreachable', async (t) => {
  const store = await openTestStore();
  const { app } = await makeApp({ store });
  t.teardown(() => app.close());
  store.ping = async () => {
    throw new Error('connection refused');
  };
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.match(res.json().detail, /database: database unreachable/);
});
