// The audit aggregate: the append-only audit_log table and its head row. The API never updates or
// deletes entries: this module has no code that does.
import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import {
  type Row,
  type SqlDatabase,
  type SqlExecutor,
  type SqlValue,
  strOrNull,
  whereClause,
} from '../store/sql.ts';
import {
  type AuditEntry,
  type AuditInput,
  type AuditQuery,
  entryHash,
  GENESIS_HASH,
  type StoredFields,
  type VerifyResult,
} from './log.ts';

function storedFromRow(r: Row): StoredFields & { hash: string } {
  return {
    seq: Number(r['seq']),
    id: String(r['id']),
    at: String(r['at']),
    actor: String(r['actor']),
    actorName: strOrNull(r['actor_name']),
    action: String(r['action']),
    accountId: strOrNull(r['account_id']),
    requestId: strOrNull(r['request_id']),
    outcome: String(r['outcome']),
    details: strOrNull(r['details']),
    prevHash: String(r['prev_hash']),
    hash: String(r['hash']),
  };
}

function entryFromRow(r: Row): AuditEntry {
  const s = storedFromRow(r);
  return { ...s, details: s.details === null ? null : (JSON.parse(s.details) as Record<string, unknown>) };
}

const COLUMNS =
  'seq, id, at, actor, actor_name, action, account_id, request_id, outcome, details, prev_hash, hash';

export interface AuditStore {
  /** Appends one entry at the end of the one chain (serialized against every other writer). */
  append(input: AuditInput): Promise<AuditEntry>;
  /** Resolves when every append started so far has finished (for shutdown and tests). */
  settled(): Promise<void>;
  /** Newest first. */
  list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: number | null }>;
  /** Walks the chain from the first entry; reports the first entry that does not verify. */
  verify(opts?: { batchSize?: number }): Promise<VerifyResult>;
}

export class SqlAuditStore implements AuditStore {
  readonly #db: SqlDatabase;
  readonly #now: () => Date;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(db: SqlDatabase, opts: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = opts.now ?? (() => new Date());
  }

  /**
   * Appends one entry. Serialized inside the database, so the chain stays one with several replicas
   * writing: the transaction first takes the head row (a row lock on PostgreSQL, held until commit; a
   * waiting writer then reads the committed tail, READ COMMITTED; SQLite's BEGIN IMMEDIATE already
   * excludes other writers), reads the tail, inserts, moves the head. test/store/concurrency.test.ts.
   */
  append(input: AuditInput): Promise<AuditEntry> {
    const p = this.#db.transaction((tx) => this.#appendIn(tx, input));
    this.#pending.add(p);
    const done = () => this.#pending.delete(p);
    p.then(done, done);
    return p;
  }

  /** Resolves when every append started so far has finished (for shutdown and tests). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #appendIn(tx: SqlExecutor, input: AuditInput): Promise<AuditEntry> {
    const locked = await tx.run('UPDATE audit_head SET seq = seq WHERE id = 1');
    if (locked.changes !== 1) throw new Error('audit_head row missing: the database is not migrated');
    const [tail] = await tx.all<Row>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    const fields: StoredFields = {
      seq: tail ? Number(tail['seq']) + 1 : 1,
      id: randomUUID(),
      at: input.at ?? this.#now().toISOString(),
      actor: input.actor,
      actorName: input.actorName ?? null,
      action: input.action,
      accountId: input.accountId ?? null,
      requestId: input.requestId ?? null,
      outcome: input.outcome,
      details: input.details ? canonicalJson(input.details) : null,
      prevHash: tail ? String(tail['hash']) : GENESIS_HASH,
    };
    const hash = entryHash(fields);
    const params: SqlValue[] = [
      fields.seq,
      fields.id,
      fields.at,
      fields.actor,
      fields.actorName,
      fields.action,
      fields.accountId,
      fields.requestId,
      fields.outcome,
      fields.details,
      fields.prevHash,
      hash,
    ];
    await tx.run(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, params);
    await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [fields.seq, hash]);
    return {
      ...fields,
      details: input.details ? (JSON.parse(fields.details!) as Record<string, unknown>) : null,
      hash,
    };
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: number | null }> {
    const where = whereClause([
      ['seq < ?', q.beforeSeq],
      ['account_id = ?', q.accountId],
      ['actor = ?', q.actor],
    ]);
    const sql = `SELECT ${COLUMNS} FROM audit_log${where.sql} ORDER BY seq DESC LIMIT ?`;
    const rows = await this.#db.all<Row>(sql, [...where.params, q.limit + 1]);
    const items = rows.slice(0, q.limit).map(entryFromRow);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.seq : null };
  }

  /** Walks the chain from the first entry; reports the first entry that does not verify. */
  async verify(opts: { batchSize?: number } = {}): Promise<VerifyResult> {
    const batch = opts.batchSize ?? 1000;
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let count = 0;
    for (;;) {
      const rows = await this.#db.all<Row>(
        `SELECT ${COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`,
        [expectedSeq, batch],
      );
      for (const row of rows) {
        const s = storedFromRow(row);
        const at = { seq: s.seq, id: s.id };
        if (s.seq !== expectedSeq) {
          return {
            ok: false,
            entries: count,
            broken: { ...at, reason: `entries before seq ${s.seq} are missing` },
          };
        }
        if (s.prevHash !== prevHash) {
          return {
            ok: false,
            entries: count,
            broken: { ...at, reason: 'prev_hash does not match the previous entry' },
          };
        }
        const { hash, ...fields } = s;
        if (entryHash(fields) !== hash) {
          return {
            ok: false,
            entries: count,
            broken: { ...at, reason: 'the entry does not match its hash' },
          };
        }
        prevHash = hash;
        expectedSeq++;
        count++;
      }
      if (rows.length < batch) break;
    }
    const [head] = await this.#db.all<Row>('SELECT seq, hash FROM audit_head WHERE id = 1');
    const headSeq = head ? Number(head['seq']) : 0;
    if (!head || headSeq !== count || String(head['hash']) !== prevHash) {
      return {
        ok: false,
        entries: count,
        broken: {
          seq: Math.max(headSeq, count),
          id: null,
          reason: `the head records seq ${headSeq} but the chain ends at seq ${count} (entries removed or head altered)`,
        },
      };
    }
    return { ok: true, entries: count, headSeq, headHash: prevHash };
  }
}
