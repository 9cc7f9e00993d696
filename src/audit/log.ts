// The tamper-evident audit trail: an append-only table where each entry carries the SHA-256 of a
// canonical JSON of its fields and the previous entry's hash. Changing, inserting or removing an entry
// breaks the chain at that entry; removing entries at the end is caught by the recorded head.
// The API never updates or deletes entries: this module has no code that does.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import type { SqlDatabase, SqlExecutor, SqlValue } from '../store/sql.ts';

export const GENESIS_HASH = '0'.repeat(64);

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_name TEXT,
  action TEXT NOT NULL,
  account_id TEXT,
  request_id TEXT,
  outcome TEXT NOT NULL,
  details TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_account_idx ON audit_log (account_id, seq);
CREATE INDEX IF NOT EXISTS audit_log_actor_idx ON audit_log (actor, seq);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
)`;

export interface AuditInput {
  /** Principal id (`oidc:<sub>`, `svc:<id>`), `system` for the service itself, `anonymous` before authentication. */
  actor: string;
  actorName?: string | null;
  /** What happened: `PUT /v1/accounts/:accountId/trail`, `operation.running`, … */
  action: string;
  accountId?: string | null;
  requestId?: string | null;
  /** The HTTP status code for calls, the state for operations. */
  outcome: string;
  /** Small JSON object with ids and names; never secrets. */
  details?: Record<string, unknown> | null;
  /** ISO 8601; defaults to now. */
  at?: string;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  accountId: string | null;
  requestId: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

interface StoredFields {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  accountId: string | null;
  requestId: string | null;
  outcome: string;
  /** The details column as stored: canonical JSON text or null. */
  details: string | null;
  prevHash: string;
}

/** SHA-256 over the canonical JSON of the stored fields and the previous hash. */
export function entryHash(f: StoredFields): string {
  return createHash('sha256')
    .update(canonicalJson({ v: 1, ...f }), 'utf8')
    .digest('hex');
}

type Row = Record<string, unknown>;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

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

export interface AuditQuery {
  limit: number;
  /** Entries with a seq below this one (keyset pagination, newest first). */
  beforeSeq?: number | undefined;
  accountId?: string | undefined;
  actor?: string | undefined;
}

export type VerifyResult =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; broken: { seq: number; id: string | null; reason: string } };

const COLUMNS =
  'seq, id, at, actor, actor_name, action, account_id, request_id, outcome, details, prev_hash, hash';

export class AuditLog {
  readonly #db: SqlDatabase;
  readonly #now: () => Date;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(db: SqlDatabase, opts: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Creates the tables and the head row if missing (idempotent; SQLite and PostgreSQL). */
  async init(): Promise<void> {
    await this.#db.exec(AUDIT_SCHEMA);
    await this.#db.run(
      `INSERT INTO audit_head (id, seq, hash) SELECT 1, 0, '${GENESIS_HASH}' ` +
        'WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)',
    );
  }

  /**
   * Appends one entry. Serialized: the transaction first takes the head row (a row lock on PostgreSQL;
   * SQLite's BEGIN IMMEDIATE already excludes other writers), reads the tail, inserts, moves the head.
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
    if (locked.changes !== 1) throw new Error('audit_head row missing: call AuditLog.init() first');
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
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(q.beforeSeq);
    }
    if (q.accountId !== undefined) {
      where.push('account_id = ?');
      params.push(q.accountId);
    }
    if (q.actor !== undefined) {
      where.push('actor = ?');
      params.push(q.actor);
    }
    const sql =
      `SELECT ${COLUMNS} FROM audit_log` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY seq DESC LIMIT ?';
    const rows = await this.#db.all<Row>(sql, [...params, q.limit + 1]);
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
