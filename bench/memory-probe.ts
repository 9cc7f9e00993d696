// Where a running service's memory is, for diagnosis: preload it and signal the process.
//   MEMORY_PROBE_FILE=/tmp/probe.jsonl NODE_OPTIONS='--expose-gc --import ./bench/memory-probe.ts' node src/main.ts
//   kill -USR2 <pid>
// Every second one JSON line: RSS (anonymous and file-backed), the V8 heap (total, used, each
// space used/physical), external and ArrayBuffers. On SIGUSR2: a line before and after a full GC
// (what is live), then after a memory-reducing GC (what V8 can give back), with the RSS of the
// process's mappings by kind (V8 heap pages are the 256 KB anonymous ones) and GC time so far.
// `startService({ env: { NODE_OPTIONS, MEMORY_PROBE_FILE } })` (bench/lib.ts) drives it from a bench.
import { appendFileSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

type Gc = (opts?: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void;

const file = process.env.MEMORY_PROBE_FILE;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function status() {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rss: mb(kb('VmRSS') * 1024), anon: mb(kb('RssAnon') * 1024), fileRss: mb(kb('RssFile') * 1024) };
}

/** Resident MB by mapping kind: file-backed, [heap] (malloc), anonymous by size. */
function mappings(): Record<string, number> {
  const out: Record<string, number> = {};
  let key = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const kb = (Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16)) / 1024;
      const name = head[3] ?? '';
      key = name.startsWith('/')
        ? 'file'
        : name || (kb === 256 ? 'anon 256K (V8 pages)' : kb >= 65536 ? 'anon >= 64M' : 'anon other');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && key) out[key] = (out[key] ?? 0) + Number(rss[1]) / 1024;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]!);
  return out;
}

let gcMs = 0;
let gcs = 0;

function write(tag: string, extra: object = {}): void {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics()
      .filter((s) => s.physical_space_size > 0)
      .map((s) => [s.space_name, `${mb(s.space_used_size)}/${mb(s.physical_space_size)}`]),
  );
  const line = {
    t: new Date().toISOString(),
    tag,
    ...status(),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
    spaces,
    ...extra,
  };
  appendFileSync(file!, `${JSON.stringify(line)}\n`);
}

if (file) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcs++;
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => write('tick'), 1000).unref();
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: Gc }).gc;
    write('before-gc');
    if (!gc) return;
    gc();
    write('after-full-gc', { mappings: mappings() });
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    write('after-memory-reducing-gc', { mappings: mappings(), gcMs: Math.round(gcMs), gcs });
  });
}
