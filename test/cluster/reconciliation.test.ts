// The nightly reconciliation across replicas: a run started on one replica completes although that
// replica's whole process group is SIGKILLed during it. Its drift checks run on whichever replica claims
// them; once the coordinator's lease expires another replica takes the run over, keeps what was done
// and checks the rest; the totals count every account.
import t from 'tap';
import { followEvents } from '../helpers/service.ts';
import { type Cluster, canRunCluster, ok, requestTrail, startCluster } from './harness.ts';

const accounts = Array.from({ length: 6 }, (_, i) => `71000000000${i}`);

interface Run {
  id: string;
  state: string;
  totals: { accounts: number; clean: number; drifted: number; failed: number; skipped: number };
  accounts: { accountId: string; outcome: string }[];
  error: { code: string } | null;
}

/** Requests and applies the accounts one request at a time, then waits for every apply. */
async function applied(cluster: Cluster, ids: string[]): Promise<void> {
  const ops: string[] = [];
  for (const account of ids) {
    await requestTrail(cluster, account);
    const op = (await ok(
      await cluster.anyLive().fetch(`/v1/accounts/${account}/trail/applies`, { method: 'POST' }),
      202,
      'apply',
    )) as { id: string };
    ops.push(op.id);
  }
  for (const id of ops) {
    const replica = cluster.anyLive();
    await followEvents(replica, id);
    const done = (await ok(await replica.fetch(`/v1/operations/${id}`), 200, 'GET op')) as { state: string };
    if (done.state !== 'succeeded') throw new Error(`apply ${id} ended ${done.state}`);
  }
}

t.test('a reconciliation completes although the replica that started it is killed', async (t) => {
  if (!canRunCluster(t)) return;
  const cluster = await startCluster(t, {
    env: { MAX_CONCURRENT_OPERATIONS: '2', RECONCILE_CONCURRENCY: '2', RECONCILE_LEASE_TTL_MS: '5000' },
  });
  await applied(cluster, accounts);

  const starter = cluster.anyLive();
  const run = (await ok(
    await starter.fetch('/v1/reconciliations', { method: 'POST' }),
    202,
    'start reconciliation',
  )) as Run;
  t.equal(run.totals.accounts, accounts.length, 'every managed account is in the run');
  // Killed while its drift checks run (the starter coordinates them, any replica may run them).
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (cluster.replicas.some((r) => r.logs.some((l) => l.includes('"kind":"refresh-preview"')))) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  await starter.killGroup();
  t.pass(`killed ${starter.id}, which started reconciliation ${run.id}`);

  let after: Run;
  for (;;) {
    after = (await ok(await cluster.anyLive().fetch(`/v1/reconciliations/${run.id}`), 200, 'GET run')) as Run;
    if (after.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(after.state, 'succeeded', `the run completed ${JSON.stringify(after.error)}`);
  t.equal(after.totals.accounts, accounts.length);
  t.same(
    after.accounts.filter((a) => a.outcome !== 'clean' && a.outcome !== 'drifted').map((a) => a),
    [],
    'every account was checked, none skipped or failed',
  );
  t.ok(
    cluster.live().some((r) => r.logs.some((l) => l.includes('took over a reconciliation'))),
    'another replica took the run over',
  );
});
