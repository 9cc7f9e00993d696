// The operation queue through the API: per-account serialization, global concurrency limit,
// and recovery after a restart (the queue's truth is the database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { INTERRUPTED_BY_RESTART, OperationQueue } from '../../src/operations/queue.ts';
import { openStores } from '../../src/stores.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { ControllableEngine, makeApp, openTestStore, putTrail } from './helpers.ts';

const accounts = ['100000000001', '100000000002', '100000000003', '100000000004'];
const apply = (app: Awaited<ReturnType<typeof makeApp>>['app'], accountId: string) =>
  app.inject({ method: 'POST', url: `/v1/accounts/${accountId}/trail/applies` }).then((r) => r.json());

t.test('operations of one account never overlap', async (t) => {
  const { app, engine } = await makeApp({ config: { maxConcurrentOperations: 4 } });
  t.teardown(() => app.close());
  const [a] = accounts as [string];
  await putTrail(app, a);
  const ops = [];
  for (let i = 0; i < 4; i++) ops.push(await apply(app, a));
  for (let i = 0; i < 4; i++) {
    const call = await engine.nextCall();
    t.equal(engine.active, 1, `call ${i}: only one engine call for the account`);
    t.equal(engine.calls.length, i + 1);
    // Every later operation is still queued while this one runs.
    for (const later of ops.slice(i + 1)) {
      const later_ = (await app.inject({ method: 'GET', url: `/v1/operations/${later.id}` })).json();
      t.equal(later_.state, 'queued');
    }
    call.succeed();
    await app.operationQueue.settled(ops[i].id);
  }
  t.equal(engine.overlapDetected, false);
  t.equal(engine.maxActive, 1);
});

t.test('different accounts run concurrently up to MAX_CONCURRENT_OPERATIONS', async (t) => {
  const { app, engine } = await makeApp({ config: { maxConcurrentOperations: 2 } });
  t.teardown(() => app.close());
  for (const a of accounts) await putTrail(app, a);
  const ops = [];
  for (const a of accounts) ops.push(await apply(app, a));

  const first = await engine.nextCall();
  const second = await engine.nextCall();
  t.not(first.accountId, second.accountId);
  t.equal(engine.active, 2, 'two run at once');
  const states = await Promise.all(
    ops.map(async (op) => (await app.inject({ method: 'GET', url: `/v1/operations/${op.id}` })).json().state),
  );
  t.same(states, ['running', 'running', 'queued', 'queued'], 'the rest wait for a free slot, in order');

  first.succeed();
  const third = await engine.nextCall();
  t.equal(third.accountId, accounts[2]);
  t.equal(engine.active, 2);
  second.succeed();
  third.succeed();
  const fourth = await engine.nextCall();
  t.equal(fourth.accountId, accounts[3]);
  fourth.succeed();
  for (const op of ops) t.equal((await app.operationQueue.settled(op.id)).state, 'succeeded');
  t.equal(engine.maxActive, 2, 'never more than the limit');
});

t.test(
  'restart: running → interrupted (stale lock cleared, retryable), queued picked up again',
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trailwarden-restart-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const databaseUrl = `sqlite:${path.join(dir, 'db.sqlite')}`;
    const [a, b] = accounts as [string, string];

    // First process: one apply running (its engine call never returns), one queued behind it.
    const store1 = await openStores(databaseUrl);
    const first = await makeApp({ store: store1 });
    await putTrail(first.app, a);
    await putTrail(first.app, b);
    const running = await apply(first.app, a);
    const runningCall = await first.engine.nextCall();
    runningCall.emit({ sequence: 1, timestamp: 1 } as never);
    await new Promise<void>((resolve) => first.app.operationQueue.once('events', () => resolve()));
    const queued = await apply(first.app, a);
    t.equal((await store1.operations.getOperation(queued.id))?.state, 'queued');
    // The process dies: nothing is finished or cleaned up (the store file stays as it is).
    first.app.operationQueue.removeAllListeners();
    await store1.close();
    // Release the dead process's timers; with its database closed it can write nothing any more.
    await first.app.operationQueue.stop(0);

    // Second process on the same database.
    const store2 = await openStores(databaseUrl);
    const engine2 = new ControllableEngine();
    const second = await makeApp({ store: store2, engine: engine2 });
    t.teardown(async () => {
      await second.app.close();
      await store2.close();
    });

    const interrupted = (
      await second.app.inject({ method: 'GET', url: `/v1/operations/${running.id}` })
    ).json();
    t.equal(interrupted.state, 'interrupted');
    t.same(interrupted.error, { code: INTERRUPTED_BY_RESTART.code, message: INTERRUPTED_BY_RESTART.message });
    t.ok(interrupted.finishedAt);
    t.same(engine2.staleLocksCleared, [a], 'cancelStaleLock for the interrupted account');

    // Its events survived the restart.
    const events = await second.app.inject({
      method: 'GET',
      url: `/v1/operations/${running.id}/events`,
      headers: { accept: 'application/json' },
    });
    t.same(
      events.json().events.map((e: { seq: number }) => e.seq),
      [1],
    );

    // The queued one runs now.
    const queuedCall = await engine2.nextCall();
    t.equal(queuedCall.accountId, a);
    t.ok(queuedCall.opts?.signal);
    queuedCall.succeed();
    t.equal((await second.app.operationQueue.settled(queued.id)).state, 'succeeded');

    // And the interrupted one can be retried.
    const retry = await second.app.inject({ method: 'POST', url: `/v1/operations/${running.id}/retry` });
    t.equal(retry.statusCode, 202);
    t.equal(retry.json().retryOf, running.id);
    const retryCall = await engine2.nextCall();
    t.equal(retryCall.method, 'apply');
    retryCall.succeed();
    t.equal((await second.app.operationQueue.settled(retry.json().id)).state, 'succeeded');
    t.equal(
      (await second.app.inject({ method: 'GET', url: `/v1/accounts/${a}/trail` })).json().status,
      'applied',
    );
  },
);

t.test('shutdown waits for running operations up to the bound, then interrupts them', async (t) => {
  const { app, engine, store } = await makeApp({ config: { shutdownTimeoutMs: 50 } });
  const [a, b] = accounts as [string, string];
  await putTrail(app, a);
  await putTrail(app, b);
  const finishing = await apply(app, a);
  const hanging = await apply(app, b);
  const finishingCall = await engine.nextCall();
  const hangingCall = await engine.nextCall();
  const closed = app.close();
  finishingCall.succeed();
  await closed;
  t.equal(
    (await store.operations.getOperation(finishing.id))?.state,
    'succeeded',
    'finished within the bound',
  );
  const interrupted = await store.operations.getOperation(hanging.id);
  t.equal(interrupted?.state, 'interrupted');
  t.equal(interrupted?.error?.code, 'interrupted_by_shutdown');
  t.equal(hangingCall.opts?.signal?.aborted, true);
});

t.test('a cancel recorded in the database by another replica reaches the running operation', async (t) => {
  const store = await openTestStore();
  const engine = new ControllableEngine();
  const queue = new OperationQueue({
    stores: store,
    engine,
    logger: pino({ level: 'silent' }),
    maxConcurrent: 2,
    cancelPollMs: 5,
  });
  t.teardown(() => queue.stop(0));
  await queue.start();
  const [a] = accounts as [string];
  const { account } = await store.accounts.saveSpec(a, resolveTrailRequest({ homeRegion: 'us-east-1' }), {
    now: new Date().toISOString(),
  });
  const op = await queue.enqueue({ accountId: a, kind: 'apply', spec: account!.spec, specVersion: 1 });
  const call = await engine.nextCall();
  // What POST /cancel does on a replica that does not run the operation.
  await store.operations.updateOperation(op.id, { cancelRequested: true }, { ifState: 'running' });
  const ended = await queue.settled(op.id);
  t.equal(ended.state, 'cancelled');
  t.equal(call.opts?.signal?.aborted, true);
});

t.test(
  'a feature hook says what an ended operation means for the account; a failing one fails the operation',
  async (t) => {
    const stores = await openTestStore();
    const engine = new ControllableEngine();
    const queue = new OperationQueue({ stores, engine, logger: pino({ level: 'silent' }), maxConcurrent: 1 });
    const seen: string[] = [];
    queue.on('started', (op) => seen.push(`started ${op.kind}`));
    queue.on('settled', (op) => seen.push(`settled ${op.kind} ${op.state}`));
    queue.use({
      kinds: ['refresh'],
      keepEvents: true,
      started: () => ({ status: 'applying' }),
      finished: ({ state, events }) => {
        if (state === 'succeeded')
          throw Object.assign(new Error('could not keep it'), { code: 'kept_nothing' });
        return { status: 'failed', outputs: { events: events.length } };
      },
    });
    t.teardown(() => queue.stop(0));
    await queue.start();
    const [a] = accounts as [string];
    const { account } = await stores.accounts.saveSpec(a, resolveTrailRequest({ homeRegion: 'us-east-1' }), {
      now: new Date().toISOString(),
    });
    const op = await queue.enqueue({ accountId: a, kind: 'refresh', spec: account!.spec, specVersion: 1 });
    const call = await engine.nextCall();
    t.equal((await stores.accounts.getAccount(a))?.status, 'applying', 'the start patch is stored');
    call.succeed();
    const ended = await queue.settled(op.id);
    t.equal(ended.state, 'failed', 'a succeeded run whose hook throws is not a success');
    // A code outside the operation error catalogue is reported as the hook's failure.
    t.same(ended.error, { code: 'operation_hook_failed', message: 'could not keep it' });
    const after = await stores.accounts.getAccount(a);
    t.equal(after?.status, 'failed', "the hooks' patch for the failed state is stored with it");
    t.same(after?.outputs, { events: 0 }, 'asked again without the events');
    t.same(seen, ['started refresh', 'settled refresh failed']);
  },
);
