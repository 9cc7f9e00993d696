// An account's history (operations, spec versions with who stored them) and the fleet drift view's
// filters and pagination.
import t from 'tap';
import { ACCOUNT, makeApp, OTHER_ACCOUNT, putTrail } from './helpers.ts';

t.test('operations newest first, paginated; versions with who stored them', async (t) => {
  const { app, engine, tokenFor } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  const requester = await tokenFor(['requester']);
  const created = await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1' });
  const second = await app.inject({
    method: 'PUT',
    url: `/v1/accounts/${ACCOUNT}/trail`,
    headers: { authorization: `Bearer ${requester}`, 'if-match': String(created.headers.etag) },
    payload: { homeRegion: 'us-east-1', retention: { cloudWatchLogsDays: 731 } },
  });
  t.equal(second.statusCode, 200);
  const ids: string[] = [];
  for (const path of ['trail/previews', 'trail/previews', 'drift-checks']) {
    const op = (await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/${path}` })).json();
    await app.operationQueue.settled(op.id);
    ids.push(op.id);
  }
  const first = await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/operations?limit=2` });
  t.equal(first.statusCode, 200);
  t.same(
    first.json().items.map((o: { id: string }) => o.id),
    [ids[2], ids[1]],
    'newest first',
  );
  const next = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/operations?limit=2&cursor=${first.json().nextCursor}`,
  });
  t.same(
    next.json().items.map((o: { id: string }) => o.id),
    [ids[0]],
  );
  t.equal(next.json().nextCursor, null);
  const previews = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/operations?kind=preview`,
  });
  t.equal(previews.json().items.length, 2);
  // A cursor outside the opaque cursor syntax (any string of it is a position).
  const bad = await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/operations?cursor=no%2Bpe` });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().errors[0].path, '/cursor');

  const versions = await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail/versions` });
  t.equal(versions.statusCode, 200);
  const items = versions.json().items;
  t.same(
    items.map((v: { version: number; current: boolean }) => [v.version, v.current]),
    [
      [2, true],
      [1, false],
    ],
  );
  t.match(items[0].createdBy, /^svc:/, 'who stored version 2');
  t.not(items[0].createdBy, items[1].createdBy, 'another principal stored version 1');
  t.equal(items[0].spec.retention.cloudWatchLogsDays, 731);
  t.equal(items[1].spec.retention.cloudWatchLogsDays, 365);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/accounts/${OTHER_ACCOUNT}/trail/versions` })).statusCode,
    404,
  );
});

t.test('fleet drift: worst first, filters, paginated', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  for (const id of ['111111111111', '222222222222', '333333333333']) await putTrail(app, id);
  const page1 = await app.inject({ method: 'GET', url: '/v1/drift?limit=2' });
  t.equal(page1.statusCode, 200);
  t.equal(page1.json().accounts.length, 2);
  t.equal(page1.json().counts.unknown, 3, 'counts cover every account in scope');
  const page2 = await app.inject({
    method: 'GET',
    url: `/v1/drift?limit=2&cursor=${page1.json().nextCursor}`,
  });
  t.same(
    page2.json().accounts.map((a: { accountId: string }) => a.accountId),
    ['333333333333'],
  );
  t.equal(page2.json().nextCursor, null);
  const scoped = await app.inject({ method: 'GET', url: '/v1/drift?scope=2' });
  t.same(
    scoped.json().accounts.map((a: { accountId: string; status: string }) => [a.accountId, a.status]),
    [['222222222222', 'pending']],
  );
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/drift?severity=critical' })).json().accounts.length,
    0,
  );
  t.equal((await app.inject({ method: 'GET', url: '/v1/drift?status=applied' })).json().counts.unknown, 0);
  t.equal((await app.inject({ method: 'GET', url: '/v1/drift?scope=x' })).statusCode, 400);
});
