// Four eyes on the real app: a requester's apply or decommission waits in pending-approval until
// another approver approves it (then it runs) or rejects it (then it ends cancelled); the requester,
// a token they own, or the owner of their token cannot decide; admins and strengthening-only applies
// skip the wait. Every transition is in the audit trail with who did it.
import t, { type Test } from 'tap';
import { ACCOUNT, makeApp, OTHER_ACCOUNT, putTrail } from '../api/helpers.ts';

interface Op {
  id: string;
  state: string;
  requestedBy: string | null;
  approvedBy: string | null;
  error: { code: string } | null;
}

async function setUp(t: Test) {
  const ctx = await makeApp();
  t.teardown(() => ctx.app.close());
  const { app, security } = ctx;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    token: string,
    payload?: object,
  ) => {
    const res = await app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    return {
      status: res.statusCode,
      location: res.headers.location,
      body: res.json() as Op & { code?: string },
    };
  };
  const idOf = async (token: string) => (await security.authenticator.authenticate(token)).id;
  return { ...ctx, call, idOf };
}

t.test('a requester apply waits for another approver, then runs', async (t) => {
  const { app, engine, tokenFor, call, idOf } = await setUp(t);
  const requester = await tokenFor(['requester'], [ACCOUNT]);
  const approverRequester = await tokenFor(['approver'], [ACCOUNT]);
  const approver = await tokenFor(['approver'], [ACCOUNT]);
  const otherApprover = await tokenFor(['approver'], [OTHER_ACCOUNT]);
  const requesterId = await idOf(requester);

  t.equal((await putTrail(app)).statusCode, 201);
  const created = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, requester);
  t.equal(created.status, 202);
  t.equal(created.body.state, 'pending-approval', 'the first apply of an account needs approval');
  t.equal(created.body.requestedBy, requesterId, 'the requester is recorded');
  const id = created.body.id;
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(engine.calls.length, 0, 'nothing runs while it waits');

  const own = await call('POST', `/v1/operations/${id}/approve`, requester);
  t.same([own.status, own.body.code], [403, 'insufficient_role'], 'the requester cannot approve (no role)');
  const scoped = await call('POST', `/v1/operations/${id}/approve`, otherApprover);
  // 404 like an unknown id: the answer does not reveal that the operation exists (issue 13).
  t.same(
    [scoped.status, scoped.body.code],
    [404, 'operation_not_found'],
    'an approver of another account cannot (and does not learn it exists)',
  );

  // An approver who requested it cannot approve it either.
  await call('POST', `/v1/operations/${id}/cancel`, requester);
  const second = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, approverRequester);
  t.equal(second.body.state, 'pending-approval');
  const self = await call('POST', `/v1/operations/${second.body.id}/approve`, approverRequester);
  t.same([self.status, self.body.code], [403, 'approval_not_allowed'], 'cannot approve own request');

  // The approver approves what GET …/trail shows: not once the spec has moved on.
  t.equal((await putTrail(app, ACCOUNT, { homeRegion: 'eu-west-1' })).statusCode, 200);
  const moved = await call('POST', `/v1/operations/${second.body.id}/approve`, approver);
  t.same([moved.status, moved.body.code], [409, 'spec_changed'], 'the spec changed since the request');
  t.equal((await putTrail(app)).statusCode, 200);
  const stillMoved = await call('POST', `/v1/operations/${second.body.id}/approve`, approver);
  t.equal(stillMoved.status, 409, 'a new version, even with the old content');
  await call('POST', `/v1/operations/${second.body.id}/cancel`, approverRequester);
  const third = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, approverRequester);
  t.equal(third.body.state, 'pending-approval');
  const approved = await call('POST', `/v1/operations/${third.body.id}/approve`, approver);
  t.equal(approved.status, 202, 'another approver can');
  t.equal(
    approved.location,
    `/v1/operations/${third.body.id}`,
    'Location: the operation, like other starters',
  );
  t.equal(approved.body.approvedBy, await idOf(approver));
  const engineCall = await engine.nextCall();
  t.equal(engineCall.method, 'apply', 'then it runs');
  engineCall.succeed();
  t.equal((await app.operationQueue.settled(third.body.id)).state, 'succeeded');
  const again = await call('POST', `/v1/operations/${third.body.id}/approve`, approver);
  t.same([again.status, again.body.code], [409, 'operation_not_pending_approval'], 'only once');
  const cancelled = (await call('GET', `/v1/operations/${id}`, approver)).body;
  t.equal(cancelled.state, 'cancelled', 'the requester could cancel their waiting request');
});

t.test('admins and strengthening-only applies skip approval; weakening ones do not', async (t) => {
  const { app, engine, tokenFor, call, adminToken } = await setUp(t);
  engine.autoComplete = true;
  const requester = await tokenFor(['requester'], [ACCOUNT]);
  t.equal(
    (await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', retention: { expireAfterDays: 400 } }))
      .statusCode < 300,
    true,
  );
  const byAdmin = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, adminToken);
  t.equal(byAdmin.body.state, 'queued', 'an admin apply runs at once');
  t.equal((await app.operationQueue.settled(byAdmin.body.id)).state, 'succeeded');

  t.equal(
    (await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', retention: { expireAfterDays: 800 } }))
      .statusCode < 300,
    true,
  );
  const stronger = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, requester);
  t.equal(stronger.body.state, 'queued', 'longer retention only strengthens: no approval');
  t.equal((await app.operationQueue.settled(stronger.body.id)).state, 'succeeded');

  t.equal(
    (await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', retention: { expireAfterDays: 500 } }))
      .statusCode < 300,
    true,
  );
  const weaker = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, requester);
  t.equal(weaker.body.state, 'pending-approval', 'shorter retention needs approval');

  const preview = await call('POST', `/v1/accounts/${ACCOUNT}/trail/previews`, requester);
  t.equal(preview.body.state, 'queued', 'previews never wait');
  t.equal(
    (await app.operationQueue.settled(preview.body.id)).state,
    'succeeded',
    'nor behind a waiting apply',
  );
});

t.test('a requester decommission waits; a rejection cancels it; a retry waits again', async (t) => {
  const { app, engine, tokenFor, call, security, idOf, adminToken } = await setUp(t);
  engine.autoComplete = true;
  const requester = await tokenFor(['requester'], [ACCOUNT]);
  const approver = await tokenFor(['approver'], ['*']);
  await putTrail(app);
  t.equal(
    (
      await app.operationQueue.settled(
        (
          await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, adminToken)
        ).body.id,
      )
    ).state,
    'succeeded',
  );

  const del = await call('DELETE', `/v1/accounts/${ACCOUNT}/trail`, requester);
  t.equal(del.status, 202);
  t.equal(del.body.state, 'pending-approval', 'a decommission always needs approval');
  const rejected = await call('POST', `/v1/operations/${del.body.id}/reject`, approver);
  t.equal(rejected.status, 202);
  t.equal(rejected.location, `/v1/operations/${del.body.id}`);
  t.equal(rejected.body.state, 'cancelled');
  t.equal(rejected.body.error?.code, 'approval_rejected');
  t.notOk(
    engine.calls.some((c) => c.method === 'destroy'),
    'nothing was destroyed',
  );
  const retried = await call('POST', `/v1/operations/${del.body.id}/retry`, requester);
  t.equal(retried.body.state, 'pending-approval', 'a retry of it waits again');

  const entries = (await security.audit.list({ limit: 100, accountId: ACCOUNT })).items;
  const find = (action: string) =>
    entries.find((e) => e.action === action && e.details?.['operationId'] === del.body.id);
  t.equal(find('operation.pending-approval')?.actor, await idOf(requester), 'audit: requested by');
  t.equal(find('operation.rejected')?.actor, await idOf(approver), 'audit: rejected by');
  t.ok(entries.some((e) => e.action === 'POST /v1/operations/:operationId/reject' && e.outcome === '202'));
});

t.test(
  'a fresh install: tokens one admin created approve each other; approvals are listed and reasoned',
  async (t) => {
    // Admins do not skip approval here, so an admin's weakening apply waits like anyone's.
    const ctx = await makeApp({
      auth: { approval: { required: true, adminBypass: false, strengtheningBypass: true } },
    });
    t.teardown(() => ctx.app.close());
    const { app, engine, tokenFor, security } = ctx;
    engine.autoComplete = true;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    // Every token of a fresh install is created by the bootstrap admin.
    const adminA = await tokenFor(['admin'], ['*'], 'svc:bootstrap');
    const adminB = await tokenFor(['admin'], ['*'], 'svc:bootstrap');
    const approver = await tokenFor(['approver'], [ACCOUNT], 'svc:bootstrap');
    const requester = await tokenFor(['requester'], [ACCOUNT], 'svc:bootstrap');
    const idOf = async (token: string) => (await security.authenticator.authenticate(token)).id;

    // First apply by admin A waits (nothing applied yet); admin B approves it: two principals, one creator.
    t.equal(
      (await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', insights: ['ApiCallRateInsight'] }))
        .statusCode,
      201,
    );
    const first = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/trail/applies`,
      headers: bearer(adminA),
    });
    t.equal(first.json().state, 'pending-approval');
    const ownApproval = await app.inject({
      method: 'POST',
      url: `/v1/operations/${first.json().id}/approve`,
      headers: bearer(adminA),
    });
    t.same(
      [ownApproval.statusCode, ownApproval.json().code],
      [403, 'approval_not_allowed'],
      'admin A cannot approve its own apply',
    );
    const byB = await app.inject({
      method: 'POST',
      url: `/v1/operations/${first.json().id}/approve`,
      headers: bearer(adminB),
      payload: { reason: 'baseline as agreed in the platform review' },
    });
    t.equal(byB.statusCode, 202, `admin B approves admin A's apply: ${byB.body}`);
    t.equal(byB.headers.location, `/v1/operations/${first.json().id}`);
    t.equal(byB.json().approvedBy, await idOf(adminB));
    t.equal(byB.json().decisionReason, 'baseline as agreed in the platform review', 'the reason is recorded');
    t.equal((await app.operationQueue.settled(first.json().id)).state, 'succeeded');

    // The requester weakens it (no Insights) and previews the draft first, then saves and applies it.
    const draft = { homeRegion: 'us-east-1' };
    const preview = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/trail/previews`,
      headers: bearer(requester),
      payload: draft,
    });
    t.equal(preview.statusCode, 202);
    t.equal((await app.operationQueue.settled(preview.json().id)).state, 'succeeded');
    const etag = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).headers.etag;
    const saved = await app.inject({
      method: 'PUT',
      url: `/v1/accounts/${ACCOUNT}/trail`,
      headers: { ...bearer(requester), 'if-match': String(etag) },
      payload: draft,
    });
    t.equal(saved.statusCode, 200);
    const weaker = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/trail/applies?previewId=${preview.json().id}`,
      headers: bearer(requester),
    });
    t.equal(weaker.statusCode, 202, weaker.body);
    t.equal(weaker.json().state, 'pending-approval', 'removing Insights waits for an approver');

    const listFor = async (token: string) =>
      (await app.inject({ method: 'GET', url: '/v1/approvals', headers: bearer(token) })).json().items as {
        operation: { id: string };
        requestedBy: string;
        requestedByName: string;
        diff: { path: string; before: unknown; after: unknown }[];
        reasons: string[];
        preview: { id: string; changeSummary: unknown } | null;
      }[];
    const listed = await listFor(approver);
    t.equal(listed.length, 1, 'the approver sees the waiting apply');
    t.equal(listed[0]?.operation.id, weaker.json().id);
    t.equal(listed[0]?.requestedBy, await idOf(requester), 'with its requester');
    t.ok(listed[0]?.requestedByName, 'and their name');
    t.same(
      listed[0]?.diff,
      [{ path: '/insights', before: ['ApiCallRateInsight'], after: [] }],
      'the spec diff against the applied spec',
    );
    t.same(listed[0]?.reasons, ['insights'], 'why it waits');
    t.equal(listed[0]?.preview?.id, preview.json().id, 'and the preview it was confirmed from');
    const requesterList = await app.inject({
      method: 'GET',
      url: '/v1/approvals',
      headers: bearer(requester),
    });
    t.equal(requesterList.statusCode, 403, 'a requester approves nothing');

    const rejected = await app.inject({
      method: 'POST',
      url: `/v1/operations/${weaker.json().id}/reject`,
      headers: bearer(approver),
      payload: { reason: 'Insights stay on for production' },
    });
    t.equal(rejected.statusCode, 202);
    t.equal(rejected.json().state, 'cancelled');
    t.match(rejected.json().error.message, /Insights stay on for production/, 'the reason is shown');
    t.equal(rejected.json().decisionReason, 'Insights stay on for production');
    t.same(await listFor(approver), [], 'nothing waits any more');
    const audit = (await security.audit.list({ limit: 100, accountId: ACCOUNT })).items;
    t.ok(
      audit.some(
        (e) =>
          e.action === 'POST /v1/operations/:operationId/reject' &&
          e.details?.['reason'] === 'Insights stay on for production',
      ),
      'the audit trail has the reason',
    );
  },
);

t.test('adding an external alarm recipient needs approval', async (t) => {
  const { app, engine, tokenFor, adminToken, call } = await setUp(t);
  engine.autoComplete = true;
  const requester = await tokenFor(['requester'], [ACCOUNT]);
  await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', alarms: { set: 'essentials' } });
  const applied = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, adminToken);
  t.equal((await app.operationQueue.settled(applied.body.id)).state, 'succeeded');
  await putTrail(app, ACCOUNT, {
    homeRegion: 'us-east-1',
    alarms: { set: 'essentials', notify: { https: ['https://hooks.example.net/collect'] } },
  });
  const added = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, requester);
  t.equal(added.body.state, 'pending-approval', 'an https endpoint added waits for an approver');
});
