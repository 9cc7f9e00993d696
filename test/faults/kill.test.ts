// Fault injection: the whole process group of the service (service, CLI; plugins have groups of
// their own) is killed at the creation, update and deletion of resources, and during a destroy.
// Kill points come from the sandbox's own state changes (the moment the "AWS" resource appears,
// changes or goes), not from timers. After each kill: no engine process survives, the restarted
// service reports the operation interrupted with what recovery did, the retry converges, the next
// apply changes nothing, and the sandbox account holds exactly what the stack holds.
//
// Default (CI): a kill at the creation of EVERY resource kind of the baseline, chained on one
// account: the service is killed at the first create of a kind no kill has caught yet, restarted,
// and the interrupted apply retried, which goes on to the next kind, until the retry converges; then
// a kill at a trail update and one during a destroy. A kind counts as caught when its create was
// the trigger or when recovery reports it pending (created in the same instant): 15 kills caught
// all 19 kinds in 687 s on a 2-core machine shared with other work (CI time not measured yet).
// FAULT_KILL_POINTS=all runs one fresh account per create kind (the slow, isolated form), or a list
// like `create:Trail,update:Trail`.
import { type FSWatcher, mkdirSync, readdirSync, watch } from 'node:fs';
import { basename, join, sep } from 'node:path';
import t from 'tap';
import { typeSlug } from '../../src/sandbox/state.ts';
import { resetPublicSchema } from '../helpers/databases.ts';
import { tempDir } from '../helpers/engine.ts';
import { followEvents } from '../helpers/service.ts';
import {
  environmentsOfRun,
  type GroupService,
  processesGone,
  sandboxResources,
  stackResources,
  startGroupService,
} from './harness.ts';

interface Operation {
  id: string;
  state: string;
  changeSummary: Record<string, number> | null;
  error: { code: string; message: string; engineMessage?: string } | null;
}

type Op = 'create' | 'update' | 'delete';
interface KillPoint {
  op: Op;
  type: string;
}

const BASELINE_KINDS = [
  'aws:kms/key:Key',
  'aws:kms/alias:Alias',
  'aws:s3/bucket:Bucket',
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  'aws:s3/bucketVersioning:BucketVersioning',
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  'aws:s3/bucketPolicy:BucketPolicy',
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:iam/role:Role',
  'aws:iam/rolePolicy:RolePolicy',
  'aws:cloudtrail/trail:Trail',
  'aws:sns/topic:Topic',
  'aws:sns/topicPolicy:TopicPolicy',
  'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  'aws:cloudwatch/metricAlarm:MetricAlarm',
  'aws:cloudwatch/eventRule:EventRule',
  'aws:cloudwatch/eventTarget:EventTarget',
];

// The failures the outside fault run saw: a key (generated id), a bucket, a role and a trail
// (named), then an update and a destroy cut short.
const REPRESENTATIVE: KillPoint[] = [
  { op: 'create', type: 'aws:kms/key:Key' },
  { op: 'create', type: 'aws:s3/bucket:Bucket' },
  { op: 'create', type: 'aws:iam/role:Role' },
  { op: 'create', type: 'aws:cloudtrail/trail:Trail' },
  { op: 'update', type: 'aws:cloudtrail/trail:Trail' },
  { op: 'delete', type: 'aws:cloudtrail/trail:Trail' },
];

// FAULT_KILL_POINTS: unset (the chain, then an update and a destroy), `representative` (the
// earlier six points: key, bucket, role, trail creates, an update, a destroy), `all`, or a list like
// `create:Trail,update:Trail` (one fresh account per create point).
const selected = process.env.FAULT_KILL_POINTS;
const chained = !selected;
const points: KillPoint[] = chained
  ? REPRESENTATIVE.filter((p) => p.op !== 'create')
  : selected === 'representative'
    ? REPRESENTATIVE
    : selected === 'all'
      ? [
          ...BASELINE_KINDS.map((type) => ({ op: 'create' as const, type })),
          ...REPRESENTATIVE.filter((p) => p.op !== 'create'),
        ]
      : selected.split(',').map((item) => {
          const [op, kind] = item.split(':') as [Op, string];
          const type = BASELINE_KINDS.find((k) => k.endsWith(`:${kind}`));
          if (!type) throw new Error(`FAULT_KILL_POINTS: no resource kind ${kind}`);
          return { op, type };
        });

// Each kill point restarts the service and runs two or three applies through the real CLI.
t.setTimeout(Math.max(600_000, (points.length + (chained ? BASELINE_KINDS.length : 0)) * 120_000));

const json = { 'content-type': 'application/json' };
const SECRET = 'fault-suite-webhook-secret-value';

// On PostgreSQL too when TEST_DATABASE_URL is set (CI starts one); else the SQLite default.
const databaseUrl = process.env.TEST_DATABASE_URL;

async function start(dataDir: string): Promise<GroupService> {
  return startGroupService(dataDir, {
    WEBHOOK_SECRET: SECRET,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
}

async function post(service: GroupService, path: string): Promise<Operation> {
  const res = await service.fetch(path, { method: 'POST' });
  if (res.status !== 202) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Operation;
}

async function finished(service: GroupService, id: string): Promise<Operation> {
  await followEvents(service, id);
  return (await (await service.fetch(`/v1/operations/${id}`)).json()) as Operation;
}

async function putSpec(service: GroupService, account: string, tags: Record<string, string>) {
  const current = await service.fetch(`/v1/accounts/${account}/trail`);
  const etag = current.status === 200 ? current.headers.get('etag') : null;
  const res = await service.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: { ...json, ...(etag ? { 'if-match': etag } : {}) },
    body: JSON.stringify({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' }, tags }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT: ${res.status} ${await res.text()}`);
}

/**
 * Resolves when the sandbox account sees `op` on a resource of `type`: a new file (create), a file
 * replaced (update), a file removed (delete). The watch is on the type's directory of the account.
 */
function sandboxChange(dataDir: string, account: string, point: KillPoint) {
  const dir = join(dataDir, 'sandbox', 'state', account, typeSlug(point.type));
  mkdirSync(dir, { recursive: true });
  const before = new Set(sandboxResources(dataDir, account));
  let watcher: FSWatcher | undefined;
  const seen = new Promise<void>((resolve) => {
    // Regional resources live one directory down (<type>/<region>/<id>.json): watch the tree.
    watcher = watch(dir, { recursive: true }, (_event, file) => {
      const name = file ? basename(file) : '';
      if (!name.endsWith('.json') || name.startsWith('.')) return;
      const now = new Set(sandboxResources(dataDir, account).filter((r) => r.startsWith(`${point.type} `)));
      const had = [...before].filter((r) => r.startsWith(`${point.type} `));
      const hit =
        point.op === 'create'
          ? [...now].some((r) => !before.has(r))
          : point.op === 'delete'
            ? had.some((r) => !now.has(r))
            : now.size > 0;
      if (hit) resolve();
    });
  });
  return { seen, close: () => watcher?.close() };
}

/**
 * Resolves with the kind of the first resource of `kinds` the sandbox account gains (a new file in
 * its type's directory): the moment "AWS" has it and the engine may not have recorded it yet.
 */
function firstCreate(dataDir: string, account: string, kinds: Set<string>) {
  const dir = join(dataDir, 'sandbox', 'state', account);
  const bySlug = new Map([...kinds].map((k) => [typeSlug(k), k]));
  for (const slug of bySlug.keys()) mkdirSync(join(dir, slug), { recursive: true });
  // Decided from the event's path alone, without reading the state: every millisecond between the
  // create and the kill is one in which the engine may record it, and then no kill caught it.
  const before = new Set(readdirSync(dir, { recursive: true }).map(String));
  let watcher: FSWatcher | undefined;
  const seen = new Promise<string>((resolve) => {
    watcher = watch(dir, { recursive: true }, (_event, file) => {
      if (!file || before.has(file)) return;
      const name = basename(file);
      if (!name.endsWith('.json') || name.startsWith('.')) return;
      const kind = bySlug.get(file.split(sep)[0] ?? '');
      if (kind) resolve(kind);
    });
  });
  return { seen, close: () => watcher?.close() };
}

/** The resource kinds a recovery note names (imported, cleared or unresolved pending creates). */
const kindsIn = (message: string | undefined) =>
  new Set(
    (message ?? '')
      .split('; ')
      .filter((part) => !part.startsWith('DUPLICATE'))
      .flatMap((part) => [...part.matchAll(/aws:[a-z0-9]+\/[A-Za-z0-9]+:[A-Za-z0-9]+/g)].map((m) => m[0])),
  );

t.test(
  'kill the whole process group at resource changes: recovery converges, nothing orphaned',
  async (t) => {
    const dataDir = await tempDir(t, 'trailwarden-faults-');
    if (databaseUrl) await resetPublicSchema(databaseUrl);
    let service = await start(dataDir);
    t.teardown(() => service.killGroup());
    const outcomes: string[] = [];
    let checkedEnv = false;

    const chainAccount = '920000000000';
    if (chained) {
      const uncaught = new Set(BASELINE_KINDS);
      // A kind created and recorded in the instant before a kill lands is missed on that account:
      // a fresh account then goes after the kinds still uncaught (rarely needed; at most three).
      for (let pass = 0; pass < 3 && uncaught.size; pass++) {
        const account = pass === 0 ? chainAccount : `92000000000${pass}`;
        await t.test(
          `kill points: the creation of every resource kind, chained (account ${account})`,
          async (t) => {
            await putSpec(service, account, { team: 'faults' });
            let op = await post(service, `/v1/accounts/${account}/trail/applies`);
            let kills = 0;
            const before = uncaught.size;
            // Bounded: each kill catches at least its trigger, so one per kind at most, plus the end.
            for (let round = 0; round <= BASELINE_KINDS.length; round++) {
              const watch = firstCreate(dataDir, account, uncaught);
              const done = finished(service, op.id).then(
                (o) => ({ done: o }),
                () => ({ done: undefined }),
              );
              const hit = await Promise.race([watch.seen.then((kind) => ({ kind })), done]);
              if ('done' in hit) {
                watch.close();
                t.equal(
                  hit.done?.state,
                  'succeeded',
                  `the apply converges ${JSON.stringify(hit.done?.error)}`,
                );
                break;
              }
              await service.killGroup();
              watch.close();
              kills++;
              t.same(
                await processesGone(service.runId),
                [],
                `kill ${kills}: no CLI or provider plugin survives`,
              );
              service = await start(dataDir);
              const after = (await (await service.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
              const caught = new Set([
                hit.kind,
                ...[...kindsIn(after.error?.message)].filter((k) => uncaught.has(k)),
              ]);
              for (const k of caught) uncaught.delete(k);
              const short = [...caught].map((k) => k.split(':').pop()).join(', ');
              if (after.state !== 'interrupted') {
                // Finished in the instant between the change and the kill: nothing was cut short.
                t.equal(
                  after.state,
                  'succeeded',
                  `kill ${kills} (create ${short}): operation ${after.state}`,
                );
                outcomes.push(`create ${short}: finished before the kill`);
                break;
              }
              t.match(
                after.error?.message,
                /Recovery: the stack lock is released/,
                `kill ${kills}: recovery says what it did`,
              );
              t.comment(`kill ${kills} at create ${short}: ${after.error?.message}`);
              outcomes.push(`create ${short}: interrupted, recovered, retried`);
              op = await post(service, `/v1/operations/${op.id}/retry`);
            }
            const again = await finished(
              service,
              (await post(service, `/v1/accounts/${account}/trail/applies`)).id,
            );
            t.equal(again.state, 'succeeded');
            t.same(Object.keys(again.changeSummary ?? {}), ['same'], 'the next apply changes nothing');
            t.same(sandboxResources(dataDir, account), stackResources(dataDir, account), 'sandbox = stack');
            outcomes.push(
              `chain on ${account}: ${kills} kills caught ${before - uncaught.size} kinds${t.passing() ? ', converged, no orphan' : ', FAILED'}`,
            );
          },
        );
      }
      t.same(
        [...uncaught],
        [],
        `every one of the ${BASELINE_KINDS.length} resource kinds was caught mid-create by a kill`,
      );
    }

    for (const [i, point] of points.entries()) {
      const name = `${point.op} ${point.type}`;
      // A fresh account per create point; update and delete work on accounts an earlier point
      // left converged (the first and the second, or the chain's), so they need no apply of their own.
      const creates = points.filter((p) => p.op === 'create').length;
      const index = point.op === 'create' ? i : point.op === 'update' ? 0 : Math.min(1, creates - 1);
      const account = chained ? chainAccount : `9${String(100 + index).padStart(3, '0')}00000000`;
      await t.test(`kill point: ${name}`, async (t) => {
        let kind: 'applies' | 'destroy' = 'applies';
        if (point.op !== 'create' && creates === 0 && !chained) {
          await putSpec(service, account, { team: 'faults' });
          const first = await finished(
            service,
            (await post(service, `/v1/accounts/${account}/trail/applies`)).id,
          );
          t.equal(first.state, 'succeeded', 'the account converges before the fault');
        }
        const change = sandboxChange(dataDir, account, point);
        let op: Operation;
        if (point.op === 'delete') {
          kind = 'destroy';
          const res = await service.fetch(`/v1/accounts/${account}/trail`, { method: 'DELETE' });
          t.equal(res.status, 202, 'DELETE starts a decommission');
          op = (await res.json()) as Operation;
        } else {
          await putSpec(
            service,
            account,
            point.op === 'update' ? { team: 'faults-changed' } : { team: 'faults' },
          );
          op = await post(service, `/v1/accounts/${account}/trail/applies`);
        }
        await change.seen;
        if (!checkedEnv) {
          // While the engine runs: its CLI and plugins never see the service's secrets.
          const envs = environmentsOfRun(service.runId);
          checkedEnv = envs.length > 0;
          t.ok(envs.length > 0, `engine processes found (${envs.length})`);
          for (const { pid, env } of envs)
            t.notOk(
              env.some(
                (v) => v.startsWith('WEBHOOK_SECRET=') || v.includes(SECRET) || v.startsWith('DATABASE_URL='),
              ),
              `process ${pid} inherits neither WEBHOOK_SECRET nor DATABASE_URL`,
            );
        }
        await service.killGroup();
        change.close();
        const killedRun = service.runId;
        t.same(await processesGone(killedRun), [], 'no CLI or provider plugin survives the kill');

        service = await start(dataDir);
        const after = (await (await service.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
        const interrupted = after.state === 'interrupted';
        // The operation may have finished in the instant between the change and the kill.
        t.ok(interrupted || after.state === 'succeeded', `operation ${after.state}`);
        if (interrupted) {
          t.match(
            after.error?.message,
            /Recovery: the stack lock is released/,
            'the record says what recovery did',
          );
          t.comment(after.error?.message ?? '');
        }
        let outcome = interrupted ? 'interrupted' : 'finished before the kill';

        if (interrupted) {
          const retry = await post(service, `/v1/operations/${op.id}/retry`);
          const retried = await finished(service, retry.id);
          t.equal(retried.state, 'succeeded', `the retry converges ${JSON.stringify(retried.error)}`);
          outcome += `, retry ${retried.state}`;
        }
        if (kind === 'applies') {
          const again = await finished(
            service,
            (await post(service, `/v1/accounts/${account}/trail/applies`)).id,
          );
          t.equal(again.state, 'succeeded');
          t.same(Object.keys(again.changeSummary ?? {}), ['same'], 'the next apply changes nothing');
          t.same(sandboxResources(dataDir, account), stackResources(dataDir, account), 'sandbox = stack');
        } else {
          const kept = sandboxResources(dataDir, account);
          t.same(kept, stackResources(dataDir, account), 'sandbox = stack (the kept data, nothing else)');
          t.same(kept.filter((r) => r.startsWith('aws:kms/key:Key ')).length, 1, 'exactly one key kept');
          t.same(
            kept.filter((r) => r.startsWith('aws:s3/bucket:Bucket ')).length,
            1,
            'exactly one bucket kept',
          );
          t.same(
            kept.filter((r) => /^aws:(cloudtrail|iam|sns|cloudwatch)/.test(r)),
            [],
            'nothing but the log bucket and key is left',
          );
        }
        const summary = `${name}: ${outcome}${t.passing() ? ', converged, no orphan' : ', FAILED'}`;
        outcomes.push(summary);
      });
    }
    await service.killGroup();
    t.same(await processesGone(service.runId), [], 'no engine process left at the end');
    t.comment(`kill points: ${outcomes.length}`);
    for (const o of outcomes) t.comment(`  ${o}`);
    console.log(`fault suite: ${outcomes.length} kill points\n${outcomes.map((o) => `  ${o}`).join('\n')}`);
  },
);
