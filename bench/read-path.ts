// Benchmark (not a test) of the read path: `node bench/read-path.ts [--duration S] [--connections N]`.
// In one run, with autocannon (N connections, default 10, each run after a short warm-up):
//   - GET /v1/accounts/{id}/trail of the real service (sandbox mode, its own data dir, SQLite),
//     authenticated with a viewer service token;
//   - GET /healthz of the same service (no authentication);
//   - GET / of a bare Fastify app (the framework's own speed on this machine).
// Each server is a child process; autocannon runs in this one. The service's rate limit is raised out
// of the way (it still runs on every request), and so is its cap of requests per connection. Prints JSON; `--out FILE` writes it too.
// perfeng's `npm run bench` calls measureReadPath().
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACCOUNT = '111122223333';
const BOOTSTRAP_TOKEN = 'bench-bootstrap-token-0123456789abcdef';

export interface RouteFigures {
  url: string;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  non2xx: number;
  errors: number;
  /**
   * CPU time the server process spent per request during the measured run (user + system, from
   * /proc): unlike the rate, it holds up on a machine other work keeps busy.
   */
  serverCpuMicrosPerRequest: number | null;
}

export interface ReadPathResult {
  at: string;
  machine: { cpus: number; memoryBytes: number; node: string };
  connections: number;
  durationSeconds: number;
  trail: RouteFigures;
  healthz: RouteFigures;
  bareFastify: RouteFigures;
}

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

/** Resolves once the URL answers (any status), polling: the child has no readiness signal of its own. */
async function waitFor(url: string, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; i < 600; i++) {
    if (exited) throw new Error(`${url}: the server exited before it listened`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url}: no answer within 60 s`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** User + system CPU time of a process in microseconds (Linux /proc), null elsewhere. */
function cpuMicros(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// USER_HZ: 100 on every Linux the service runs on (getconf CLK_TCK).
const CLOCK_TICKS = 100;

async function run(
  url: string,
  opts: { connections: number; duration: number; headers?: Record<string, string>; pid?: number | undefined },
): Promise<RouteFigures> {
  const once = (duration: number) =>
    autocannon({ url, connections: opts.connections, duration, headers: opts.headers ?? {} });
  // Warm-up: JIT, the authentication cache, SQLite's page cache.
  await once(Math.min(3, opts.duration));
  const cpuBefore = cpuMicros(opts.pid);
  const r = await once(opts.duration);
  const cpuAfter = cpuMicros(opts.pid);
  return {
    url,
    requestsPerSecond: Math.round(r.requests.average),
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    serverCpuMicrosPerRequest:
      cpuBefore === null || cpuAfter === null || r.requests.total === 0
        ? null
        : Math.round((cpuAfter - cpuBefore) / r.requests.total),
  };
}

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function measureReadPath(
  opts: { connections?: number; duration?: number } = {},
): Promise<ReadPathResult> {
  const connections = opts.connections ?? 10;
  const duration = opts.duration ?? 10;
  const dataDir = mkdtempSync(join(tmpdir(), 'trailwarden-read-path-'));
  const tokenFile = join(dataDir, 'bootstrap-token');
  writeFileSync(tokenFile, `${BOOTSTRAP_TOKEN}\n`, { mode: 0o600 });
  const servicePort = await freePort();
  const barePort = await freePort();
  const service = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRAILWARDEN_MODE: 'sandbox',
      TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: tokenFile,
      RECONCILE_CRON: 'off',
      RATE_LIMIT_MAX: '1000000000',
      // autocannon keeps its connections; past 1000 requests on one the service would answer 503.
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
    },
  });
  const bare = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import Fastify from 'fastify';
       const app = Fastify();
       app.get('/', async () => ({ hello: 'world' }));
       await app.listen({ port: ${barePort}, host: '127.0.0.1' });`,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const base = `http://127.0.0.1:${servicePort}`;
    await waitFor(`${base}/healthz`, service);
    await waitFor(`http://127.0.0.1:${barePort}/`, bare);
    await api(base, BOOTSTRAP_TOKEN, 'PUT', `/v1/accounts/${ACCOUNT}/trail`, { homeRegion: 'us-east-1' });
    const created = await api(base, BOOTSTRAP_TOKEN, 'POST', '/v1/service-tokens', {
      name: 'read-path-bench',
      roles: ['viewer'],
      accounts: [ACCOUNT],
      expiresInDays: 1,
    });
    const headers = { authorization: `Bearer ${String(created['token'])}` };
    const trail = await run(`${base}/v1/accounts/${ACCOUNT}/trail`, {
      connections,
      duration,
      headers,
      pid: service.pid,
    });
    const healthz = await run(`${base}/healthz`, { connections, duration, pid: service.pid });
    const bareFastify = await run(`http://127.0.0.1:${barePort}/`, { connections, duration, pid: bare.pid });
    return {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, memoryBytes: totalmem(), node: process.version },
      connections,
      durationSeconds: duration,
      trail,
      healthz,
      bareFastify,
    };
  } finally {
    await Promise.all([stop(service), stop(bare)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      out: { type: 'string' },
    },
  });
  const result = await measureReadPath({
    duration: Number(values.duration),
    connections: Number(values.connections),
  });
  const text = JSON.stringify(result, null, 2);
  console.log(text);
  if (values.out) writeFileSync(values.out, `${text}\n`);
}
