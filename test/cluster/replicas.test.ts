// Three replicas on one PostgreSQL and one S3 state bucket (moto), as a deployment runs them behind a
// load balancer: every request goes to a replica chosen at random. Thirty accounts are requested and
// applied; one replica's whole process group is SIGKILLed while it runs operations. What a user checks:
// every operation ends succeeded, or interrupted (with what recovery did) and then succeeded on a retry
// through another replica; the stored timestamps show no two operations of one account overlapping;
// every account's stack is in the bucket once; the audit chain verifies.
import t from 'tap';
import { followEvents } from '../helpers/service.ts';
import { type Cluster, canRunCluster, ok, type Replica, requestTrail, startCluster } from './harness.ts';

interface Operation {
  id: string;
  accountId: string;
  state: string;
  retryOf: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
// Thirty, as the issue asks; CLUSTER_ACCOUNTS makes a quicker local run.
const accounts = Array.from(
  { length: Number(process.env.CLUSTER_ACCOUNTS ?? 30) },
  (_, i) => `7000000000${String(i).padStart(2, '0')}`,
);

/** The operation once it is final, read through any live replica (streams end when it does). */
async function final(cluster: Cluster, id: string): Promise<Operation> {
  for (;;) {
    const replica = cluster.anyLive();
    try {
      await followEvents(replica, id);
      const op = (await ok(await replica.fetch(`/v1/operations/${id}`), 200, 'GET op')) as Operation;
      if (FINAL.has(op.state)) return op;
    } catch (err) {
      // The replica serving the stream was killed: ask another one.
      if (replica.process.exitCode === null && replica.process.signalCode === null) throw err;
    }
  }
}

t.test('thirty accounts through three replicas, one killed mid-operation', async (t) => {
  if (!canRunCluster(t)) return;
  const cluster = await startCluster(t, {
    env: { MAX_CONCURRENT_OPERATIONS: '3', OPERATION_LEASE_TTL_MS: '15000', LOG_LEVEL: 'info' },
  });
  for (const account of accounts) {
    await requestTrail(cluster, account);
  }
  const applies: Operation[] = [];
  for (const account of accounts) {
    applies.push(
      (await ok(
        await cluster.anyLive().fetch(`/v1/accounts/${account}/trail/applies`, { method: 'POST' }),
        202,
        `apply ${account}`,
      )) as Operation,
    );
  }

  // The victim is a replica seen running an operation: its log says so.
  const victim: Replica = await new Promise((resolve) => {
    const check = setInterval(() => {
      const running = cluster.replicas.find((r) =>
        r.logs.some((l) => l.includes('"engine operation started"')),
      );
      if (running) {
        clearInterval(check);
        resolve(running);
      }
    }, 50);
  });
  await victim.killGroup();
  t.pass(`killed ${victim.id}'s process group while it ran an operation`);

  const results = await Promise.all(applies.map((op) => final(cluster, op.id)));
  const interrupted = results.filter((op) => op.state === 'interrupted');
  t.ok(interrupted.length >= 1, `the killed replica's operations were interrupted (${interrupted.length})`);
  for (const op of interrupted) {
    t.equal(op.error?.code, 'interrupted_by_restart', 'interrupted, with the reason');
    t.match(op.error?.message ?? '', /Recovery:/, 'and what recovery did');
  }
  t.same(
    results
      .filter((op) => op.state !== 'succeeded' && op.state !== 'interrupted')
      .map((op) => [op.id, op.error]),
    [],
    'every other operation succeeded',
  );
  const retried: Operation[] = [];
  for (const op of interrupted) {
    retried.push(
      (await ok(
        await cluster.anyLive().fetch(`/v1/operations/${op.id}/retry`, { method: 'POST' }),
        202,
        'retry',
      )) as Operation,
    );
  }
  const retries = await Promise.all(retried.map((op) => final(cluster, op.id)));
  t.same(
    retries.filter((op) => op.state !== 'succeeded').map((op) => [op.id, op.error]),
    [],
    'every retry succeeded on a replica still running',
  );

  // No two operations of one account overlapped, from the stored start and end times.
  const all = [...results, ...retries];
  for (const account of accounts) {
    const ops = all
      .filter((op) => op.accountId === account && op.startedAt)
      .sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < ops.length; i++) {
      t.ok(
        ops[i - 1]!.finishedAt! <= ops[i]!.startedAt!,
        `${account}: ${ops[i - 1]!.id} ended before ${ops[i]!.id} started`,
      );
    }
  }

  const stacks = (await cluster.moto.listKeys(cluster.bucket, '.pulumi/stacks/')).filter((k) =>
    k.endsWith('.json'),
  );
  t.same(
    stacks.sort(),
    accounts.map((a) => `.pulumi/stacks/trailwarden/${a}.json`),
    'each account has its one stack in the bucket',
  );

  const verify = (await ok(await cluster.anyLive().fetch('/v1/audit/verify'), 200, 'audit verify')) as {
    ok?: boolean;
    valid?: boolean;
  };
  t.ok(verify.ok ?? verify.valid, `the audit chain verifies ${JSON.stringify(verify)}`);
});
