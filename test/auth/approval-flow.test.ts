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
    return { status: res.statusCode, body: res.json() as Op & { code?: string } };
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

  // An approver who requested it cannot approve it either, nor can a token that approver created.
  await call('POST', `/v1/operations/${id}/cancel`, requester);
  const second = await call('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, approverRequester);
  t.equal(second.body.state, 'pending-approval');
  const self = await call('POST', `/v1/operations/${second.body.id}/approve`, approverRequester);
  t.same([self.status, self.body.code], [403, 'approval_not_allowed'], 'cannot approve own request');
  const delegated = await tokenFor(['approver'], [ACCOUNT], await idOf(approverRequester));
  const viaToken = await call('POST', `/v1/operations/${second.body.id}/approve`, delegated);
  t.same(
    [viaToken.status, viaToken.body.code],
    [403, 'approval_not_allowed'],
    'nor through a token they own',
  );

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
  t.equal(approved.status, 200, 'another approver can');
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
  t.equal(rejected.status, 200);
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
  t.ok(entries.some((e) => e.action === 'POST /v1/operations/:operationId/reject' && e.outcome === '200'));
});
