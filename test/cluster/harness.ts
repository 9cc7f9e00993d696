// Several replicas of the real service (`node src/main.ts`, each in a process group of its own, as a pod
// is) on loopback ports, sharing what a deployment shares: one PostgreSQL database (a fresh one per
// cluster on TEST_DATABASE_URL's server, dropped afterwards), one S3 state bucket (moto), one sandbox
// "AWS" directory and one bootstrap token. Each has its own DATA_DIR (workspaces, run files) and
// replica id. Tests that need it skip without PostgreSQL or moto (`.ci/run` provides both).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { type GroupService, startGroupService } from '../faults/harness.ts';
import { scratchPostgres } from '../helpers/databases.ts';
import { type MotoServer, motoInstalled, startMoto } from '../helpers/moto.ts';

export interface Replica extends GroupService {
  /** TRAILWARDEN_REPLICA_ID */
  id: string;
  dataDir: string;
}

export interface Cluster {
  replicas: Replica[];
  databaseUrl: string;
  bucket: string;
  moto: MotoServer;
  /** The sandbox provider's shared AWS-shaped state. */
  sandboxDir: string;
  /** A replica still running, chosen at random (or the one given by index). */
  anyLive(): Replica;
  live(): Replica[];
  /** Starts one more replica on the same database, bucket and sandbox. */
  addReplica(): Promise<Replica>;
  /** Direct database access for what only the store knows (stored timestamps). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Why the cluster tests cannot run here, or undefined when they can. */
export function clusterUnavailable(): string | undefined {
  if (!process.env.TEST_DATABASE_URL?.startsWith('postgres'))
    return 'TEST_DATABASE_URL is not a PostgreSQL URL (.ci/run starts one)';
  if (!motoInstalled()) return 'moto is not installed: bash scripts/install-moto.sh (.ci/run does)';
  return undefined;
}

/** False (and a failure under CI, which provides both, else a pass saying why) when the cluster cannot run. */
export function canRunCluster(t: Test): boolean {
  const why = clusterUnavailable();
  if (!why) return true;
  if (process.env.CI) t.fail(why);
  else t.pass(`skipped: ${why}`);
  return false;
}

export async function startCluster(
  t: Test,
  opts: { replicas?: number; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const count = opts.replicas ?? 3;
  const root = await mkdtemp(join(tmpdir(), 'trailwarden-cluster-'));
  const database = await scratchPostgres();
  const databaseUrl = database.url;
  const moto = await startMoto();
  const bucket = `cluster-state-${randomBytes(4).toString('hex')}`;
  await moto.createBucket(bucket);
  const sandboxDir = join(root, 'sandbox-aws');
  mkdirSync(sandboxDir, { recursive: true });
  // One bootstrap token for every replica (each reads it from its own DATA_DIR copy).
  const token = randomBytes(32).toString('base64url');
  const replicas: Replica[] = [];
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // One teardown, in order: no replica outlives the test, then what they shared goes.
  t.teardown(async () => {
    await Promise.all(replicas.map((r) => r.killGroup()));
    // A failed run shows what the replicas logged as errors (their data directories go below).
    if (!t.passing()) {
      for (const r of replicas)
        for (const line of r.logs.filter((l) => /"level":(50|60)|"err":|"statusCode":500/.test(l)).slice(-20))
          t.comment(`${r.id}: ${line.slice(0, 2000)}`);
    }
    await db.end();
    await moto.stop();
    await database.drop();
    await rm(root, { recursive: true, force: true });
  });

  const start = async (index: number): Promise<Replica> => {
    const id = `replica-${index}`;
    const dataDir = join(root, id);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'test-bootstrap-token'), `${token}\n`, { mode: 0o600 });
    const service = await startGroupService(dataDir, {
      ...moto.env,
      DATABASE_URL: databaseUrl,
      PULUMI_BACKEND_URL: moto.backendUrl(bucket),
      TRAILWARDEN_SANDBOX_DIR: sandboxDir,
      TRAILWARDEN_REPLICA_ID: id,
      PULUMI_CONFIG_PASSPHRASE: 'cluster-passphrase',
      ...opts.env,
    });
    const replica: Replica = Object.assign(service, { id, dataDir });
    replicas.push(replica);
    return replica;
  };
  for (let i = 0; i < count; i++) await start(i);

  const live = () => replicas.filter((r) => r.process.exitCode === null && r.process.signalCode === null);
  return {
    replicas,
    databaseUrl,
    bucket,
    moto,
    sandboxDir,
    live,
    anyLive() {
      const l = live();
      if (l.length === 0) throw new Error('no replica is running');
      return l[Math.floor(Math.random() * l.length)]!;
    },
    addReplica: () => start(replicas.length),
    query: async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[],
  };
}

/** The parsed body of a response with the expected status; otherwise an error naming what was asked. */
export async function ok(res: Response, status: number, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** PUTs the minimal trail request of a new account through any live replica (201). */
export async function requestTrail(cluster: Cluster, account: string): Promise<void> {
  await ok(
    await cluster.anyLive().fetch(`/v1/accounts/${account}/trail`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ homeRegion: 'eu-west-1' }),
    }),
    201,
    `PUT ${account}`,
  );
}
