// Storage retention on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a clean drift check keeps only a
// summary of its events (≤ 20 KB); events and reports past RETENTION_DAYS go, except each account's
// latest report; a second sweep changes nothing. And SQLite prepares a statement once.
import t from 'tap';
import type { DriftReport } from '../../src/drift/schemas.ts';
import type { OperationKind } from '../../src/engine/types.ts';
import { COMPACT_BUDGET_BYTES, RetentionSweeper } from '../../src/retention/service.ts';
import { SqliteDatabase } from '../../src/store/sqlite.ts';
import type { Stores } from '../../src/stores.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { databases, freshStore } from '../helpers/databases.ts';

const spec = resolveTrailRequest({ homeRegion: 'us-east-1' });
const NOW = new Date('2026-06-01T00:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const DAY = 86_400_000;
const silent = { info() {}, warn() {} };

const report = (accountId: string, clean: boolean): DriftReport =>
  ({
    accountId,
    checkedAt: NOW.toISOString(),
    clean,
    severity: clean ? null : 'high',
    counts: { critical: 0, high: clean ? 0 : 1, low: 0 },
    resources: [],
    unverified: [],
  }) as unknown as DriftReport;

/** An operation that finished `finishedAgo` ms ago with `n` bulky resource events, a warning and a summary. */
async function finishedOperation(
  stores: Stores,
  id: string,
  accountId: string,
  kind: OperationKind,
  finishedAgo: number,
  n = 120,
) {
  await stores.operations.insertOperation({
    id,
    accountId,
    kind,
    spec,
    specVersion: 1,
    options: {},
    retryOf: null,
    createdAt: ago(finishedAgo + 1000),
  });
  const bulky = {
    metadata: { op: 'same', urn: `urn:pulumi:x::y::aws:s3/bucket:Bucket::${'b'.repeat(300)}` },
  };
  await stores.operations.appendOperationEvents([
    ...Array.from({ length: n }, (_, i) => ({
      operationId: id,
      createdAt: NOW.toISOString(),
      event: { sequence: i, resourcePreEvent: bulky },
    })),
    {
      operationId: id,
      createdAt: NOW.toISOString(),
      event: { diagnosticEvent: { message: 'deprecated', severity: 'warning' } },
    },
    {
      operationId: id,
      createdAt: NOW.toISOString(),
      event: { summaryEvent: { maybeCorrupt: false, durationSeconds: 2, resourceChanges: { same: n } } },
    },
  ]);
  await stores.operations.updateOperation(id, { state: 'succeeded', finishedAt: ago(finishedAgo) });
}

const storedBytes = async (stores: Stores, id: string) =>
  (await stores.operations.listOperationEvents(id, 0)).reduce(
    (n, e) => n + JSON.stringify(e.event).length,
    0,
  );

for (const url of databases) {
  const db = url.split(':')[0];

  t.test(`${db}: a sweep compacts clean drift checks and applies the retention`, async (t) => {
    const stores = await freshStore(url);
    t.teardown(() => stores.close());
    const account = '111111111111';
    await stores.accounts.saveSpec(account, spec, { now: ago(200 * DAY) });
    // A clean drift check, a drifted one, and a preview: only the clean check is compacted.
    await finishedOperation(stores, 'clean-check', account, 'refresh-preview', 5 * 60_000);
    await stores.drift.insertDriftReport({
      id: 'r-clean',
      accountId: account,
      operationId: 'clean-check',
      checkedAt: ago(5 * 60_000),
      report: report(account, true),
    });
    await finishedOperation(stores, 'drifted-check', account, 'refresh-preview', 5 * 60_000);
    await stores.drift.insertDriftReport({
      id: 'r-drifted',
      accountId: account,
      operationId: 'drifted-check',
      checkedAt: ago(4 * 60_000),
      report: report(account, false),
    });
    await finishedOperation(stores, 'preview', account, 'preview', 5 * 60_000, 10);
    // Past retention: an old apply's events; old reports of another account (its latest stays).
    await finishedOperation(stores, 'old-apply', account, 'apply', 120 * DAY, 10);
    const other = '222222222222';
    for (const [id, age] of [
      ['r-old-1', 150 * DAY],
      ['r-old-2', 100 * DAY],
    ] as const) {
      await stores.drift.insertDriftReport({
        id,
        accountId: other,
        operationId: null,
        checkedAt: ago(age),
        report: report(other, true),
      });
    }
    const before = await storedBytes(stores, 'clean-check');
    t.ok(before > COMPACT_BUDGET_BYTES, `a clean check stores ${before} bytes of events before`);

    const sweeper = new RetentionSweeper({
      store: stores.retention,
      retentionDays: 90,
      intervalMs: 3_600_000,
      log: silent,
      now: () => NOW,
    });
    const result = await sweeper.sweep();
    t.match(result, { compactedChecks: 1, expiredReports: 1 });
    t.ok(result.expiredEvents >= 12, 'the old apply lost its events');

    const kept = await stores.operations.listOperationEvents('clean-check', 0);
    t.ok((await storedBytes(stores, 'clean-check')) <= COMPACT_BUDGET_BYTES, 'a clean check keeps ≤ 20 KB');
    t.same(
      kept.map((e) => Object.keys(e.event as object).find((k) => k.endsWith('Event'))),
      ['diagnosticEvent', 'summaryEvent'],
      'its summary and its warning, with their numbers',
    );
    t.same(
      kept.map((e) => e.seq),
      [121, 122],
    );
    t.equal(
      (await stores.operations.listOperationEvents('drifted-check', 0)).length,
      122,
      'drift kept whole',
    );
    t.equal((await stores.operations.listOperationEvents('preview', 0)).length, 12, 'a preview kept whole');
    t.same(await stores.operations.listOperationEvents('old-apply', 0), [], 'past retention');
    t.ok(await stores.operations.getOperation('old-apply'), 'the operation itself stays');
    t.same(
      (await stores.drift.listDriftReports(other, { limit: 10 })).map((r) => r.id),
      ['r-old-2'],
      "an account's latest report stays, however old",
    );
    t.same(await sweeper.sweep(), {
      compactedChecks: 0,
      compactedEvents: 0,
      expiredEvents: 0,
      expiredReports: 0,
    });
  });
}

t.test('sqlite: a statement is prepared once and reused', async (t) => {
  const db = new SqliteDatabase(':memory:');
  t.teardown(() => db.close());
  await db.all('SELECT 1 AS ok');
  const after = db.preparedStatements;
  for (let i = 0; i < 50; i++) await db.all('SELECT ? AS ok', [i]);
  t.equal(db.preparedStatements, after + 1, 'fifty runs, one statement');
});
