// The reconciliation aggregate: the runs (totals, per-account outcomes, webhook deliveries) and the
// named leases that keep one run at a time.
import type { OperationError } from '../operations/store.ts';
import {
  assignments,
  fromJson,
  nextSeq,
  type Row,
  type SqlDatabase,
  strOrNull,
  toJson,
  whereClause,
} from '../store/sql.ts';

export const RECONCILIATION_STATES = ['running', 'succeeded', 'interrupted'] as const;
export type ReconciliationState = (typeof RECONCILIATION_STATES)[number];

export const RECONCILIATION_OUTCOMES = [
  'pending',
  'clean',
  'drifted',
  'remediated',
  'failed',
  'skipped',
] as const;
export type ReconciliationOutcomeKind = (typeof RECONCILIATION_OUTCOMES)[number];

export interface ReconciliationAccountOutcome {
  accountId: string;
  outcome: ReconciliationOutcomeKind;
  /** Severity of the drift found (drifted, remediated, or failed after drift was found). */
  severity: 'low' | 'high' | 'critical' | null;
  /** Stable keys of the drift found ("<urn>#<path>"), to tell new drift from drift already reported. */
  findings: string[];
  driftReportId: string | null;
  operationIds: string[];
  error: OperationError | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * The stored spec is not the applied one (a change waiting for approval or for an apply): remediation
   * restored the applied version, not this one.
   */
  pendingSpec?: { specVersion: number; appliedVersion: number | null; waitingOperationIds: string[] };
}

export interface ReconciliationTotals {
  accounts: number;
  clean: number;
  drifted: number;
  remediated: number;
  failed: number;
  skipped: number;
}

export interface ReconciliationNotification {
  url: string;
  delivered: boolean;
  attempts: number;
  status: number | null;
  error?: string;
}

export interface ReconciliationRecord {
  id: string;
  seq: number;
  trigger: 'schedule' | 'api';
  state: ReconciliationState;
  /** Process that ran it (lease holder). */
  holder: string;
  startedAt: string;
  finishedAt: string | null;
  totals: ReconciliationTotals;
  accounts: ReconciliationAccountOutcome[];
  notifications: ReconciliationNotification[];
  error: OperationError | null;
}

export type ReconciliationPatch = Partial<
  Pick<ReconciliationRecord, 'state' | 'finishedAt' | 'totals' | 'accounts' | 'notifications' | 'error'>
>;

export interface Lease {
  name: string;
  holder: string;
  runId: string | null;
  expiresAt: string;
}

export interface ReconciliationStore {
  insertReconciliation(rec: Omit<ReconciliationRecord, 'seq'>): Promise<ReconciliationRecord>;
  getReconciliation(id: string): Promise<ReconciliationRecord | undefined>;
  updateReconciliation(
    id: string,
    patch: ReconciliationPatch,
    opts?: { ifState?: ReconciliationState },
  ): Promise<boolean>;
  /** Newest first; beforeSeq for keyset pagination; state filters. */
  listReconciliations(q: {
    limit: number;
    beforeSeq?: number;
    state?: ReconciliationState;
  }): Promise<ReconciliationRecord[]>;

  /**
   * Takes the named lease for holder until expiresAt when it is free or expired (or already held by
   * holder). Atomic against other processes; false when someone else holds it.
   */
  acquireLease(lease: Lease, now: string): Promise<boolean>;
  /** Extends the lease if holder still holds it; false when it was lost. */
  renewLease(name: string, holder: string, expiresAt: string): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
}

function reconciliationFromRow(r: Row): ReconciliationRecord {
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    trigger: String(r['trigger_kind']) as ReconciliationRecord['trigger'],
    state: String(r['state']) as ReconciliationState,
    holder: String(r['holder']),
    startedAt: String(r['started_at']),
    finishedAt: strOrNull(r['finished_at']),
    totals: fromJson<ReconciliationTotals>(r['totals'])!,
    accounts: fromJson<ReconciliationAccountOutcome[]>(r['accounts']) ?? [],
    notifications: fromJson<ReconciliationNotification[]>(r['notifications']) ?? [],
    error: fromJson<OperationError>(r['error']),
  };
}

export class SqlReconciliationStore implements ReconciliationStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  insertReconciliation(rec: Omit<ReconciliationRecord, 'seq'>): Promise<ReconciliationRecord> {
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO reconciliations
           (id, seq, trigger_kind, state, holder, started_at, finished_at, totals, accounts, notifications, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          rec.id,
          await nextSeq(tx, this.#db.dialect, 'reconciliations'),
          rec.trigger,
          rec.state,
          rec.holder,
          rec.startedAt,
          rec.finishedAt,
          JSON.stringify(rec.totals),
          JSON.stringify(rec.accounts),
          JSON.stringify(rec.notifications),
          toJson(rec.error),
        ],
      );
      const rows = await tx.all('SELECT * FROM reconciliations WHERE id = ?', [rec.id]);
      return reconciliationFromRow(rows[0]!);
    });
  }

  async getReconciliation(id: string): Promise<ReconciliationRecord | undefined> {
    const rows = await this.#db.all('SELECT * FROM reconciliations WHERE id = ?', [id]);
    return rows[0] ? reconciliationFromRow(rows[0]) : undefined;
  }

  async updateReconciliation(
    id: string,
    patch: ReconciliationPatch,
    opts: { ifState?: ReconciliationState } = {},
  ): Promise<boolean> {
    const [sets, params] = assignments({
      state: patch.state,
      finished_at: patch.finishedAt,
      totals: patch.totals === undefined ? undefined : JSON.stringify(patch.totals),
      accounts: patch.accounts === undefined ? undefined : JSON.stringify(patch.accounts),
      notifications: patch.notifications === undefined ? undefined : JSON.stringify(patch.notifications),
      error: patch.error === undefined ? undefined : toJson(patch.error),
    });
    if (!sets) return true;
    const where = whereClause([
      ['id = ?', id],
      ['state = ?', opts.ifState],
    ]);
    const { changes } = await this.#db.run(`UPDATE reconciliations SET ${sets}${where.sql}`, [
      ...params,
      ...where.params,
    ]);
    return changes === 1;
  }

  async listReconciliations(q: {
    limit: number;
    beforeSeq?: number;
    state?: ReconciliationState;
  }): Promise<ReconciliationRecord[]> {
    const where = whereClause([
      ['seq < ?', q.beforeSeq],
      ['state = ?', q.state],
    ]);
    const rows = await this.#db.all(`SELECT * FROM reconciliations${where.sql} ORDER BY seq DESC LIMIT ?`, [
      ...where.params,
      q.limit,
    ]);
    return rows.map(reconciliationFromRow);
  }

  async acquireLease(lease: Lease, now: string): Promise<boolean> {
    // One statement, so two processes racing for the lease cannot both win (SQLite and PostgreSQL
    // both evaluate the ON CONFLICT ... WHERE against the row as it is when the insert conflicts).
    const { changes } = await this.#db.run(
      `INSERT INTO leases (name, holder, run_id, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, run_id = excluded.run_id,
         expires_at = excluded.expires_at
       WHERE leases.expires_at < ? OR leases.holder = excluded.holder`,
      [lease.name, lease.holder, lease.runId, lease.expiresAt, now],
    );
    return changes === 1;
  }

  async renewLease(name: string, holder: string, expiresAt: string): Promise<boolean> {
    const { changes } = await this.#db.run('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?', [
      expiresAt,
      name,
      holder,
    ]);
    return changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const rows = await this.#db.all('SELECT * FROM leases WHERE name = ?', [name]);
    const r = rows[0];
    return r
      ? {
          name: String(r['name']),
          holder: String(r['holder']),
          runId: strOrNull(r['run_id']),
          expiresAt: String(r['expires_at']),
        }
      : undefined;
  }
}
