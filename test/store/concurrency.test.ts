// Several writers at once, as several replicas are: on PostgreSQL each writer is its own connection
// pool; on SQLite (one process) they share its one connection. Sequence numbers come from the database: no duplicate and no
// missing number, and the audit chain stays one verifying chain. Migrations run once when every
// writer starts together.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import type { DriftReport } from '../../src/drift/schemas.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { openSqlDatabase } from '../../src/store/open.ts';
import type { SqlDatabase } from '../../src/store/sql.ts';
import { createStores, type Stores } from '../../src/stores.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';

const WRITERS = 4;
const ROUNDS = 15;
const spec = resolveTrailRequest({ homeRegion: 'us-east-1' });
const now = '2026-01-01T00:00:00.000Z';
const cleanReport = (accountId: string) =>
  ({
    accountId,
    checkedAt: now,
    clean: true,
    severity: null,
    counts: { critical: 0, high: 0, low: 0 },
    resources: [],
    unverified: [],
  }) as unknown as DriftReport;

/** WRITERS connections to one empty database, and a cleanup. */
async function connections(
  t: Test,
  backend: 'sqlite' | 'postgres',
  url: string | undefined,
): Promise<SqlDatabase[]> {
  if (backend === 'sqlite') {
    // SQLite is the one-process store: one connection, its writers interleaved by the event loop (two
    // connections in one thread would block each other's busy wait). PostgreSQL is the multi-replica one.
    const dir = mkdtempSync(path.join(tmpdir(), 'trailwarden-concurrency-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = openSqlDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
    t.teardown(() => db.close());
    return Array.from({ length: WRITERS }, () => db);
  }
  // Its own schema: other test files may reset the public schema meanwhile.
  const schema = `tw_conc_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url!);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const dbs = Array.from({ length: WRITERS }, () => openSqlDatabase(scoped.toString()));
  t.teardown(async () => {
    await Promise.all(dbs.map((db) => db.close()));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  return dbs;
}

const backends: ['sqlite' | 'postgres', string | undefined][] = [['sqlite', undefined]];
const pgUrl = process.env['TEST_DATABASE_URL'];
if (pgUrl?.startsWith('postgres')) backends.push(['postgres', pgUrl]);

for (const [backend, url] of backends) {
  t.test(`${backend}: writers that start together migrate once`, async (t) => {
    const dbs = await connections(t, backend, url);
    await Promise.all(dbs.map((db) => migrate(db)));
    const rows = await dbs[0]!.all<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    t.same(
      rows.map((r) => Number(r.version)),
      MIGRATIONS.map((_, i) => i + 1),
      'every migration recorded exactly once',
    );
  });

  t.test(`${backend}: concurrent appends get every sequence number once`, async (t) => {
    const dbs = await connections(t, backend, url);
    await Promise.all(dbs.map((db) => migrate(db)));
    const writers: Stores[] = dbs.map((db) => createStores(db));
    const first = writers[0]!;
    await first.accounts.saveSpec('100000000000', spec, { now });
    const shared = await first.operations.insertOperation({
      id: 'shared',
      accountId: '100000000000',
      kind: 'apply',
      spec,
      specVersion: 1,
      options: {},
      retryOf: null,
      createdAt: now,
    });
    t.ok(shared);

    await Promise.all(
      writers.map(async (stores, w) => {
        const accountId = `2000000000${String(w).padStart(2, '0')}`;
        await stores.accounts.saveSpec(accountId, spec, { now });
        await Promise.all(
          Array.from({ length: ROUNDS }, async (_, i) => {
            await stores.operations.appendOperationEvents([
              { operationId: 'shared', createdAt: now, event: { w, i, part: 1 } },
              { operationId: 'shared', createdAt: now, event: { w, i, part: 2 } },
            ]);
            await stores.audit.append({ actor: `svc:${w}`, action: 'hammer', outcome: String(i) });
            await stores.operations.insertOperation({
              id: `op-${w}-${i}`,
              accountId,
              kind: 'preview',
              spec,
              specVersion: 1,
              options: {},
              retryOf: null,
              createdAt: now,
            });
            await stores.drift.insertDriftReport({
              id: `r-${w}-${i}`,
              accountId,
              operationId: null,
              checkedAt: now,
              report: cleanReport(accountId),
            });
          }),
        );
      }),
    );

    const total = WRITERS * ROUNDS;
    const events = await first.operations.listOperationEvents('shared', 0);
    t.same(
      events.map((e) => e.seq),
      Array.from({ length: 2 * total }, (_, i) => i + 1),
      'events of one operation: 1..n, no duplicate, none missing',
    );
    // A batch's events stay together and in order.
    const parts = events.map((e) => (e.event as { part: number }).part);
    t.same(
      parts,
      Array.from({ length: 2 * total }, (_, i) => (i % 2) + 1),
      'batches kept whole, in order',
    );
    const seqs = (await dbs[0]!.all<{ seq: number }>('SELECT seq FROM operations ORDER BY seq')).map((r) =>
      Number(r.seq),
    );
    t.equal(new Set(seqs).size, total + 1, 'operation seqs: no duplicate');
    t.same(
      seqs,
      Array.from({ length: total + 1 }, (_, i) => i + 1),
      'operation seqs: none missing',
    );
    const reportSeqs = (await dbs[0]!.all<{ seq: number }>('SELECT seq FROM drift_reports ORDER BY seq')).map(
      (r) => Number(r.seq),
    );
    t.same(
      reportSeqs,
      Array.from({ length: total }, (_, i) => i + 1),
      'drift report seqs',
    );
    t.match(await first.audit.verify({ batchSize: 7 }), { ok: true, entries: total, headSeq: total });
    const audited = (await first.audit.list({ limit: 1000 })).items.map((e) => e.seq).sort((a, b) => a - b);
    t.same(
      audited,
      Array.from({ length: total }, (_, i) => i + 1),
      'audit seqs',
    );
  });
}
