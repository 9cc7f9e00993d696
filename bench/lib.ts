// Shared pieces of `npm run bench`: a service in sandbox mode as a child process (its own data
// dir), its API with the bootstrap token, /proc sampling of its process tree (RSS, CPU), statistics.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { cachedCliRoot } from '../src/engine/pulumi-cli.ts';
import { SandboxState } from '../src/sandbox/state.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PASSPHRASE = 'bench-passphrase';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// ---- /proc ------------------------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux

export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(Number(name))?.[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds used by a process tree so far: the root's own time and that of every child it has
 * waited for (cutime/cstime: the CLIs, and through them their plugins), plus the live descendants'.
 */
export function treeCpuSeconds(root: number): number {
  const f = statFields(root);
  if (!f) return 0;
  // Fields after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const pid of descendants(root)) {
    const d = statFields(pid);
    if (d) ticks += Number(d[11]) + Number(d[12]);
  }
  return ticks / TICKS;
}

export interface MemoryPeaks {
  serviceMb: number;
  childrenMb: number;
  totalMb: number;
  maxChildProcesses: number;
  samples: number;
}

/** Samples the service's RSS and its descendants' every 100 ms until stopped. */
export function sampleMemory(pid: number): { stop: () => MemoryPeaks } {
  let service = 0;
  let children = 0;
  let total = 0;
  let maxChildren = 0;
  let samples = 0;
  const timer = setInterval(() => {
    const s = rssKb(pid);
    const kids = descendants(pid);
    const c = kids.reduce((sum, p) => sum + rssKb(p), 0);
    service = Math.max(service, s);
    children = Math.max(children, c);
    total = Math.max(total, s + c);
    maxChildren = Math.max(maxChildren, kids.length);
    samples++;
  }, 100);
  const mb = (kb: number) => Number((kb / 1024).toFixed(1));
  return {
    stop: () => {
      clearInterval(timer);
      return {
        serviceMb: mb(service),
        childrenMb: mb(children),
        totalMb: mb(total),
        maxChildProcesses: maxChildren,
        samples,
      };
    },
  };
}

// ---- statistics -------------------------------------------------------------------------------

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Least-squares slope of ys over their index. */
export function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));

// ---- the service ------------------------------------------------------------------------------

export interface Service {
  base: string;
  pid: number;
  dataDir: string;
  token: string;
  api: <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: T; headers: Headers }>;
  /** Polls an operation until it ends; throws unless it succeeded. */
  finished: (opId: string) => Promise<Operation>;
  /** Puts the request (If-Match the current one); resolves with the new ETag. */
  putRequest: (accountId: string, request?: Record<string, unknown>) => Promise<string>;
  /** Puts the request and applies it; resolves with the apply's operation id. */
  applyAccount: (accountId: string, request?: Record<string, unknown>) => Promise<string>;
  stop: () => Promise<void>;
}

export interface Operation {
  id: string;
  state: string;
  durationMs: number | null;
  error: unknown;
}

/**
 * Starts the service as a child process on a fresh temporary dir, or on `dir` (created if missing,
 * never removed: a fleet set up once is reused by later runs, see `--fleet-dir`).
 */
export async function startService(
  opts: { env?: Record<string, string>; keep?: boolean; dir?: string } = {},
) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'trailwarden-bench-'));
  mkdirSync(dir, { recursive: true });
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const log = openSync(join(dir, 'service.log'), 'a');
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRAILWARDEN_MODE: 'sandbox',
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      RECONCILE_CRON: 'off',
      // The bench drives the API far harder than a person does.
      RATE_LIMIT_MAX: '100000000',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  // Polling a process just started from outside it: there is no event to await.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`service exited (${child.exitCode}); see ${dir}/service.log`);
    if (i > 1200) throw new Error(`service not ready after 2 minutes; see ${dir}/service.log`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const token = readFileSync(join(dataDir, 'secrets', 'bootstrap-token'), 'utf8').trim();
  const api: Service['api'] = async (method, path, body, headers = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : null) as never, headers: res.headers };
  };
  const finished = async (opId: string): Promise<Operation> => {
    for (;;) {
      const { body } = await api<Operation>('GET', `/v1/operations/${opId}`);
      if (TERMINAL.includes(body.state)) {
        if (body.state !== 'succeeded')
          throw new Error(`operation ${opId} ${body.state}: ${JSON.stringify(body.error)}`);
        return body;
      }
      await sleep(50);
    }
  };
  const putRequest = async (accountId: string, request: Record<string, unknown> = {}) => {
    // Replacing a request needs the ETag of the one replaced.
    const current = await fetch(`${base}/v1/accounts/${accountId}/trail`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await current.body?.cancel();
    const ifMatch: Record<string, string> = current.ok
      ? { 'if-match': current.headers.get('etag') ?? '' }
      : {};
    const put = await api(
      'PUT',
      `/v1/accounts/${accountId}/trail`,
      { homeRegion: 'us-east-1', ...request },
      ifMatch,
    );
    return put.headers.get('etag') ?? '';
  };
  const applyAccount = async (accountId: string, request: Record<string, unknown> = {}) => {
    const etag = await putRequest(accountId, request);
    const op = await api<{ id: string }>('POST', `/v1/accounts/${accountId}/trail/applies`, undefined, {
      'if-match': etag,
    });
    return op.body.id;
  };
  return {
    base,
    pid: child.pid!,
    dataDir,
    token,
    api,
    finished,
    putRequest,
    applyAccount,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      if (!opts.keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  } satisfies Service;
}

/** `pulumi refresh --preview-only` of one stack from the shell, as a user would run it: its wall ms. */
export function bareRefresh(dataDir: string, accountId: string): Promise<number> {
  const cli = join(process.env.PULUMI_CLI_ROOT ?? cachedCliRoot(), 'bin', 'pulumi');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // The CLI refuses --yes together with --preview-only; a preview needs no confirmation anyway.
    const child = spawn(
      cli,
      ['refresh', '--preview-only', '--non-interactive', '--stack', `organization/trailwarden/${accountId}`],
      {
        cwd: join(dataDir, 'workspaces', accountId),
        env: {
          ...process.env,
          PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
          PULUMI_BACKEND_URL: `file://${join(dataDir, 'state')}`,
          PULUMI_HOME: join(dataDir, 'pulumi-home'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
          PATH: `${join(dataDir, 'sandbox', 'bin')}:${process.env.PATH ?? ''}`,
          TRAILWARDEN_SANDBOX_DIR: join(dataDir, 'sandbox', 'state'),
          TRAILWARDEN_SANDBOX_ACCOUNT_ID: accountId,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`bare pulumi refresh failed (${code}): ${stderr}`)),
    );
  });
}

/**
 * What each recipient's click on SNS's confirmation link does (the sandbox's ConfirmSubscription):
 * an alarm set nobody receives is a high finding, so a fleet meant to be clean confirms them.
 */
export function confirmSubscriptions(dataDir: string, accountIds: readonly string[]): number {
  const state = new SandboxState(join(dataDir, 'sandbox', 'state'));
  let confirmed = 0;
  for (const accountId of accountIds)
    for (const rec of state.list({ accountId, type: 'aws:sns/topicSubscription:TopicSubscription' })) {
      if (rec.outputs.pendingConfirmation !== true) continue;
      rec.outputs = { ...rec.outputs, pendingConfirmation: false, confirmationWasAuthenticated: true };
      state.put(rec);
      confirmed++;
    }
  return confirmed;
}

/**
 * Bytes the service's SQLite database holds (pages in use; freed pages are reused before the file
 * grows, so this is what growth means), read beside the running service (WAL mode).
 */
export function databaseBytes(dataDir: string): number {
  const db = new DatabaseSync(join(dataDir, 'trailwarden.db'), { readOnly: true });
  try {
    const one = (sql: string) => Number(Object.values(db.prepare(sql).get() ?? {})[0] ?? 0);
    return (one('PRAGMA page_count') - one('PRAGMA freelist_count')) * one('PRAGMA page_size');
  } finally {
    db.close();
  }
}

/**
 * Gives `target` (PUT through the API, not applied) a copy of applied `template`'s stack checkpoint,
 * workspace and sandbox resources with the account id rewritten, and marks it applied in the
 * database as an apply would (status, applied version, outputs). Run with the service stopped.
 */
export function cloneAppliedAccount(dataDir: string, template: string, target: string): void {
  const rewrite = (text: string) => text.replaceAll(template, target);
  const copyTree = (from: string, to: string) => {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const src = join(from, entry.name);
      const dst = join(to, rewrite(entry.name));
      if (entry.isDirectory()) {
        mkdirSync(dst, { recursive: true });
        copyTree(src, dst);
      } else writeFileSync(dst, rewrite(readFileSync(src, 'utf8')));
    }
  };
  const sandbox = join(dataDir, 'sandbox', 'state');
  mkdirSync(join(sandbox, target), { recursive: true });
  copyTree(join(sandbox, template), join(sandbox, target));
  const stacks = join(dataDir, 'state', '.pulumi', 'stacks', 'trailwarden');
  writeFileSync(
    join(stacks, `${target}.json`),
    rewrite(readFileSync(join(stacks, `${template}.json`), 'utf8')),
  );
  const workspaces = join(dataDir, 'workspaces');
  mkdirSync(join(workspaces, target), { recursive: true });
  cpSync(join(workspaces, template, 'Pulumi.yaml'), join(workspaces, target, 'Pulumi.yaml'));
  cpSync(
    join(workspaces, template, `Pulumi.${template}.yaml`),
    join(workspaces, target, `Pulumi.${target}.yaml`),
  );
  const db = new DatabaseSync(join(dataDir, 'trailwarden.db'));
  try {
    const row = db.prepare('SELECT outputs FROM accounts WHERE account_id = ?').get(template) as {
      outputs: string;
    };
    db.prepare(
      `UPDATE accounts SET status = 'applied', applied_version = spec_version, outputs = ?
       WHERE account_id = ?`,
    ).run(rewrite(row.outputs), target);
  } finally {
    db.close();
  }
}
