// Gives the service's memory back to the OS after engine operations. Inline programs run in this
// process: each operation allocates tens of MB (the Pulumi runtime's resources, outputs and gRPC
// messages, the engine's events) that are garbage when it ends. V8 collects them, but keeps the
// pages: its young generation stays at the size the busiest moment needed (≈ 128 MB), old-space
// pages freed by a collection stay resident, and the old generation is let grow to a few times the
// live heap before a full collection. Measured (bench probe, 20–30 accounts): the live heap after a
// full GC is flat (72 MB idle, 75–86 MB after applies and two reconciliations), while RSS sits at
// 470–650 MB; one memory-reducing GC brings it back to ≈ 205–235 MB. V8 runs one by itself only
// after seconds of low allocation, which a busy service (a reconciliation) never has.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MB = 2 ** 20;

type Gc = (opts: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let exposedGc: Gc | undefined;

/**
 * V8's gc() without starting node with --expose-gc: the flag is set for one new context's global
 * (as Jest's leak detector does). The last-resort flavor is the memory-reducing one: it shrinks the
 * young generation and releases pooled pages, which a plain gc() does not.
 */
function memoryReducingGc(): void {
  if (!exposedGc) {
    setFlagsFromString('--expose-gc');
    exposedGc = runInNewContext('gc') as Gc;
    setFlagsFromString('--no-expose-gc');
  }
  exposedGc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

export interface HeapTrimOptions {
  /** Resident MB above which the next operation's end runs a memory-reducing GC; 0: never. */
  rssMb: number;
  log?: { debug: (obj: object, msg?: string) => void };
  /** For tests: the process's resident bytes, and the collection. */
  rss?: () => number;
  gc?: () => void;
}

/**
 * Called as each engine operation ends. Above the threshold it runs one memory-reducing GC (a
 * pause of ≈ 0.1–0.3 s on a ≈ 80 MB live heap, between operations); when the live memory itself
 * is above the threshold (a larger fleet keeps more), the next one waits until RSS has grown by a
 * quarter of the threshold again, so the pause is paid per that much garbage, not per operation.
 */
export function heapTrimmer(opts: HeapTrimOptions): () => void {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const gc = opts.gc ?? memoryReducingGc;
  let nextMb = opts.rssMb;
  let pending = false;
  return () => {
    if (!opts.rssMb || pending || rss() / MB < nextMb) return;
    pending = true;
    // After the operation's own continuations: its result is delivered, its garbage unreachable.
    setImmediate(() => {
      pending = false;
      const beforeMb = rss() / MB;
      const started = performance.now();
      gc();
      const afterMb = rss() / MB;
      nextMb = Math.max(opts.rssMb, afterMb + opts.rssMb / 4);
      opts.log?.debug(
        {
          rssMbBefore: Math.round(beforeMb),
          rssMbAfter: Math.round(afterMb),
          ms: Math.round(performance.now() - started),
          nextMb: Math.round(nextMb),
        },
        'memory-reducing GC after an engine operation',
      );
    }).unref();
  };
}
