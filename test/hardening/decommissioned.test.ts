// A decommissioned account: a second DELETE (or any operation, a retry included) is a 409 that runs
// nothing, and it shows no stale drift (its account state, the account list, the fleet view).
import t from 'tap';
import { ACCOUNT, type EngineCall, makeApp, putTrail } from '../api/helpers.ts';
import { baselineRefresh, edit, trail } from '../drift/engine-events.ts';

const url = `/v1/accounts/${ACCOUNT}/trail`;

const loggingStopped = (call: EngineCall) => {
  for (const e of baselineRefresh([
    {
      state: trail,
      op: 'update',
      read: {
        inputs: edit(trail.inputs, { enableLogging: false }),
        outputs: edit(trail.outputs, { enableLogging: false }),
      },
    },
  ]))
    call.emit(e);
  call.succeed({ changeSummary: { update: 1, same: 9 } });
};

t.test('a second DELETE is 409 and runs nothing; no stale drift is shown', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);

  // Applied, then drift found: critical.
  const apply = await app.inject({ method: 'POST', url: `${url}/applies` });
  (await engine.nextCall()).succeed();
  await app.operationQueue.settled(apply.json().id);
  const checkOp = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/drift-checks` });
  loggingStopped(await engine.nextCall());
  await app.operationQueue.settled(checkOp.json().id);
  t.equal((await app.inject({ url })).json().drift.severity, 'critical', 'drift before decommissioning');

  // A destroy that fails first (kept for a retry), then one that succeeds.
  const failing = await app.inject({ method: 'DELETE', url });
  (await engine.nextCall()).fail(new Error('throttled'));
  t.equal((await app.operationQueue.settled(failing.json().id)).state, 'failed');
  const del = await app.inject({ method: 'DELETE', url });
  t.equal(del.statusCode, 202);
  (await engine.nextCall()).succeed({ changeSummary: { delete: 8 } });
  await app.operationQueue.settled(del.json().id);
  const state = (await app.inject({ url })).json();
  t.equal(state.status, 'decommissioned');
  t.same(state.drift, { severity: 'unknown', checkedAt: null }, 'no stale drift on the account');

  const calls = engine.calls.length;
  const again = await app.inject({ method: 'DELETE', url });
  t.equal(again.statusCode, 409, 'a second DELETE is a conflict');
  t.match(again.headers['content-type'], /application\/problem\+json/);
  t.match(again.json(), { status: 409, code: 'account_decommissioned' });
  t.match(again.json().detail, /already decommissioned; nothing was run.*PUT its trail request/);
  const purge = await app.inject({ method: 'DELETE', url: `${url}?retainData=false` });
  t.equal(purge.statusCode, 409, 'with retainData=false too');
  const retry = await app.inject({ method: 'POST', url: `/v1/operations/${failing.json().id}/retry` });
  t.equal(retry.statusCode, 409, 'a retry of the earlier failed destroy neither');
  t.equal(retry.json().code, 'account_decommissioned');
  t.equal(engine.calls.length, calls, 'nothing ran');
  const after = (await app.inject({ url })).json();
  t.equal(after.status, 'decommissioned', 'still decommissioned, not failed');
  t.equal(after.lastOperation.id, del.json().id, 'no new operation');

  const list = (await app.inject({ url: '/v1/accounts' })).json();
  t.same(list.items[0].drift, { severity: 'unknown', checkedAt: null }, 'the list shows no stale drift');
  const critical = (await app.inject({ url: '/v1/accounts?drift=critical' })).json();
  t.same(critical.items, [], 'nor does the drift filter find it');
  const fleet = (await app.inject({ url: '/v1/drift' })).json();
  t.same(fleet.accounts, [], 'the fleet view leaves it out');
  t.equal(fleet.counts.critical, 0);

  // Re-onboarding is the next step the answer names: PUT makes it pending again.
  t.equal((await putTrail(app)).json().status, 'pending');
});
