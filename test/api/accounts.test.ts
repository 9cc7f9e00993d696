import t from 'tap';
import { baselineRefresh, bucket } from '../drift/engine-events.ts';
import { makeApp, putTrail } from './helpers.ts';

const ids = ['100000000001', '100000000002', '100000000003', '200000000001', '200000000002'];

t.test('GET /v1/accounts: status, last operation, drift; paginated and filterable', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  for (const id of ids) await putTrail(app, id);
  // One applied account, one with critical drift (its log bucket was deleted).
  const applied = (await app.inject({ method: 'POST', url: `/v1/accounts/${ids[1]}/trail/applies` })).json();
  (await engine.nextCall()).succeed();
  await app.operationQueue.settled(applied.id);
  const drift = (await app.inject({ method: 'POST', url: `/v1/accounts/${ids[3]}/drift-checks` })).json();
  const driftCall = await engine.nextCall();
  for (const e of baselineRefresh([{ state: bucket, op: 'delete' }])) driftCall.emit(e);
  driftCall.succeed({ changeSummary: { delete: 1, same: 3 } });
  await app.operationQueue.settled(drift.id);

  const page1 = await app.inject({ method: 'GET', url: '/v1/accounts?limit=2' });
  t.equal(page1.statusCode, 200);
  t.same(
    page1.json().items.map((a: { accountId: string }) => a.accountId),
    ids.slice(0, 2),
  );
  t.type(page1.json().nextCursor, 'string');
  const second = page1.json().items[1];
  t.match(second, { status: 'applied', appliedVersion: 1, upToDate: true });
  t.match(second.lastOperation, { id: applied.id, kind: 'apply', state: 'succeeded' });

  const page2 = (
    await app.inject({ method: 'GET', url: `/v1/accounts?limit=2&cursor=${page1.json().nextCursor}` })
  ).json();
  t.same(
    page2.items.map((a: { accountId: string }) => a.accountId),
    ids.slice(2, 4),
  );
  const page3 = (
    await app.inject({ method: 'GET', url: `/v1/accounts?limit=2&cursor=${page2.nextCursor}` })
  ).json();
  t.same(
    page3.items.map((a: { accountId: string }) => a.accountId),
    ids.slice(4),
  );
  t.equal(page3.nextCursor, null);

  const byStatus = (await app.inject({ method: 'GET', url: '/v1/accounts?status=applied' })).json();
  t.same(
    byStatus.items.map((a: { accountId: string }) => a.accountId),
    [ids[1]],
  );
  const byDrift = (await app.inject({ method: 'GET', url: '/v1/accounts?drift=critical' })).json();
  t.same(
    byDrift.items.map((a: { accountId: string }) => a.accountId),
    [ids[3]],
  );
  t.equal(byDrift.items[0].drift.severity, 'critical');
  const byPrefix = (await app.inject({ method: 'GET', url: '/v1/accounts?prefix=2000' })).json();
  t.same(
    byPrefix.items.map((a: { accountId: string }) => a.accountId),
    ids.slice(3),
  );
  const none = (await app.inject({ method: 'GET', url: '/v1/accounts?prefix=3&status=pending' })).json();
  t.same(none, { items: [], nextCursor: null });

  for (const [query, path] of [
    ['limit=0', '/limit'],
    ['limit=1000', '/limit'],
    ['status=sleeping', '/status'],
    ['drift=huge', '/drift'],
    ['prefix=abc', '/prefix'],
    // Any base64url string is a position (cursors are opaque); anything else is refused by the schema.
    ['cursor=not%20a%20cursor', '/cursor'],
    ['colour=red', '/colour'],
  ] as const) {
    const res = await app.inject({ method: 'GET', url: `/v1/accounts?${query}` });
    t.equal(res.statusCode, 400, query);
    t.same(
      res.json().errors.map((e: { path: string; in: string }) => [e.path, e.in]),
      [[path, 'querystring']],
      query,
    );
  }
});

t.test('GET /v1/alarm-sets describes the catalog', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/v1/alarm-sets' });
  t.equal(res.statusCode, 200);
  t.same(
    res.json().items.map((s: { name: string }) => s.name),
    ['essentials', 'strict'],
  );
  t.same(res.json().items[0].entries[0], {
    id: 'root-usage',
    title: 'Root account used',
    description: 'Any root sign-in or API call',
  });
});
