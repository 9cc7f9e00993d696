// The audit chain and service tokens on PostgreSQL: TEST_DATABASE_URL=postgres://… runs these.
// Each run works in its own schema, so it never disturbs other tests using the same database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { SqlAuditStore } from '../../src/audit/store.ts';
import { SqlTokenStore } from '../../src/auth/token-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { PostgresDatabase } from '../../src/store/postgres.ts';

const url = process.env['TEST_DATABASE_URL'];

if (!url?.startsWith('postgres')) {
  t.pass('TEST_DATABASE_URL is not a PostgreSQL URL: skipped');
} else {
  const schema = `tw_audit_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  t.teardown(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = new PostgresDatabase(scoped.toString());
  t.teardown(() => db.close());

  t.test(
    'postgres: concurrent appends from two connections keep one chain; tampering is found',
    async (t) => {
      await migrate(db);
      await migrate(db); // idempotent
      const audit = new SqlAuditStore(db);
      // The pool has up to 10 connections: these transactions really run concurrently.
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          audit.append({
            actor: `svc:${i % 4}`,
            action: 'POST /v1/x',
            accountId: '111111111111',
            outcome: '201',
            details: { i },
          }),
        ),
      );
      t.match(await audit.verify({ batchSize: 16 }), { ok: true, entries: 50, headSeq: 50 });
      const page = await audit.list({ limit: 10, accountId: '111111111111', actor: 'svc:1' });
      t.ok(
        page.items.length > 0 && page.items.every((e) => e.actor === 'svc:1' && typeof e.seq === 'number'),
      );
      await db.run("UPDATE audit_log SET outcome = '500' WHERE seq = 33");
      t.match(await audit.verify(), { ok: false, entries: 32, broken: { seq: 33 } });
    },
  );

  t.test('postgres: service tokens', async (t) => {
    await migrate(db);
    const tokens = new SqlTokenStore(db);
    const { token, record } = await tokens.create({
      name: 'ci',
      roles: ['requester'],
      accounts: ['111111111111'],
      expiresInDays: 1,
      createdBy: 'test',
    });
    t.match(await tokens.authenticate(token), { id: `svc:${record.id}`, roles: ['requester'] });
    await tokens.revoke(record.id, 'test');
    t.equal(await tokens.authenticate(token), undefined);
    t.match(await tokens.list(), [{ id: record.id, revokedBy: 'test' }]);
  });
}
