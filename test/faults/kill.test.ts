// Fault injection: the whole process group of the service (service, CLI; plugins have groups of
// their own) is killed at the creation, update and deletion of resources, and during a destroy.
// Kill points come from the sandbox's own state changes (the moment the "AWS" resource appears,
// changes or goes), not from timers. After each kill: no engine process survives, the restarted
// service reports the operation interrupted with what recovery did, the retry converges, the next
// apply changes nothing, and the sandbox account holds exactly what the stack holds.
//
// FAULT_KILL_POINTS=all runs a create kill point for every resource kind of the baseline; the
// default is a representative set that keeps the suite within a few minutes.
import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import { basename, join } from 'node:path';
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

// FAULT_KILL_POINTS: unset (the representative set), `all`, or a list like `create:Trail,update:Trail`.
const selected = process.env.FAULT_KILL_POINTS;
const points: KillPoint[] =
  selected === 'all'
    ? [
        ...BASELINE_KINDS.map((type) => ({ op: 'create' as const, type })),
        ...REPRESENTATIVE.filter((p) => p.op !== 'create'),
      ]
    : selected
      ? selected.split(',').map((item) => {
          const [op, kind] = item.split(':') as [Op, string];
          const type = BASELINE_KINDS.find((k) => k.endsWith(`:${kind}`));
          if (!type) throw new Error(`FAULT_KILL_POINTS: no resource kind ${kind}`);
          return { op, type };
        })
      : REPRESENTATIVE;

// Each kill point restarts the service and runs two or three applies through the real CLI.
t.setTimeout(Math.max(600_000, points.length * 240_000));

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

t.test(
  'kill the whole process group at resource changes: recovery converges, nothing orphaned',
  async (t) => {
    const dataDir = await tempDir(t, 'trailwarden-faults-');
    if (databaseUrl) await resetPublicSchema(databaseUrl);
    let service = await start(dataDir);
    t.teardown(() => service.killGroup());
    const outcomes: string[] = [];
    let checkedEnv = false;

    for (const [i, point] of points.entries()) {
      const name = `${point.op} ${point.type}`;
      // A fresh account per create point; update and delete work on accounts an earlier point
      // left converged (the first and the second), so they need no apply of their own.
      const creates = points.filter((p) => p.op === 'create').length;
      const index = point.op === 'create' ? i : point.op === 'update' ? 0 : Math.min(1, creates - 1);
      const account = `9${String(100 + index).padStart(3, '0')}00000000`;
      await t.test(`kill point: ${name}`, async (t) => {
        let kind: 'applies' | 'destroy' = 'applies';
        if (point.op !== 'create' && creates === 0) {
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
