// Drift reports and the reconciliation lease on every configured backend (SQLite always,
// PostgreSQL when TEST_DATABASE_URL is set, as CI does): the lease must go to one holder only.
import t from 'tap';
import type { DriftReport } from '../../src/drift/schemas.ts';
import { databases, freshStore } from '../helpers/databases.ts';

const report = (accountId: string, severity: 'critical' | null): DriftReport =>
  ({
    accountId,
    checkedAt: '2026-01-01T00:00:00.000Z',
    clean: severity === null,
    severity,
    counts: { critical: severity === 'critical' ? 1 : 0, high: 0, low: 0 },
    resources: [],
    unverified: [],
  }) as unknown as DriftReport;

for (const url of databases) {
  const db = url.split(':')[0];

  t.test(`${db}: drift reports: history newest first, latest per account`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    for (const [id, account, severity] of [
      ['r1', '111111111111', 'critical'],
      ['r2', '222222222222', null],
      ['r3', '111111111111', null],
    ] as const) {
      await store.drift.insertDriftReport({
        id,
        accountId: account,
        operationId: null,
        checkedAt: '2026-01-01T00:00:00.000Z',
        report: report(account, severity),
      });
    }
    const history = await store.drift.listDriftReports('111111111111', { limit: 10 });
    t.same(
      history.map((r) => r.id),
      ['r3', 'r1'],
    );
    t.equal(history[1]?.report.severity, 'critical', 'the report document round-trips');
    const latest = await store.drift.latestDriftReports();
    t.same(latest.map((r) => r.id).sort(), ['r2', 'r3']);
  });

  t.test(`${db}: the reconciliation lease has one holder until it expires`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    const lease = (holder: string, expiresAt: string) => ({
      name: 'reconciliation',
      holder,
      runId: null,
      expiresAt,
    });
    const results = await Promise.all([
      store.reconciliations.acquireLease(lease('a', '2026-01-01T00:01:00.000Z'), '2026-01-01T00:00:00.000Z'),
      store.reconciliations.acquireLease(lease('b', '2026-01-01T00:01:00.000Z'), '2026-01-01T00:00:00.000Z'),
    ]);
    t.same(results.filter(Boolean).length, 1, 'exactly one of two racing holders wins');
    const winner = (await store.reconciliations.getLease('reconciliation'))!.holder;
    const loser = winner === 'a' ? 'b' : 'a';
    t.notOk(
      await store.reconciliations.renewLease('reconciliation', loser, '2026-01-01T00:02:00.000Z'),
      'the loser cannot renew',
    );
    t.ok(
      await store.reconciliations.renewLease('reconciliation', winner, '2026-01-01T00:02:00.000Z'),
      'the holder renews',
    );
    t.notOk(
      await store.reconciliations.acquireLease(
        lease(loser, '2026-01-01T00:03:00.000Z'),
        '2026-01-01T00:01:30.000Z',
      ),
      'not before it expires',
    );
    t.ok(
      await store.reconciliations.acquireLease(
        lease(loser, '2026-01-01T00:04:00.000Z'),
        '2026-01-01T00:02:30.000Z',
      ),
      'taken over once expired',
    );
    t.equal((await store.reconciliations.getLease('reconciliation'))?.holder, loser);
  });
}
