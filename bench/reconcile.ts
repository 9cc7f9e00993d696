// Benchmark (not a test) of a full reconciliation: `npm run bench -- --accounts N` (default 50, or
// BENCH_ACCOUNTS). It starts the service in sandbox mode as a child process (its own data dir),
// creates and applies N accounts through the API, then times one reconciliation:
//   - wall time, accounts per minute, median and p95 per-account time (drift-check operation and
//     account-in-run time);
//   - peak RSS of the service process and of its child processes (Pulumi CLI, language host, sandbox
//     providers), sampled from /proc every 100 ms;
//   - the ratio of the service's per-account drift-check time to a bare
//     `pulumi refresh --preview-only --non-interactive` of one stack run from the shell (the CLI
//     refuses --yes together with --preview-only) (same
//     backend dir, PULUMI_CONFIG_PASSPHRASE, PATH with the sandbox plugin).
// Prints a table and writes JSON under bench/results/.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cachedCliRoot } from '../src/engine/pulumi-cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string' },
    concurrency: { type: 'string' },
    'bare-runs': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.accounts ?? process.env.BENCH_ACCOUNTS ?? 50);
const CONCURRENCY = Number(args.concurrency ?? process.env.RECONCILE_CONCURRENCY ?? 4);
const BARE_RUNS = Number(args['bare-runs'] ?? 3);
if (!Number.isInteger(N) || N < 1) throw new Error('--accounts must be a positive integer');

const PASSPHRASE = 'bench-passphrase';
const dataDir = mkdtempSync(join(tmpdir(), 'trailwarden-bench-'));
const accountIds = Array.from({ length: N }, (_, i) => String(100000000000 + i + 1));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- /proc sampling ----------------------------------------------------------------------------

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
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

interface MemoryPeaks {
  serviceKb: number;
  childrenKb: number;
  totalKb: number;
  maxChildren: number;
  samples: number;
}

function sampleMemory(pid: number): { stop: () => MemoryPeaks } {
  const peaks: MemoryPeaks = { serviceKb: 0, childrenKb: 0, totalKb: 0, maxChildren: 0, samples: 0 };
  const timer = setInterval(() => {
    const service = rssKb(pid);
    const kids = descendants(pid);
    const children = kids.reduce((sum, p) => sum + rssKb(p), 0);
    peaks.serviceKb = Math.max(peaks.serviceKb, service);
    peaks.childrenKb = Math.max(peaks.childrenKb, children);
    peaks.totalKb = Math.max(peaks.totalKb, service + children);
    peaks.maxChildren = Math.max(peaks.maxChildren, kids.length);
    peaks.samples++;
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return peaks;
    },
  };
}

// ---- service ------------------------------------------------------------------------------------

async function startService(port: number): Promise<ChildProcess> {
  const log = openSync(join(dataDir, 'service.log'), 'a');
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dataDir, 'data'),
      TRAILWARDEN_SANDBOX: 'true',
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      RECONCILE_CRON: 'off',
      RECONCILE_CONCURRENCY: String(CONCURRENCY),
      MAX_CONCURRENT_OPERATIONS: String(Math.max(CONCURRENCY, 4)),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', log, log],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null)
      throw new Error(`service exited (${child.exitCode}); see ${dataDir}/service.log`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('service did not start');
}

async function api<T = Record<string, unknown>>(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, body: JSON.parse(text) as T, location: res.headers.get('location') };
}

async function until<T>(fn: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
}

// ---- statistics -----------------------------------------------------------------------------------

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function bareRefresh(accountId: string): Promise<number> {
  const data = join(dataDir, 'data');
  const cli = join(process.env.PULUMI_CLI_ROOT ?? cachedCliRoot(), 'bin', 'pulumi');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      cli,
      [
        'refresh',
        // The brief's `--yes` is refused by the CLI with --preview-only ("--yes and --preview-only
        // cannot be used together"); a preview needs no confirmation anyway.
        '--preview-only',
        '--non-interactive',
        '--stack',
        `organization/trailwarden/${accountId}`,
      ],
      {
        cwd: join(data, 'workspaces', accountId),
        env: {
          ...process.env,
          PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
          PULUMI_BACKEND_URL: `file://${join(data, 'state')}`,
          PULUMI_HOME: join(data, 'pulumi-home'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
          PATH: `${join(data, 'sandbox', 'bin')}:${process.env.PATH ?? ''}`,
          TRAILWARDEN_SANDBOX_DIR: join(data, 'sandbox', 'state'),
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

// ---- main ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  console.log(`bench: ${N} sandbox accounts, reconcile concurrency ${CONCURRENCY}, data ${dataDir}`);
  const service = await startService(port);
  try {
    // Set-up: N accounts applied (not timed as part of the reconciliation).
    const setupStarted = performance.now();
    const ops: string[] = [];
    for (const id of accountIds) {
      await api(base, 'PUT', `/v1/accounts/${id}/trail`, { homeRegion: 'us-east-1' });
      ops.push((await api<{ id: string }>(base, 'POST', `/v1/accounts/${id}/trail/applies`)).body.id);
    }
    let finished = 0;
    for (const id of ops) {
      const op = await until(async () => {
        const { body } = await api<{ state: string; error: unknown }>(base, 'GET', `/v1/operations/${id}`);
        return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(body.state) ? body : undefined;
      });
      if (op.state !== 'succeeded') throw new Error(`apply ${id} ${op.state}: ${JSON.stringify(op.error)}`);
      finished++;
      process.stdout.write(`\rapplied ${finished}/${N}`);
    }
    const setupMs = performance.now() - setupStarted;
    console.log(`\nset-up (apply of ${N} accounts): ${(setupMs / 1000).toFixed(1)} s`);

    // The reconciliation.
    const memory = sampleMemory(service.pid!);
    const started = performance.now();
    const run = await api<{ id: string }>(base, 'POST', '/v1/reconciliations');
    const done = await until(async () => {
      const { body } = await api<{
        state: string;
        totals: Record<string, number>;
        accounts: {
          accountId: string;
          startedAt: string;
          finishedAt: string;
          operationIds: string[];
          outcome: string;
        }[];
      }>(base, 'GET', `/v1/reconciliations/${run.body.id}`);
      return body.state === 'running' ? undefined : body;
    }, 200);
    const wallMs = performance.now() - started;
    const peaks = memory.stop();

    const accountMs = done.accounts.map((a) => Date.parse(a.finishedAt) - Date.parse(a.startedAt));
    const checkMs: number[] = [];
    for (const a of done.accounts) {
      const { body } = await api<{ durationMs: number }>(base, 'GET', `/v1/operations/${a.operationIds[0]}`);
      checkMs.push(body.durationMs);
    }

    // Bare CLI refresh of one stack, from the shell, after the service's run (nothing else running).
    const bare: number[] = [];
    for (let i = 0; i < BARE_RUNS; i++) bare.push(await bareRefresh(accountIds[0]!));
    const bareMedian = quantile(bare, 0.5);
    const checkMedian = quantile(checkMs, 0.5);

    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryMb: Math.round(totalmem() / 2 ** 20),
      },
      accounts: N,
      reconcileConcurrency: CONCURRENCY,
      maxConcurrentOperations: Math.max(CONCURRENCY, 4),
      setupApplyMs: Math.round(setupMs),
      reconciliation: { id: run.body.id, state: done.state, totals: done.totals },
      wallMs: Math.round(wallMs),
      accountsPerMinute: Number((N / (wallMs / 60000)).toFixed(2)),
      perAccountMs: {
        median: Math.round(quantile(accountMs, 0.5)),
        p95: Math.round(quantile(accountMs, 0.95)),
      },
      driftCheckOperationMs: {
        median: Math.round(checkMedian),
        p95: Math.round(quantile(checkMs, 0.95)),
      },
      peakRssMb: {
        service: Number((peaks.serviceKb / 1024).toFixed(1)),
        children: Number((peaks.childrenKb / 1024).toFixed(1)),
        total: Number((peaks.totalKb / 1024).toFixed(1)),
        maxChildProcesses: peaks.maxChildren,
        samples: peaks.samples,
      },
      bareCliRefreshMs: { runs: bare.map(Math.round), median: Math.round(bareMedian) },
      serviceToBareRatio: Number((checkMedian / bareMedian).toFixed(2)),
    };

    const rows: [string, string][] = [
      ['accounts', String(N)],
      ['reconcile concurrency', String(CONCURRENCY)],
      ['outcome', `${done.state} ${JSON.stringify(done.totals)}`],
      ['wall time', `${(wallMs / 1000).toFixed(1)} s`],
      ['accounts / minute', String(result.accountsPerMinute)],
      ['per account (in run) median / p95', `${result.perAccountMs.median} / ${result.perAccountMs.p95} ms`],
      [
        'drift-check op median / p95',
        `${result.driftCheckOperationMs.median} / ${result.driftCheckOperationMs.p95} ms`,
      ],
      ['peak RSS service', `${result.peakRssMb.service} MB`],
      ['peak RSS children (sum)', `${result.peakRssMb.children} MB (max ${peaks.maxChildren} processes)`],
      ['peak RSS service + children', `${result.peakRssMb.total} MB`],
      [
        'bare `pulumi refresh --preview-only` median',
        `${result.bareCliRefreshMs.median} ms (${bare.map(Math.round).join(', ')})`,
      ],
      ['service drift check / bare CLI', `${result.serviceToBareRatio}x`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('');
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);

    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `reconcile-${N}-${result.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  } finally {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
