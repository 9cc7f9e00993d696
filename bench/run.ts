// `npm run bench`: the figures of issue 15, measured in one self-contained run (sandbox mode, each
// part with a fresh service and data dir, the service started as a child process). Parts:
//   ratio   one drift check at a time, interleaved with the bare CLI's `refresh --preview-only` of
//           the same stack: the service's check time over the CLI's, and CPU per check;
//   memory  service RSS over applies and previews one at a time (after 20 applies, growth per op);
//   http    GET /v1/accounts/{id}/trail (authenticated), /healthz and a bare Fastify route, with
//           autocannon, 10 connections;
//   fleet   N accounts applied, then one reconciliation timed: wall, accounts/min, CPU-s per
//           account, peak RSS (default N = 200; --n1000 adds a run at 1,000).
// Writes bench/results/<date>-<machine>.json (machine cores, memory, load average: on a shared
// machine the figures are contended, and the JSON says so) and prints a summary.
//
//   npm run bench                                 all parts, fleet at N = 200
//   npm run bench -- --parts ratio,http           some parts
//   npm run bench -- --accounts 50 --n1000        fleet at 50 and at 1,000
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bareRefresh,
  cloneAppliedAccount,
  confirmSubscriptions,
  databaseBytes,
  quantile,
  ROOT,
  round,
  rssKb,
  type Service,
  sampleMemory,
  sleep,
  slope,
  startService,
  treeCpuSeconds,
} from './lib.ts';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'ratio,memory,http,storage,fleet' },
    accounts: { type: 'string', default: '200' },
    n1000: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '10' },
    'memory-ops': { type: 'string', default: '40' },
    'http-seconds': { type: 'string', default: '10' },
    concurrency: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // A fleet's set-up (N applies) takes far longer than its reconciliation: with a dir, each N's
    // set-up is kept in <dir>/n<N> and later runs reuse it (only the reconciliation is timed anyway).
    'fleet-dir': { type: 'string' },
    // Only set the fleet up (into --fleet-dir), for a later run on a quiet machine.
    'setup-only': { type: 'boolean', default: false },
    // apply (default): every fleet account applied through the API; clone: see setUpFleet.
    'fleet-setup': { type: 'string', default: 'apply' },
    'storage-checks': { type: 'string', default: '40' },
  },
});
const parts = new Set(args.parts!.split(','));
const FLEET_N = Number(args.accounts);
const ROUNDS = Number(args.rounds);
const MEMORY_OPS = Number(args['memory-ops']);
const HTTP_SECONDS = Number(args['http-seconds']);
const STORAGE_CHECKS = Number(args['storage-checks']);
const SETTLE_MS = 180_000;
// Unset: the service's own default (one per core, src/config.ts).
const concurrencyEnv: Record<string, string> = args.concurrency
  ? { MAX_CONCURRENT_OPERATIONS: args.concurrency, RECONCILE_CONCURRENCY: args.concurrency }
  : {};

const accountId = (i: number) => String(100000000000 + i + 1);
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function applyAll(service: Service, ids: string[], onEach?: () => void): Promise<void> {
  const ops: string[] = [];
  for (const id of ids) ops.push(await service.applyAccount(id));
  for (const op of ops) {
    await service.finished(op);
    onEach?.();
  }
}

// ---- ratio ------------------------------------------------------------------------------------

async function ratioPart() {
  const service = await startService({ env: concurrencyEnv, keep: args.keep });
  try {
    const ids = [0, 1, 2].map(accountId);
    await applyAll(service, ids);
    // One warm-up of each side (first CLI start, page cache), not counted.
    await service.finished(
      (await service.api<{ id: string }>('POST', `/v1/accounts/${ids[0]}/drift-checks`)).body.id,
    );
    await bareRefresh(service.dataDir, ids[0]!);
    const check: number[] = [];
    const bare: number[] = [];
    const checkCpu: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const id = ids[r % ids.length]!;
      const cpu0 = treeCpuSeconds(service.pid);
      const op = await service.finished(
        (await service.api<{ id: string }>('POST', `/v1/accounts/${id}/drift-checks`)).body.id,
      );
      checkCpu.push(treeCpuSeconds(service.pid) - cpu0);
      check.push(op.durationMs ?? Number.NaN);
      bare.push(await bareRefresh(service.dataDir, id));
      log(`ratio round ${r + 1}/${ROUNDS}: check ${op.durationMs} ms, bare ${Math.round(bare.at(-1)!)} ms`);
    }
    const checkMedian = quantile(check, 0.5);
    const bareMedian = quantile(bare, 0.5);
    return {
      rounds: ROUNDS,
      driftCheckMs: { median: Math.round(checkMedian), runs: check },
      bareCliRefreshMs: { median: Math.round(bareMedian), runs: bare.map(Math.round) },
      serviceToBareRatio: round(checkMedian / bareMedian, 2),
      cpuSecondsPerCheck: {
        median: round(quantile(checkCpu, 0.5), 2),
        runs: checkCpu.map((c) => round(c, 2)),
      },
    };
  } finally {
    await service.stop();
  }
}

// ---- memory -----------------------------------------------------------------------------------

async function memoryPart() {
  const service = await startService({ env: concurrencyEnv, keep: args.keep });
  try {
    const mb = () => round(rssKb(service.pid) / 1024, 1);
    const ids = [0, 1, 2, 3].map(accountId);
    const idle = mb();
    const afterApply: number[] = [];
    // 20 applies one at a time over four accounts (the first creates, the others converge).
    for (let i = 0; i < 20; i++) {
      await service.finished(
        await service.applyAccount(ids[i % ids.length]!, { tags: { round: String(i) } }),
      );
      afterApply.push(mb());
    }
    const previews: number[] = [];
    for (let i = 0; i < MEMORY_OPS; i++) {
      const id = ids[i % ids.length]!;
      const op = await service.api<{ id: string }>('POST', `/v1/accounts/${id}/trail/previews`);
      await service.finished(op.body.id);
      previews.push(mb());
      if ((i + 1) % 10 === 0)
        log(`memory: ${i + 1}/${MEMORY_OPS} previews, service RSS ${previews.at(-1)} MB`);
    }
    // The first operations load @pulumi/aws and warm the heap; growth is the slope after them.
    const steady = previews.slice(Math.floor(previews.length / 4));
    return {
      serviceRssMb: {
        idle,
        after20Applies: afterApply.at(-1),
        afterApplies: afterApply,
        afterPreviews: previews,
        final: previews.at(-1),
      },
      growthPerPreviewMb: round(slope(steady), 2),
      growthPerApplyMb: round(slope(afterApply.slice(5)), 2),
      previews: MEMORY_OPS,
    };
  } finally {
    await service.stop();
  }
}

// ---- http -------------------------------------------------------------------------------------

// The read path's own measurement (bench/read-path.ts): the service's trail route with a viewer
// token, /healthz and a bare Fastify route, each with autocannon, in one run.
async function httpPart() {
  const { measureReadPath } = await import('./read-path.ts');
  const r = await measureReadPath({ connections: 10, duration: HTTP_SECONDS });
  log(
    `http: trail ${r.trail.requestsPerSecond} rps p99 ${r.trail.latencyMs.p99} ms, bare ${r.bareFastify.requestsPerSecond} rps`,
  );
  return r;
}

// ---- storage ----------------------------------------------------------------------------------

/**
 * Database growth per clean drift check: as the check leaves it (its report and every engine event,
 * which streams may still be reading) and once the service's own sweep has compacted it to a
 * summary (COMPACT_AFTER_MS after it finished; the bench sets the shortest sweep interval, 60 s).
 */
async function storagePart() {
  const service = await startService({
    env: { ...concurrencyEnv, RETENTION_SWEEP_INTERVAL_MS: '60000' },
    keep: args.keep,
  });
  try {
    const id = accountId(0);
    await service.finished(await service.applyAccount(id, FLEET_REQUEST));
    confirmSubscriptions(service.dataDir, [id]);
    const check = async () => {
      const op = await service.api<{ id: string }>('POST', `/v1/accounts/${id}/drift-checks`);
      await service.finished(op.body.id);
      return op.body.id;
    };
    const before = databaseBytes(service.dataDir);
    let last = '';
    for (let i = 0; i < STORAGE_CHECKS; i++) last = await check();
    const afterChecks = databaseBytes(service.dataDir);
    const reports = await service.api<{ items: { clean: boolean }[] }>(
      'GET',
      `/v1/accounts/${id}/drift-reports?limit=${STORAGE_CHECKS}`,
    );
    const drifted = reports.body.items.filter((r) => !r.clean).length;
    if (drifted) throw new Error(`storage: ${drifted} of the ${STORAGE_CHECKS} checks were not clean`);
    // Compaction waits COMPACT_AFTER_MS past the last check, then the next sweep runs: poll its
    // effect on the last check's events (there is no event to await from outside the service).
    const { COMPACT_AFTER_MS } = await import('../src/retention/service.ts');
    await sleep(COMPACT_AFTER_MS);
    const eventsOf = async () =>
      (
        await service.api<{ events: unknown[] }>(
          'GET',
          `/v1/operations/${last}/events?level=debug&limit=1000`,
        )
      ).body.events.length;
    const uncompacted = await eventsOf();
    for (let i = 0; i < 150 && (await eventsOf()) >= uncompacted; i++) await sleep(1000);
    const afterSweep = databaseBytes(service.dataDir);
    const perCheck = (bytes: number) => Math.round((bytes - before) / STORAGE_CHECKS);
    log(`storage: ${perCheck(afterChecks)} B per clean check, ${perCheck(afterSweep)} B after compaction`);
    return {
      checks: STORAGE_CHECKS,
      databaseBytes: { before, afterChecks, afterSweep },
      bytesPerCleanCheck: { asStored: perCheck(afterChecks), afterCompaction: perCheck(afterSweep) },
      eventsOfLastCheck: { asStored: uncompacted, afterCompaction: await eventsOf() },
    };
  } finally {
    await service.stop();
  }
}

// ---- fleet ------------------------------------------------------------------------------------

/** Every fleet account's request: the full baseline with a recipient, so a converged account is clean. */
const FLEET_REQUEST = { alarms: { notify: { emails: ['secops@example.com'] } } };

/**
 * Sets a fleet of N accounts up in `dir`, not timed. `apply`: every account applied through the API.
 * `clone`: the first account applied through the API (and its recipient confirmed), every other one
 * PUT through the API and then given a copy of that account's stack, workspace and sandbox resources
 * with the account id rewritten (bench/lib.ts cloneAppliedAccount): minutes instead of an hour at
 * N = 1,000 on 2 cores. The timed reconciliation then reads every stack through the engine and the
 * sandbox as usual; its totals (all clean) show the copies are consistent.
 */
async function setUpFleet(n: number, dir: string | undefined, how: 'apply' | 'clone') {
  const ids = Array.from({ length: n }, (_, i) => accountId(i));
  const service = await startService({ env: concurrencyEnv, keep: true, dir });
  const started = performance.now();
  try {
    const applyIds = how === 'apply' ? ids : ids.slice(0, 1);
    const ops: string[] = [];
    for (const id of applyIds) ops.push(await service.applyAccount(id, FLEET_REQUEST));
    let applied = 0;
    for (const op of ops) {
      await service.finished(op);
      if (++applied % 25 === 0 || applied === applyIds.length)
        log(`fleet ${n}: applied ${applied}/${applyIds.length}`);
    }
    const confirmed = confirmSubscriptions(service.dataDir, applyIds);
    log(`fleet ${n}: ${confirmed} alarm subscriptions confirmed by their recipient`);
    if (how === 'clone') for (const id of ids.slice(1)) await service.putRequest(id, FLEET_REQUEST);
  } finally {
    await service.stop();
  }
  if (how === 'clone') {
    for (const [i, id] of ids.slice(1).entries()) {
      cloneAppliedAccount(service.dataDir, ids[0]!, id);
      if ((i + 2) % 100 === 0 || i + 2 === n) log(`fleet ${n}: cloned ${i + 2}/${n}`);
    }
  }
  return { dataDir: service.dataDir, setupMs: Math.round(performance.now() - started) };
}

async function fleetPart(n: number) {
  const dir = args['fleet-dir']
    ? join(args['fleet-dir'], `n${n}`)
    : mkdtempSync(join(tmpdir(), 'trailwarden-fleet-'));
  const setupFile = join(dir, 'setup.json');
  const how = args['fleet-setup'] === 'clone' ? 'clone' : 'apply';
  const reused = existsSync(setupFile);
  let setup: { setupMs: number; how: string };
  if (reused) {
    setup = JSON.parse(readFileSync(setupFile, 'utf8')) as typeof setup;
    log(`fleet ${n}: reusing the set-up in ${dir} (${setup.how})`);
  } else {
    const { setupMs } = await setUpFleet(n, dir, how);
    setup = { setupMs, how };
    writeFileSync(setupFile, `${JSON.stringify({ ...setup, n })}\n`);
  }
  if (args['setup-only']) return { accounts: n, setupOnly: true };
  // The timed run starts a fresh service on the fleet, whichever way it was set up.
  const service = await startService({ env: concurrencyEnv, dir });
  try {
    const memory = sampleMemory(service.pid);
    // Flat over the run means its RSS does not climb with the accounts checked: sampled every 5 s.
    const timeline: number[] = [];
    const sampler = setInterval(() => timeline.push(round(rssKb(service.pid) / 1024, 1)), 5000);
    const cpu0 = treeCpuSeconds(service.pid);
    const started = performance.now();
    const run = await service.api<{ id: string }>('POST', '/v1/reconciliations');
    let done: { state: string; totals: Record<string, number> };
    for (;;) {
      const { body } = await service.api<typeof done>('GET', `/v1/reconciliations/${run.body.id}`);
      if (body.state !== 'running') {
        done = body;
        break;
      }
      await sleep(200);
    }
    const wallMs = performance.now() - started;
    const cpuSeconds = treeCpuSeconds(service.pid) - cpu0;
    const peaks = memory.stop();
    clearInterval(sampler);
    const secondHalf = timeline.slice(Math.floor(timeline.length / 2));
    log(
      `fleet ${n}: reconciled in ${(wallMs / 1000).toFixed(1)} s (${done.state}, ${JSON.stringify(done.totals)})`,
    );
    return {
      accounts: n,
      setup: { how: setup.how, ms: setup.setupMs, reused },
      reconciliation: { state: done.state, totals: done.totals },
      wallMs: Math.round(wallMs),
      wallMinutes: round(wallMs / 60000, 2),
      accountsPerMinute: round(n / (wallMs / 60000), 1),
      cpuSecondsPerAccount: round(cpuSeconds / n, 2),
      peakRssMb: peaks,
      serviceRssMbEvery5s: timeline,
      serviceRssGrowthMbPerMinuteInSecondHalf: round(slope(secondHalf) * 12, 1),
    };
  } finally {
    await service.stop();
    if (!args['fleet-dir'] && !args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main -------------------------------------------------------------------------------------

/**
 * Each part's figures carry when they were taken and the machine's load average around them; each
 * part waits (up to 3 min) for the 1-minute average to fall below half the cores, and is marked
 * contended when it had not: other work shared the CPUs as it started. The day's file keeps the
 * parts of earlier runs that this run did not repeat; it is written after every part.
 */
async function main() {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `${new Date().toISOString().slice(0, 10)}-${hostname().replace(/[^\w.-]/g, '_')}.json`,
  );
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  const result: Record<string, unknown> = {
    ...previous,
    machine: {
      hostname: hostname(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
    },
    settings: { concurrency: args.concurrency ?? 'service default (src/config.ts defaultConcurrency)' },
  };
  const timed = async (name: string, fn: () => Promise<unknown>) => {
    // A part's own load lingers in the 1-minute average: let the previous part's settle first, so
    // a part counts as contended only when other work was on the machine as it started.
    for (let waited = 0; loadavg()[0]! > cpus().length / 2 && waited < SETTLE_MS; waited += 5000) {
      if (waited === 0) log(`${name}: waiting for the load average to settle (${round(loadavg()[0]!, 2)})`);
      await sleep(5000);
    }
    log(`${name}: starting`);
    const at = new Date().toISOString();
    const loadAtStart = loadavg().map((l) => round(l, 2));
    const t0 = performance.now();
    const figures = (await fn()) as Record<string, unknown>;
    if (figures['setupOnly']) return void log(`${name}: set up, nothing measured`);
    const seconds = Math.round((performance.now() - t0) / 1000);
    const loadAtEnd = loadavg().map((l) => round(l, 2));
    result[name] = {
      at,
      seconds,
      loadAverage: { atStart: loadAtStart, atEnd: loadAtEnd },
      contended: loadAtStart[0]! > cpus().length / 2,
      ...figures,
    };
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`${name}: done in ${seconds} s, wrote ${file}`);
  };
  if (parts.has('ratio')) await timed('ratio', ratioPart);
  if (parts.has('memory')) await timed('memory', memoryPart);
  if (parts.has('http')) await timed('http', httpPart);
  if (parts.has('storage')) await timed('storage', storagePart);
  if (parts.has('fleet')) await timed(`fleet${FLEET_N}`, () => fleetPart(FLEET_N));
  if (args.n1000) await timed('fleet1000', () => fleetPart(1000));
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
