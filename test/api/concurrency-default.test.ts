import t from 'tap';
import { defaultConcurrency, loadConfig } from '../../src/config.ts';

const GB = 2 ** 30;

t.test('the concurrency default is one operation per core, fewer when memory is short', async (t) => {
  t.equal(defaultConcurrency(2, 24 * GB), 2, '2 cores, plenty of memory: 2');
  t.equal(defaultConcurrency(16, 2 * GB), 4, '16 cores, 2 GB: what memory holds');
  t.equal(defaultConcurrency(8, 256 * 2 ** 20), 1, 'never below one');
  t.equal(defaultConcurrency(256, 1024 * GB), 64, 'never above the schema maximum');
});

t.test('the variables still override it', async (t) => {
  const dataDir = t.testdir();
  const derived = loadConfig({ DATA_DIR: dataDir });
  t.equal(derived.maxConcurrentOperations, defaultConcurrency());
  t.equal(derived.reconcileConcurrency, defaultConcurrency());
  const set = loadConfig({ DATA_DIR: dataDir, MAX_CONCURRENT_OPERATIONS: '3', RECONCILE_CONCURRENCY: '5' });
  t.equal(set.maxConcurrentOperations, 3);
  t.equal(set.reconcileConcurrency, 5);
});
