// The hash chain: it verifies; altering, removing or inserting rows breaks it at that row.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { entryHash, GENESIS_HASH } from '../../src/audit/log.ts';
import { type AuditStore, SqlAuditStore } from '../../src/audit/store.ts';
import { main } from '../../src/audit/verify-cli.ts';
import { canonicalJson } from '../../src/canonical-json.ts';
import { auditOperationQueue } from '../../src/operations/audit-trail.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import { tempDir } from '../helpers/engine.ts';

async function fresh(t: { teardown: (fn: () => unknown) => void }, file = ':memory:') {
  const db = await openMigratedDatabase(`sqlite:${file}`);
  t.teardown(() => db.close());
  const audit = new SqlAuditStore(db);
  return { db, audit };
}

async function fill(audit: AuditStore, n: number) {
  for (let i = 1; i <= n; i++) {
    await audit.append({
      actor: `oidc:user${i % 3}`,
      action: 'PUT /v1/accounts/:accountId/trail',
      accountId: i % 2 ? '111111111111' : '222222222222',
      requestId: `req-${i}`,
      outcome: '200',
      details: { i, nested: { b: 2, a: [1, 'x'] } },
    });
  }
}

t.test('canonical JSON', async (t) => {
  t.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: null }], c: 'x' }, u: undefined }),
    '{"a":{"c":"x","d":[1,{"y":null,"z":1}]},"b":1}',
  );
  t.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  t.throws(() => canonicalJson({ n: Number.NaN }));
});

t.test('the chain verifies and links each entry to the previous', async (t) => {
  const { audit } = await fresh(t);
  t.same(await audit.verify(), { ok: true, entries: 0, headSeq: 0, headHash: GENESIS_HASH }, 'empty chain');
  await fill(audit, 25);
  const result = await audit.verify({ batchSize: 7 });
  t.match(result, { ok: true, entries: 25, headSeq: 25 });
  const page = await audit.list({ limit: 30 });
  t.equal(page.items.length, 25);
  const ascending = [...page.items].reverse();
  t.equal(ascending[0]!.prevHash, GENESIS_HASH);
  for (let i = 1; i < ascending.length; i++) t.equal(ascending[i]!.prevHash, ascending[i - 1]!.hash);
  t.equal(result.ok && result.headHash, ascending[24]!.hash, 'the head is the last hash');
  t.same(ascending[0]!.details, { i: 1, nested: { a: [1, 'x'], b: 2 } });
});

t.test('concurrent appends keep one tail', async (t) => {
  const { audit } = await fresh(t);
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => audit.append({ actor: 'system', action: 'x', outcome: String(i) })),
  );
  t.match(await audit.verify(), { ok: true, entries: 40 });
  const seqs = (await audit.list({ limit: 100 })).items.map((e) => e.seq).sort((a, b) => a - b);
  t.same(
    seqs,
    Array.from({ length: 40 }, (_, i) => i + 1),
    'contiguous sequence',
  );
});

t.test('altering one row makes verification fail at that row', async (t) => {
  for (const [column, value] of [
    ['outcome', "'201'"],
    ['actor', "'oidc:someone-else'"],
    ['account_id', "'999999999999'"],
    ['details', `'{"i":12}'`],
    ['at', "'2020-01-01T00:00:00.000Z'"],
  ] as const) {
    const { db, audit } = await fresh(t);
    await fill(audit, 20);
    const [target] = await db.all<{ id: string }>('SELECT id FROM audit_log WHERE seq = 12');
    await db.run(`UPDATE audit_log SET ${column} = ${value} WHERE seq = 12`);
    t.same(
      await audit.verify({ batchSize: 5 }),
      {
        ok: false,
        entries: 11,
        broken: { seq: 12, id: target!.id, reason: 'the entry does not match its hash' },
      },
      `${column} altered`,
    );
  }
});

t.test('a forger who rehashes the altered row breaks the next one', async (t) => {
  const { db, audit } = await fresh(t);
  await fill(audit, 10);
  const [row] = await db.all<Record<string, unknown>>('SELECT * FROM audit_log WHERE seq = 4');
  const forged = {
    seq: 4,
    id: String(row!['id']),
    at: String(row!['at']),
    actor: 'oidc:innocent',
    actorName: null,
    action: String(row!['action']),
    accountId: String(row!['account_id']),
    requestId: String(row!['request_id']),
    outcome: String(row!['outcome']),
    details: String(row!['details']),
    prevHash: String(row!['prev_hash']),
  };
  await db.run('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 4', [
    'oidc:innocent',
    entryHash(forged),
  ]);
  t.match(await audit.verify(), { ok: false, broken: { seq: 5, reason: /prev_hash/ } });
});

t.test('removing or inserting rows is detected', async (t) => {
  {
    const { db, audit } = await fresh(t);
    await fill(audit, 10);
    await db.run('DELETE FROM audit_log WHERE seq = 6');
    t.match(
      await audit.verify(),
      { ok: false, entries: 5, broken: { seq: 7, reason: /before seq 7 are missing/ } },
      'a middle row',
    );
  }
  {
    const { db, audit } = await fresh(t);
    await fill(audit, 10);
    await db.run('DELETE FROM audit_log WHERE seq >= 9');
    t.match(
      await audit.verify(),
      { ok: false, entries: 8, broken: { reason: /head records seq 10/ } },
      'the last rows',
    );
  }
  {
    const { db, audit } = await fresh(t);
    await fill(audit, 3);
    await db.run('DELETE FROM audit_log WHERE seq = 1');
    t.match(await audit.verify(), { ok: false, broken: { seq: 2 } }, 'the first row');
  }
  {
    const { db, audit } = await fresh(t);
    await fill(audit, 3);
    await db.run(
      "INSERT INTO audit_log (seq, id, at, actor, action, outcome, prev_hash, hash) VALUES (4, 'x', 'now', 'evil', 'x', '200', 'p', 'h')",
    );
    t.match(await audit.verify(), { ok: false, broken: { seq: 4, id: 'x' } }, 'an appended forged row');
  }
});

t.test('operation state changes from the queue', async (t) => {
  const { audit } = await fresh(t);
  const queue = new EventEmitter();
  const errors: unknown[] = [];
  const stop = auditOperationQueue(queue, audit, { error: (o) => errors.push(o) });
  const op = { id: 'op-1', accountId: '111111111111', kind: 'apply', state: 'queued', error: null };
  queue.emit('queued', op, { id: 'oidc:rita', name: 'rita' });
  queue.emit('pending-approval', op, { id: 'oidc:rita', name: 'rita' });
  queue.emit('approved', op, { id: 'oidc:alex', name: 'alex' });
  queue.emit('started', { ...op, state: 'queued' });
  queue.emit('settled', { ...op, state: 'failed', error: { code: 'engine_failed', message: 'x' } });
  stop();
  queue.emit('settled', { ...op, state: 'succeeded' });
  await audit.settled();
  const items = (await audit.list({ limit: 10 })).items.reverse();
  t.same(
    items.map((e) => [e.action, e.actor, e.outcome]),
    [
      ['operation.queued', 'oidc:rita', 'queued'],
      ['operation.pending-approval', 'oidc:rita', 'pending-approval'],
      ['operation.approved', 'oidc:alex', 'approved'],
      ['operation.running', 'system', 'running'],
      ['operation.failed', 'system', 'failed'],
    ],
  );
  t.same(items[4]!.details, { operationId: 'op-1', kind: 'apply', error: 'engine_failed' });
  t.equal(items[0]!.accountId, '111111111111');
  t.same(errors, []);
});

t.test('the verify CLI against a database file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'trailwarden.db');
  const { db, audit } = await fresh(t, file);
  await fill(audit, 5);
  const out: string[] = [];
  t.equal(await main([], { DATA_DIR: dir }, (l) => out.push(l)), 0, 'ok: exit 0 (DATA_DIR default file)');
  t.match(JSON.parse(out[0]!), { ok: true, entries: 5 });
  await db.run("UPDATE audit_log SET outcome = '500' WHERE seq = 3");
  t.equal(await main(['--database-url', `sqlite:${file}`], {}, (l) => out.push(l)), 1, 'broken: exit 1');
  t.match(JSON.parse(out[1]!), { ok: false, broken: { seq: 3 } });
  t.equal(
    await main([], { DATABASE_URL: `sqlite:${join(dir, 'missing.db')}` }, (l) => out.push(l)),
    2,
    'no database: exit 2',
  );
  t.match(JSON.parse(out[2]!), { ok: false, error: /no SQLite database/ });
});
