// The engine adapter's memory per operation, in this process (where inline programs run):
//   node --expose-gc bench/engine-memory.ts [--ops 40] [--snapshot]
// Applies one sandbox account, then runs previews one at a time; after each, a full GC and the
// V8 heap in use. A flat line is the goal (issue 15: ≈ 7 MB kept per operation). --snapshot writes
// heap snapshots after the first and the last operation (compare them in Chrome DevTools).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/index.ts';
import { resolveTrailRequest } from '../src/trail-request/resolve.ts';

const { values: args } = parseArgs({
  options: { ops: { type: 'string', default: '40' }, snapshot: { type: 'boolean', default: false } },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const dir = mkdtempSync(join(tmpdir(), 'tw-engine-memory-'));
const config = loadConfig({ DATA_DIR: dir, TRAILWARDEN_MODE: 'sandbox', PULUMI_CONFIG_PASSPHRASE: 'bench' });
const engine = await createEngine(config, { ...process.env, PULUMI_CONFIG_PASSPHRASE: 'bench' });
const account = '100000000001';
const request = resolveTrailRequest({ homeRegion: 'us-east-1' });
const heapMb = () => {
  gc();
  gc();
  return Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1));
};
try {
  await engine.up(account, request);
  const heap: number[] = [];
  for (let i = 0; i < Number(args.ops); i++) {
    await engine.preview(account, request);
    heap.push(heapMb());
    if (args.snapshot && (i === 1 || i === Number(args.ops) - 1))
      console.log(`snapshot ${writeHeapSnapshot(join(dir, `after-${i + 1}.heapsnapshot`))}`);
    console.log(
      `preview ${i + 1}: heap ${heap.at(-1)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
    );
  }
  const half = heap.slice(Math.floor(heap.length / 2));
  console.log(
    `heap growth per preview (second half): ${((half.at(-1)! - half[0]!) / (half.length - 1)).toFixed(2)} MB`,
  );
} finally {
  await engine.close?.();
  if (!args.snapshot) rmSync(dir, { recursive: true, force: true });
}
