// Reconciliation with the controllable engine: routes (202 + Location, 409, 404, 400), bounded
// concurrency through the queue, the remediation policies, the single-run lease across processes
// and restarts, the schedule, and the configuration.
import t from 'tap';
import { parseConfigEnv } from '../../src/config.ts';
import { RECONCILIATION_LEASE, Reconciler } from '../../src/reconciliation/service.ts';
import type { Stores } from '../../src/stores.ts';
import { type EngineCall, makeApp, openTestStore, putTrail } from '../api/helpers.ts';
import { baselineRefresh, edit, logGroup, trail } from '../drift/engine-events.ts';

const IDS = ['100000000001', '100000000002', '100000000003', '100000000004'];

async function managed(app: Awaited<ReturnType<typeof makeApp>>['app'], store: Stores, ids: string[]) {
  for (const id of ids) {
    await putTrail(app, id);
    await store.accounts.updateAccount(
      id,
      { status: 'applied', appliedVersion: 1 },
      new Date().toISOString(),
    );
  }
}

const clean = (call: EngineCall) => {
  for (const e of baselineRefresh()) call.emit(e);
  call.succeed({ changeSummary: { same: 10 } });
};
const lowDrift = (call: EngineCall) => {
  for (const e of baselineRefresh([
    {
      state: logGroup,
      op: 'update',
      read: {
        inputs: edit(logGroup.inputs, { retentionInDays: 30 }),
        outputs: edit(logGroup.outputs, { retentionInDays: 30 }),
      },
    },
  ]))
    call.emit(e);
  call.succeed({ changeSummary: { update: 1 } });
};
const criticalDrift = (call: EngineCall) => {
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
  call.succeed({ changeSummary: { update: 1 } });
};

t.test('POST /v1/reconciliations: 202 + Location, 409 while running, bounded concurrency', async (t) => {
  const { app, engine, store } = await makeApp({ config: { reconcileConcurrency: 2 } });
  t.teardown(() => app.close());
  await managed(app, store, IDS);
  // A pending account (never applied) is not managed: not checked.
  await putTrail(app, '900000000009');

  const res = await app.inject({ method: 'POST', url: '/v1/reconciliations' });
  t.equal(res.statusCode, 202);
  const run = res.json();
  t.equal(res.headers.location, `/v1/reconciliations/${run.id}`);
  t.match(run, { state: 'running', trigger: 'api', totals: { accounts: 4 } });

  const again = await app.inject({ method: 'POST', url: '/v1/reconciliations' });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'reconciliation_running');

  // Two accounts at a time: the first two calls arrive, the third only after one finishes.
  const first = await engine.nextCall();
  const second = await engine.nextCall();
  t.equal(engine.active, 2);
  t.equal(engine.calls.length, 2, 'no third check before one of the first two ends');
  clean(first);
  const third = await engine.nextCall();
  lowDrift(second);
  const fourth = await engine.nextCall();
  clean(third);
  fourth.fail(new Error('the engine failed: AccessDenied'));
  t.ok(engine.maxActive <= 2, `at most 2 checks at once (saw ${engine.maxActive})`);

  const done = await app.reconciler.whenFinished(run.id);
  t.equal(done.state, 'succeeded');
  t.same(done.totals, { accounts: 4, clean: 2, drifted: 1, remediated: 0, failed: 1, skipped: 0 });
  const byId = Object.fromEntries(done.accounts.map((a) => [a.accountId, a]));
  t.match(byId[second.accountId], { outcome: 'drifted', severity: 'low' });
  t.match(byId[fourth.accountId], {
    outcome: 'failed',
    error: { code: 'engine_error', message: /AccessDenied/ },
  });
  t.ok(done.finishedAt);

  const got = await app.inject({ method: 'GET', url: `/v1/reconciliations/${run.id}` });
  t.equal(got.json().state, 'succeeded');
  const list = (await app.inject({ method: 'GET', url: '/v1/reconciliations?limit=1' })).json();
  t.same(
    list.items.map((r: { id: string }) => r.id),
    [run.id],
  );
  t.equal(list.nextCursor, null);
  t.equal(
    (await store.reconciliations.getLease(RECONCILIATION_LEASE)) ?? null,
    null,
    'the lease is released',
  );

  const missing = await app.inject({
    method: 'GET',
    url: '/v1/reconciliations/00000000-0000-4000-8000-000000000000',
  });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'reconciliation_not_found');
  const bad = await app.inject({ method: 'GET', url: '/v1/reconciliations/nope' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().errors, [{ path: '/reconciliationId', in: 'params' }]);
  const badState = await app.inject({ method: 'GET', url: '/v1/reconciliations?state=done' });
  t.match(badState.json().errors, [{ path: '/state', in: 'querystring' }]);
});

t.test('remediation policies: report, remediate-critical (critical only), remediate', async (t) => {
  const { app, engine, store } = await makeApp();
  t.teardown(() => app.close());
  const [reportOnly, criticalOnlyLow, criticalOnlyCritical, remediate] = IDS as [
    string,
    string,
    string,
    string,
  ];
  await managed(app, store, IDS);
  const setPolicy = (id: string, policy: string) =>
    app.inject({ method: 'PUT', url: `/v1/accounts/${id}/remediation-policy`, payload: { policy } });
  await setPolicy(criticalOnlyLow, 'remediate-critical');
  await setPolicy(criticalOnlyCritical, 'remediate-critical');
  await setPolicy(remediate, 'remediate');

  // Drift checks: report-only and remediate-critical(critical) see critical drift, the other
  // remediate-critical account low drift, the remediate account low drift. Verification checks are clean.
  const seen = new Map<string, number>();
  engine.on('call', (call: EngineCall) => {
    const n = (seen.get(`${call.accountId}:${call.method}`) ?? 0) + 1;
    seen.set(`${call.accountId}:${call.method}`, n);
    if (call.method === 'apply') return call.succeed();
    if (n > 1) return clean(call);
    if (call.accountId === reportOnly || call.accountId === criticalOnlyCritical) return criticalDrift(call);
    return lowDrift(call);
  });
  const run = (await app.inject({ method: 'POST', url: '/v1/reconciliations' })).json();
  const done = await app.reconciler.whenFinished(run.id);
  const byId = Object.fromEntries(done.accounts.map((a) => [a.accountId, a]));
  t.match(byId[reportOnly], { outcome: 'drifted', severity: 'critical' });
  t.match(byId[criticalOnlyLow], { outcome: 'drifted', severity: 'low' });
  t.match(byId[criticalOnlyCritical], { outcome: 'remediated', severity: 'critical' });
  t.match(byId[remediate], { outcome: 'remediated', severity: 'low' });
  const applies = engine.calls.filter((c) => c.method === 'apply').map((c) => c.accountId);
  t.same(applies.sort(), [criticalOnlyCritical, remediate].sort(), 'applies only where the policy says');
  t.equal(byId[remediate]!.operationIds.length, 3, 'check, apply, verifying check');
});

t.test('remediation that does not converge is a failure with the cause', async (t) => {
  const { app, engine, store } = await makeApp();
  t.teardown(() => app.close());
  const id = IDS[0]!;
  await managed(app, store, [id]);
  await app.inject({
    method: 'PUT',
    url: `/v1/accounts/${id}/remediation-policy`,
    payload: { policy: 'remediate' },
  });
  engine.on('call', (call: EngineCall) => (call.method === 'apply' ? call.succeed() : criticalDrift(call)));
  const run = (await app.inject({ method: 'POST', url: '/v1/reconciliations' })).json();
  const done = await app.reconciler.whenFinished(run.id);
  t.match(done.accounts[0], { outcome: 'failed', severity: 'critical', error: { code: 'drift_remains' } });
});

t.test(
  'one run at a time across processes; a run whose lease expired is taken over and completed',
  async (t) => {
    const store = await openTestStore();
    const now = Date.now();
    // Another process holds a live lease for its run.
    await store.reconciliations.insertReconciliation({
      id: '11111111-1111-4111-8111-111111111111',
      trigger: 'schedule',
      state: 'running',
      holder: 'other-host:1',
      startedAt: new Date(now - 1000).toISOString(),
      finishedAt: null,
      totals: { accounts: 0, clean: 0, drifted: 0, remediated: 0, failed: 0, skipped: 0 },
      accounts: [],
      notifications: [],
      error: null,
    });
    t.ok(
      await store.reconciliations.acquireLease(
        {
          name: RECONCILIATION_LEASE,
          holder: 'other-host:1',
          runId: '11111111-1111-4111-8111-111111111111',
          expiresAt: new Date(now + 60_000).toISOString(),
        },
        new Date(now).toISOString(),
      ),
    );
    const first = await makeApp({ store });
    const busy = await first.app.inject({ method: 'POST', url: '/v1/reconciliations' });
    t.equal(busy.statusCode, 409, 'the other process holds the lease');
    t.match(busy.json().detail, /11111111-1111-4111-8111-111111111111/);
    t.equal(
      (await store.reconciliations.getReconciliation('11111111-1111-4111-8111-111111111111'))?.state,
      'running',
    );
    await first.app.close();

    // That process died: its lease expires. Another process (a replica, or the restart) takes the run
    // over and completes it, then can run again.
    await store.reconciliations.renewLease(
      RECONCILIATION_LEASE,
      'other-host:1',
      new Date(now - 1).toISOString(),
    );
    const second = await makeApp({ store, engine: first.engine });
    t.teardown(() => second.app.close());
    const continued = await second.app.reconciler.whenFinished('11111111-1111-4111-8111-111111111111');
    t.equal(continued.state, 'succeeded', 'the dead process run is completed by another');
    t.equal(continued.error, null);
    const res = await second.app.inject({ method: 'POST', url: '/v1/reconciliations' });
    t.equal(res.statusCode, 202);
    const done = await second.app.reconciler.whenFinished(res.json().id);
    t.equal(done.state, 'succeeded');
    t.equal(done.totals.accounts, 0);
  },
);

t.test('the lease is renewed while a run lasts', async (t) => {
  const store = await openTestStore();
  const { app, engine } = await makeApp({ store, config: { reconcileLeaseTtlMs: 1000 } });
  t.teardown(() => app.close());
  await managed(app, store, [IDS[0]!]);
  const run = (await app.inject({ method: 'POST', url: '/v1/reconciliations' })).json();
  const call = await engine.nextCall();
  const firstExpiry = (await store.reconciliations.getLease(RECONCILIATION_LEASE))!.expiresAt;
  // Wait for a renewal (an observed change of the row), not for a fixed time.
  let renewed = firstExpiry;
  while (renewed === firstExpiry) {
    await new Promise((resolve) => setImmediate(resolve));
    renewed = (await store.reconciliations.getLease(RECONCILIATION_LEASE))!.expiresAt;
  }
  t.ok(renewed > firstExpiry, 'expiry moved forward');
  clean(call);
  await app.reconciler.whenFinished(run.id);
});

t.test('the schedule starts runs by itself, in the configured time zone', async (t) => {
  const store = await openTestStore();
  const reconciler = new Reconciler({
    stores: store,
    operations: { driftCheck: () => Promise.reject(new Error('unused')) } as never,
    logger: { child: () => silent, info() {}, warn() {}, error() {} },
    concurrency: 1,
    leaseTtlMs: 1000,
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
  });
  await reconciler.start();
  t.teardown(() => reconciler.stop());
  const next = reconciler.nextScheduledRun()!;
  const berlinHour = Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hour12: false }).format(
      next,
    ),
  );
  t.equal(berlinHour, 3, '03:00 in Berlin');
  t.not(next.getUTCHours(), 3, 'not 03:00 UTC');

  // Every second: a run starts without anyone asking.
  const scheduled = await makeApp({ config: { reconcileCron: '* * * * * *' } });
  const { app, engine } = scheduled;
  t.teardown(() => app.close());
  await managed(app, scheduled.store, [IDS[0]!]);
  const call = await engine.nextCall();
  t.equal(call.method, 'refresh-preview', 'the scheduled run checks the account');
  clean(call);
});

const silent = { child: () => silent, info() {}, warn() {}, error() {} };

t.test('configuration: RECONCILE_CRON=off, bad cron, time zone, webhooks need a secret', async (t) => {
  t.equal(parseConfigEnv({}).RECONCILE_CRON, '0 3 * * *');
  t.equal(parseConfigEnv({}).RECONCILE_TZ, 'UTC');
  t.equal(parseConfigEnv({ RECONCILE_CRON: 'off' }).RECONCILE_CRON, 'off');
  t.throws(() => parseConfigEnv({ RECONCILE_CRON: 'every night' }), { code: 'invalid_config' });
  t.throws(() => parseConfigEnv({ RECONCILE_TZ: 'Mars/Olympus' }), { code: 'invalid_config' });
  t.throws(() => parseConfigEnv({ WEBHOOK_URLS: 'https://hooks.example.com/a' }), {
    message: /WEBHOOK_SECRET/,
  });
  t.throws(() => parseConfigEnv({ WEBHOOK_URLS: 'ftp://x', WEBHOOK_SECRET: 'a-long-enough-secret' }), {
    message: /not an http/,
  });
  const secret = 'too-short';
  try {
    parseConfigEnv({ WEBHOOK_SECRET: secret });
    t.fail('a short secret is refused');
  } catch (err) {
    t.notOk(String((err as Error).message).includes(secret), 'the error does not repeat the secret');
  }
  t.same(
    parseConfigEnv({
      WEBHOOK_URLS: 'https://a.example/x, https://b.example/y',
      WEBHOOK_SECRET: 's'.repeat(20),
    }).WEBHOOK_URLS,
    'https://a.example/x, https://b.example/y',
  );
});

t.test(
  'a run whose coordinator died: another process keeps the outcomes and checks the pending accounts',
  async (t) => {
    const store = await openTestStore();
    const { app, engine } = await makeApp({ store });
    t.teardown(() => app.close());
    await managed(app, store, IDS.slice(0, 3));
    const id = '22222222-2222-4222-8222-222222222222';
    const pending = (accountId: string) => ({
      accountId,
      outcome: 'pending' as const,
      severity: null,
      findings: [],
      driftReportId: null,
      operationIds: [],
      error: null,
      startedAt: null,
      finishedAt: null,
    });
    const done = { ...pending(IDS[0]!), outcome: 'clean' as const };
    const accounts = [done, pending(IDS[1]!), pending(IDS[2]!)];
    await store.reconciliations.insertReconciliation({
      id,
      trigger: 'schedule',
      state: 'running',
      holder: 'dead-replica:1',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      totals: { accounts: 3, clean: 1, drifted: 0, remediated: 0, failed: 0, skipped: 0 },
      accounts,
      notifications: [],
      error: null,
    });
    const now = Date.now();
    await store.reconciliations.acquireLease(
      {
        name: RECONCILIATION_LEASE,
        holder: 'dead-replica:1',
        runId: id,
        expiresAt: new Date(now - 1).toISOString(),
      },
      new Date(now - 2).toISOString(),
    );
    // The next start (or a replica's watch) takes it over: only the two pending accounts are checked.
    const runs = await app.inject({ method: 'POST', url: '/v1/reconciliations' });
    t.equal(runs.statusCode, 409, 'a new run waits for the one taken over');
    t.match(runs.json().detail, new RegExp(id));
    clean(await engine.nextCall());
    clean(await engine.nextCall());
    const after = await app.reconciler.whenFinished(id);
    t.equal(after.state, 'succeeded');
    t.same(after.totals, { accounts: 3, clean: 3, drifted: 0, remediated: 0, failed: 0, skipped: 0 });
    t.equal(engine.calls.length, 2, 'the account already done was not checked again');
    t.equal(
      (await store.reconciliations.getLease(RECONCILIATION_LEASE)) ?? null,
      null,
      'the lease is released',
    );
  },
);
