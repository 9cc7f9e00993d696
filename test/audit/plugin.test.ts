// One audit entry per mutating call; GET /v1/audit and /v1/audit/verify for admins.
import t from 'tap';
import { ACCOUNT_A, ACCOUNT_B, bearer, buildTestApp, serviceToken } from '../auth/helpers.ts';

t.test('every mutating call is appended with who, what, account, request id and outcome', async (t) => {
  const { app, security } = await buildTestApp(t);
  const admin = await serviceToken(security, ['admin']);
  const requesterA = await serviceToken(security, ['requester'], [ACCOUNT_A]);
  const adminId = (await security.authenticator.authenticate(admin)).id;
  const requesterId = (await security.authenticator.authenticate(requesterA)).id;

  const put = (token: string | undefined, account: string, requestId: string) =>
    app.inject({
      method: 'PUT',
      url: `/v1/accounts/${account}/trail`,
      headers: { ...(token ? bearer(token) : {}), 'x-request-id': requestId },
      payload: {},
    });
  t.equal((await put(requesterA, ACCOUNT_A, 'ok-1')).statusCode, 201);
  t.equal((await put(requesterA, ACCOUNT_B, 'denied-1')).statusCode, 403);
  t.equal((await put(undefined, ACCOUNT_A, 'anon-1')).statusCode, 401);
  // Reads and unknown URLs are not entries.
  await app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(requesterA) });
  await app.inject({ method: 'POST', url: '/v1/nowhere', headers: bearer(admin) });
  const created = await app.inject({
    method: 'POST',
    url: '/v1/service-tokens',
    headers: bearer(admin),
    payload: { name: 'ci', roles: ['viewer'] },
  });
  await security.audit.settled();

  const res = await app.inject({ url: '/v1/audit', headers: bearer(admin) });
  t.equal(res.statusCode, 200);
  const items = res.json().items.reverse();
  t.equal(items.length, 4, 'three PUTs and one POST; no GET, no 404');
  const byReq = (id: string) => items.find((e: { requestId: string }) => e.requestId === id);
  t.match(byReq('ok-1'), {
    actor: requesterId,
    actorName: 't-requester',
    action: 'PUT /v1/accounts/:accountId/trail',
    accountId: ACCOUNT_A,
    outcome: '201',
    details: { note: 'spec stored' },
  });
  t.match(
    byReq('denied-1'),
    { actor: requesterId, accountId: ACCOUNT_B, outcome: '403' },
    'refused calls too',
  );
  t.match(
    byReq('anon-1'),
    { actor: 'anonymous', accountId: ACCOUNT_A, outcome: '401' },
    'and unauthenticated ones',
  );
  const tokenEntry = items[3];
  t.match(tokenEntry, { actor: adminId, action: 'POST /v1/service-tokens', outcome: '201' });
  t.equal(tokenEntry.details.serviceTokenId, created.json().serviceToken.id);
  t.notOk(JSON.stringify(items).includes(created.json().token), 'the new token is not in the audit trail');
  t.ok(items.every((e: { at: string }) => !Number.isNaN(Date.parse(e.at))));
});

t.test('GET /v1/audit filters and pages; admin only', async (t) => {
  const { app, security } = await buildTestApp(t);
  const admin = await serviceToken(security, ['admin']);
  const reqA = await serviceToken(security, ['requester'], [ACCOUNT_A, ACCOUNT_B]);
  const approver = await serviceToken(security, ['approver']);
  for (let i = 0; i < 5; i++) {
    await app.inject({
      method: 'POST',
      url: `/v1/accounts/${i % 2 ? ACCOUNT_B : ACCOUNT_A}/applies`,
      headers: bearer(reqA),
      payload: {},
    });
  }
  await app.inject({ method: 'POST', url: '/v1/settings', headers: bearer(admin), payload: {} });
  await security.audit.settled();

  const get = (query: string, token = admin) =>
    app.inject({ url: `/v1/audit${query}`, headers: bearer(token) });
  t.equal((await get('', approver)).statusCode, 403, 'an approver cannot read the audit trail');
  t.equal((await get('')).json().items.length, 6);
  const a = (await get(`?accountId=${ACCOUNT_A}`)).json();
  t.equal(a.items.length, 3, 'by account');
  t.ok(a.items.every((e: { accountId: string }) => e.accountId === ACCOUNT_A));
  const reqId = (await security.authenticator.authenticate(reqA)).id;
  t.equal((await get(`?actor=${encodeURIComponent(reqId)}`)).json().items.length, 5, 'by actor');

  const first = (await get('?limit=4')).json();
  t.equal(first.items.length, 4);
  t.equal(first.items[0].action, 'POST /v1/settings', 'newest first');
  const second = (await get(`?limit=4&cursor=${first.nextCursor}`)).json();
  t.equal(second.items.length, 2);
  t.equal(second.nextCursor, null);
  t.same(
    [...first.items, ...second.items].map((e: { seq: number }) => e.seq),
    [6, 5, 4, 3, 2, 1],
  );
  t.equal((await get('?limit=0')).statusCode, 400);
  t.equal((await get('?accountId=12')).statusCode, 400);
});

t.test('GET /v1/audit/verify', async (t) => {
  const { app, security, db } = await buildTestApp(t);
  const admin = await serviceToken(security, ['admin']);
  const viewer = await serviceToken(security, ['viewer']);
  for (let i = 0; i < 4; i++)
    await app.inject({ method: 'POST', url: '/v1/settings', headers: bearer(admin), payload: {} });
  await security.audit.settled();
  t.equal((await app.inject({ url: '/v1/audit/verify', headers: bearer(viewer) })).statusCode, 403);
  const ok = await app.inject({ url: '/v1/audit/verify', headers: bearer(admin) });
  t.match(ok.json(), { ok: true, entries: 4, headSeq: 4, headHash: /^[0-9a-f]{64}$/ });
  const [row] = await db.all<{ id: string }>('SELECT id FROM audit_log WHERE seq = 2');
  await db.run("UPDATE audit_log SET outcome = '403' WHERE seq = 2");
  const broken = await app.inject({ url: '/v1/audit/verify', headers: bearer(admin) });
  t.equal(broken.statusCode, 200);
  t.same(broken.json(), {
    ok: false,
    entries: 1,
    broken: { seq: 2, id: row!.id, reason: 'the entry does not match its hash' },
  });
});
