// The service returns an operation's garbage to the OS as the operation ends, when its resident
// memory is above the threshold, and not again until it has grown by a quarter of it.
import t from 'tap';
import { heapTrimmer } from '../../src/engine/heap-trim.ts';

const MB = 2 ** 20;

function setup(rssMb: number, afterGcMb: number) {
  const state = { rss: rssMb * MB, gcs: 0 };
  const logged: object[] = [];
  const trim = heapTrimmer({
    rssMb: 300,
    rss: () => state.rss,
    gc: () => {
      state.gcs++;
      state.rss = afterGcMb * MB;
    },
    log: { debug: (obj) => logged.push(obj) },
  });
  return { state, trim, logged };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

t.test('below the threshold an operation end collects nothing', async (t) => {
  const { state, trim } = setup(250, 200);
  trim();
  await nextTurn();
  t.equal(state.gcs, 0);
});

t.test('above it one memory-reducing GC runs after the operation, however many end at once', async (t) => {
  const { state, trim, logged } = setup(420, 210);
  trim();
  trim();
  t.equal(state.gcs, 0, 'not inside the operation: after its continuations');
  await nextTurn();
  t.equal(state.gcs, 1);
  t.match(logged[0], { rssMbBefore: 420, rssMbAfter: 210, nextMb: 300 });
});

t.test('when live memory stays above the threshold the next GC waits for a quarter more', async (t) => {
  const { state, trim } = setup(420, 330);
  trim();
  await nextTurn();
  t.equal(state.gcs, 1);
  state.rss = 400 * MB;
  trim();
  await nextTurn();
  t.equal(state.gcs, 1, '400 MB < 330 + 75');
  state.rss = 406 * MB;
  trim();
  await nextTurn();
  t.equal(state.gcs, 2);
});

t.test('0 turns it off', async (t) => {
  let gcs = 0;
  const trim = heapTrimmer({ rssMb: 0, rss: () => 4096 * MB, gc: () => gcs++ });
  trim();
  await nextTurn();
  t.equal(gcs, 0);
});

t.test('the real collection runs without --expose-gc', async (t) => {
  t.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  const logged: { rssMbAfter?: number }[] = [];
  const trim = heapTrimmer({ rssMb: 1, log: { debug: (obj) => logged.push(obj) } });
  trim();
  await nextTurn();
  t.equal(logged.length, 1, 'ran');
  t.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc stays out of the global scope');
});
