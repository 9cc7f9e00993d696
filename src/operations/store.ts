// The operations aggregate: queued/running/finished operations and the engine events each one emitted.
// Claiming (claimRunnable) is a store method so that a claim stays one atomic step in the database.
import { type AccountPatch, SqlAccountStore } from '../accounts/store/account-store.ts';
import type { ChangeSummary, OperationKind } from '../engine/types.ts';
import {
  assignments,
  fromJson,
  joinTransaction,
  nextSeq,
  type Row,
  type SqlDatabase,
  type SqlExecutor,
  type SqlValue,
  strOrNull,
  toJson,
} from '../store/sql.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';

export const OPERATION_STATES = [
  'pending-approval',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
export const FINAL_OPERATION_STATES: readonly OperationState[] = [
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

export interface OperationError {
  code: string;
  message: string;
  /** What the engine itself said (diagnostics or CLI stderr), when it differs from message. */
  engineMessage?: string;
}

export interface OperationOptions {
  /** destroy only: keep log bucket and key (default true). */
  retainData?: boolean;
  /** apply: the preview it was confirmed from (its plan is what the apply must do). */
  previewId?: string;
  /** apply: the recorded stack state its preview saw; the engine refuses to apply over another. */
  expectStateEtag?: string;
  /** preview: the recorded stack state it was computed against (set when it succeeds). */
  stateEtag?: string;
  /** preview: started from a drift report's "converge" (a preview of the last applied spec). */
  convergeOf?: string;
  /** apply: remediation by the reconciler (of the last applied spec). */
  remediation?: boolean;
  /** Display name of the requester at the time (the id is requestedBy). */
  requestedByName?: string;
  /** Display name of whoever approved or rejected it, and their reason. */
  decidedByName?: string;
  decisionReason?: string;
}

export interface OperationRecord {
  id: string;
  /** Global enqueue order; the queue starts operations in this order. */
  seq: number;
  accountId: string;
  kind: OperationKind;
  state: OperationState;
  spec: ResolvedTrailRequest;
  specVersion: number;
  options: OperationOptions;
  retryOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  changeSummary: ChangeSummary | null;
  outputs: Record<string, unknown> | null;
  error: OperationError | null;
  cancelRequested: boolean;
  /** Principal id of whoever asked for it; null for the service itself (reconciliations, older rows). */
  requestedBy: string | null;
  /** For a service token requester: the principal that created the token (four-eyes checks). */
  requestedByOwner: string | null;
  /** Principal id of whoever approved (or rejected) it, when it waited in pending-approval. */
  approvedBy: string | null;
}

export interface NewOperation {
  id: string;
  accountId: string;
  kind: OperationKind;
  spec: ResolvedTrailRequest;
  specVersion: number;
  options: OperationOptions;
  retryOf: string | null;
  createdAt: string;
  /** 'pending-approval': waits for POST /v1/operations/{id}/approve. Default 'queued'. */
  state?: 'queued' | 'pending-approval';
  requestedBy?: string | null;
  requestedByOwner?: string | null;
}

export interface OperationEventRecord {
  operationId: string;
  /** The event's number within its operation: 1, 2, … in the order appended (given by the database). */
  seq: number;
  createdAt: string;
  event: unknown;
}

/** An event to append: the database numbers it (a seq given by the caller is not used). */
export type NewOperationEvent = Omit<OperationEventRecord, 'seq'>;

export type OperationPatch = Partial<
  Pick<
    OperationRecord,
    | 'state'
    | 'startedAt'
    | 'finishedAt'
    | 'changeSummary'
    | 'outputs'
    | 'error'
    | 'cancelRequested'
    | 'approvedBy'
    | 'options'
  >
>;

/** What the lease keeper needs from the store (src/operations/leases.ts). */
export interface OperationLeaseStore {
  /** Extends the leases `holder` still has on these running operations; returns the ids it still holds. */
  renewOperationLeases(holder: string, ids: readonly string[], expiresAt: string): Promise<string[]>;
  /** Running operations whose lease expired before `now` (or that never had one), oldest first. */
  listExpiredOperations(now: string, limit: number): Promise<OperationRecord[]>;
  /** Takes the lease of a running operation if it expired before `now` (one replica wins). */
  takeOverOperation(id: string, holder: string, expiresAt: string, now: string): Promise<boolean>;
  /** Running operations this holder leases (a restarted replica's own, from before its restart). */
  listOperationsLeasedBy(holder: string): Promise<OperationRecord[]>;
  /** Ends the holder's leases now (shutdown), so another replica recovers what it still held at once. */
  expireOperationLeases(holder: string, now: string): Promise<number>;
}

/** An account change that commits with an operation change (or not at all). */
export interface AccountChange {
  accountId: string;
  patch: AccountPatch;
  now: string;
}

export interface OperationStore extends OperationLeaseStore {
  /**
   * Inserts a queued operation and records it as the account's last operation, in one transaction.
   * With requireIdle, inserts nothing and returns undefined when the account has a queued or running one.
   */
  insertOperation(op: NewOperation, opts?: { requireIdle?: boolean }): Promise<OperationRecord | undefined>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** Operations of the account in the given states, oldest first. */
  listAccountOperations(accountId: string, states: readonly OperationState[]): Promise<OperationRecord[]>;
  listOperationsInState(state: OperationState): Promise<OperationRecord[]>;
  /**
   * Marks up to `limit` queued operations as running and returns them: the oldest queued operation of
   * each account that has none running. The conditional update makes a claim safe against other claimers.
   */
  claimRunnable(
    limit: number,
    now: string,
    lease?: { holder: string; expiresAt: string },
  ): Promise<OperationRecord[]>;
  /** Updates the operation (and the account, in the same transaction) only if it is in `ifState`. */
  updateOperation(
    id: string,
    patch: OperationPatch,
    opts?: { ifState?: OperationState; account?: AccountChange },
  ): Promise<boolean>;

  /**
   * Appends events in order, numbered per operation by the database (one counter row per operation,
   * locked while the batch is written): concurrent writers get no duplicate and leave no gap.
   */
  appendOperationEvents(events: readonly NewOperationEvent[]): Promise<OperationEventRecord[]>;
  listOperationEvents(operationId: string, afterSeq: number): Promise<OperationEventRecord[]>;
}

function operationFromRow(r: Row): OperationRecord {
  const errorCode = strOrNull(r['error_code']);
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    accountId: String(r['account_id']),
    kind: String(r['kind']) as OperationKind,
    state: String(r['state']) as OperationState,
    spec: fromJson<ResolvedTrailRequest>(r['spec'])!,
    specVersion: Number(r['spec_version']),
    options: fromJson(r['options']) ?? {},
    retryOf: strOrNull(r['retry_of']),
    createdAt: String(r['created_at']),
    startedAt: strOrNull(r['started_at']),
    finishedAt: strOrNull(r['finished_at']),
    changeSummary: fromJson(r['change_summary']),
    outputs: fromJson(r['outputs']),
    error: errorCode
      ? {
          code: errorCode,
          message: strOrNull(r['error_message']) ?? '',
          ...(r['error_engine_message'] ? { engineMessage: String(r['error_engine_message']) } : {}),
        }
      : null,
    cancelRequested: Number(r['cancel_requested']) === 1,
    requestedBy: strOrNull(r['requested_by']),
    requestedByOwner: strOrNull(r['requested_by_owner']),
    approvedBy: strOrNull(r['approved_by']),
  };
}

function operationAssignments(patch: OperationPatch): [string, SqlValue[]] {
  const error = patch.error;
  return assignments({
    state: patch.state,
    started_at: patch.startedAt,
    finished_at: patch.finishedAt,
    change_summary: patch.changeSummary === undefined ? undefined : toJson(patch.changeSummary),
    outputs: patch.outputs === undefined ? undefined : toJson(patch.outputs),
    error_code: error === undefined ? undefined : (error?.code ?? null),
    error_message: error === undefined ? undefined : (error?.message ?? null),
    error_engine_message: error === undefined ? undefined : (error?.engineMessage ?? null),
    cancel_requested: patch.cancelRequested === undefined ? undefined : patch.cancelRequested ? 1 : 0,
    approved_by: patch.approvedBy,
    options: patch.options === undefined ? undefined : toJson(patch.options),
  });
}

export class SqlOperationStore implements OperationStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /**
   * The operation's writes that also change its account (last operation, status after a run) commit
   * together: the account is written through the accounts store joined to this transaction.
   */
  #accountsIn(tx: SqlExecutor): SqlAccountStore {
    return new SqlAccountStore(joinTransaction(tx, this.#db.dialect));
  }

  insertOperation(
    op: NewOperation,
    opts: { requireIdle?: boolean } = {},
  ): Promise<OperationRecord | undefined> {
    return this.#db.transaction(async (tx) => {
      if (opts.requireIdle) {
        const busy = await tx.all(
          `SELECT id FROM operations WHERE account_id = ? AND state IN ('queued', 'running')`,
          [op.accountId],
        );
        if (busy.length > 0) return undefined;
      }
      await tx.run(
        `INSERT INTO operations (id, seq, account_id, kind, state, spec, spec_version, options, retry_of, created_at,
           requested_by, requested_by_owner)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          op.id,
          await nextSeq(tx, this.#db.dialect, 'operations'),
          op.accountId,
          op.kind,
          op.state ?? 'queued',
          JSON.stringify(op.spec),
          op.specVersion,
          JSON.stringify(op.options),
          op.retryOf,
          op.createdAt,
          op.requestedBy ?? null,
          op.requestedByOwner ?? null,
        ],
      );
      await this.#accountsIn(tx).updateAccount(op.accountId, { lastOperationId: op.id }, op.createdAt);
      const rows = await tx.all('SELECT * FROM operations WHERE id = ?', [op.id]);
      return operationFromRow(rows[0]!);
    });
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const rows = await this.#db.all('SELECT * FROM operations WHERE id = ?', [id]);
    return rows[0] ? operationFromRow(rows[0]) : undefined;
  }

  async listAccountOperations(
    accountId: string,
    states: readonly OperationState[],
  ): Promise<OperationRecord[]> {
    if (states.length === 0) return [];
    const rows = await this.#db.all(
      `SELECT * FROM operations WHERE account_id = ? AND state IN (${states.map(() => '?').join(', ')})
       ORDER BY seq`,
      [accountId, ...states],
    );
    return rows.map(operationFromRow);
  }

  async listOperationsInState(state: OperationState): Promise<OperationRecord[]> {
    const rows = await this.#db.all('SELECT * FROM operations WHERE state = ? ORDER BY seq', [state]);
    return rows.map(operationFromRow);
  }

  claimRunnable(
    limit: number,
    now: string,
    lease?: { holder: string; expiresAt: string },
  ): Promise<OperationRecord[]> {
    if (limit <= 0) return Promise.resolve([]);
    // PostgreSQL, several replicas claiming at once: FOR UPDATE SKIP LOCKED locks the rows this claim
    // takes and lets a concurrent claim pass over them to other work instead of queueing behind the
    // lock (and then finding them gone); graphile-worker and pg-boss claim the same way. An account's
    // later operation is not a candidate while an earlier one is queued (locked or not) or running,
    // and the unique index on running operations per account (migration 5) refuses a second anyway.
    // SQLite has no row locks: its one writer at a time serializes claims.
    const skipLocked = this.#db.dialect === 'postgres' ? ' FOR UPDATE OF o SKIP LOCKED' : '';
    return this.#db.transaction(async (tx) => {
      // The oldest queued operation of each account with nothing running and nothing queued before it.
      const candidates = await tx.all(
        `SELECT o.* FROM operations o
         WHERE o.state = 'queued'
           AND NOT EXISTS (
             SELECT 1 FROM operations p
             WHERE p.account_id = o.account_id
               AND (p.state = 'running' OR (p.state = 'queued' AND p.seq < o.seq)))
         ORDER BY o.seq
         LIMIT ?${skipLocked}`,
        [limit],
      );
      const claimed: OperationRecord[] = [];
      for (const row of candidates) {
        const op = operationFromRow(row);
        const { changes } = await tx.run(
          `UPDATE operations SET state = 'running', started_at = ?, claimed_by = ?, lease_expires_at = ?
           WHERE id = ? AND state = 'queued'`,
          [now, lease?.holder ?? null, lease?.expiresAt ?? null, op.id],
        );
        if (changes === 1) claimed.push({ ...op, state: 'running', startedAt: now });
      }
      return claimed;
    });
  }

  async renewOperationLeases(holder: string, ids: readonly string[], expiresAt: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const marks = ids.map(() => '?').join(', ');
    await this.#db.run(
      `UPDATE operations SET lease_expires_at = ?
       WHERE claimed_by = ? AND state = 'running' AND id IN (${marks})`,
      [expiresAt, holder, ...ids],
    );
    const rows = await this.#db.all<{ id: string }>(
      `SELECT id FROM operations WHERE claimed_by = ? AND state = 'running' AND id IN (${marks})`,
      [holder, ...ids],
    );
    return rows.map((r) => String(r.id));
  }

  async listExpiredOperations(now: string, limit: number): Promise<OperationRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM operations
       WHERE state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?)
       ORDER BY seq LIMIT ?`,
      [now, limit],
    );
    return rows.map(operationFromRow);
  }

  async takeOverOperation(id: string, holder: string, expiresAt: string, now: string): Promise<boolean> {
    const { changes } = await this.#db.run(
      `UPDATE operations SET claimed_by = ?, lease_expires_at = ?
       WHERE id = ? AND state = 'running'
         AND (claimed_by = ? OR lease_expires_at IS NULL OR lease_expires_at < ?)`,
      [holder, expiresAt, id, holder, now],
    );
    return changes === 1;
  }

  async listOperationsLeasedBy(holder: string): Promise<OperationRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM operations WHERE state = 'running' AND claimed_by = ? ORDER BY seq`,
      [holder],
    );
    return rows.map(operationFromRow);
  }

  async expireOperationLeases(holder: string, now: string): Promise<number> {
    // Just before now: the next look of any replica finds them expired.
    const past = new Date(Date.parse(now) - 1).toISOString();
    const { changes } = await this.#db.run(
      `UPDATE operations SET lease_expires_at = ? WHERE state = 'running' AND claimed_by = ?`,
      [past, holder],
    );
    return changes;
  }

  updateOperation(
    id: string,
    patch: OperationPatch,
    opts: { ifState?: OperationState; account?: AccountChange } = {},
  ): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const [sets, params] = operationAssignments(patch);
      let changes = 1;
      if (sets) {
        const cond = opts.ifState !== undefined ? ' AND state = ?' : '';
        const condParams = opts.ifState !== undefined ? [opts.ifState] : [];
        ({ changes } = await tx.run(`UPDATE operations SET ${sets} WHERE id = ?${cond}`, [
          ...params,
          id,
          ...condParams,
        ]));
      }
      if (changes === 1 && opts.account) {
        await this.#accountsIn(tx).updateAccount(
          opts.account.accountId,
          opts.account.patch,
          opts.account.now,
        );
      }
      return changes === 1;
    });
  }

  async appendOperationEvents(events: readonly NewOperationEvent[]): Promise<OperationEventRecord[]> {
    if (events.length === 0) return [];
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.operationId, (counts.get(e.operationId) ?? 0) + 1);
    return this.#db.transaction(async (tx) => {
      // Reserve each operation's numbers first: the upsert locks its counter row until commit.
      const next = new Map<string, number>();
      for (const [operationId, n] of counts) {
        const [row] = await tx.all<{ last_seq: number | string }>(
          `INSERT INTO operation_event_counters (operation_id, last_seq) VALUES (?, ?)
           ON CONFLICT (operation_id) DO UPDATE
             SET last_seq = operation_event_counters.last_seq + excluded.last_seq
           RETURNING last_seq`,
          [operationId, n],
        );
        next.set(operationId, Number(row!.last_seq) - n + 1);
      }
      const stored: OperationEventRecord[] = [];
      for (const e of events) {
        const seq = next.get(e.operationId)!;
        next.set(e.operationId, seq + 1);
        await tx.run(
          'INSERT INTO operation_events (operation_id, seq, created_at, event) VALUES (?, ?, ?, ?)',
          [e.operationId, seq, e.createdAt, JSON.stringify(e.event)],
        );
        stored.push({ operationId: e.operationId, seq, createdAt: e.createdAt, event: e.event });
      }
      return stored;
    });
  }

  async listOperationEvents(operationId: string, afterSeq: number): Promise<OperationEventRecord[]> {
    const rows = await this.#db.all(
      'SELECT * FROM operation_events WHERE operation_id = ? AND seq > ? ORDER BY seq',
      [operationId, afterSeq],
    );
    return rows.map((r) => ({
      operationId: String(r['operation_id']),
      seq: Number(r['seq']),
      createdAt: String(r['created_at']),
      event: fromJson(r['event']),
    }));
  }
}
