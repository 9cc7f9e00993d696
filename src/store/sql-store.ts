// Store over SQL shared by SQLite and PostgreSQL (see sql.ts, migrations.ts).
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import { migrate } from './migrations.ts';
import { PostgresDatabase } from './postgres.ts';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.ts';
import { SqliteDatabase } from './sqlite.ts';
import type {
  AccountListQuery,
  AccountPatch,
  AccountRecord,
  DriftReportRecord,
  ExternalTrail,
  Lease,
  NewOperation,
  OperationEventRecord,
  OperationPatch,
  OperationRecord,
  OperationState,
  ReconciliationPatch,
  ReconciliationRecord,
  ReconciliationState,
  SaveSpecOutcome,
  Store,
} from './types.ts';

type Row = Record<string, unknown>;

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function accountFromRow(r: Row): AccountRecord {
  return {
    accountId: String(r['account_id']),
    spec: parse<ResolvedTrailRequest>(r['spec'])!,
    specVersion: Number(r['spec_version']),
    status: String(r['status']) as AccountRecord['status'],
    appliedVersion: num(r['applied_version']),
    outputs: parse(r['outputs']),
    lastOperationId: str(r['last_operation_id']),
    driftSeverity: String(r['drift_severity']) as AccountRecord['driftSeverity'],
    driftCheckedAt: str(r['drift_checked_at']),
    remediationPolicy: (str(r['remediation_policy']) ?? 'report') as AccountRecord['remediationPolicy'],
    createdAt: String(r['created_at']),
    updatedAt: String(r['updated_at']),
  };
}

function operationFromRow(r: Row): OperationRecord {
  const errorCode = str(r['error_code']);
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    accountId: String(r['account_id']),
    kind: String(r['kind']) as OperationRecord['kind'],
    state: String(r['state']) as OperationState,
    spec: parse<ResolvedTrailRequest>(r['spec'])!,
    specVersion: Number(r['spec_version']),
    options: parse(r['options']) ?? {},
    retryOf: str(r['retry_of']),
    createdAt: String(r['created_at']),
    startedAt: str(r['started_at']),
    finishedAt: str(r['finished_at']),
    changeSummary: parse(r['change_summary']),
    outputs: parse(r['outputs']),
    error: errorCode
      ? {
          code: errorCode,
          message: str(r['error_message']) ?? '',
          ...(r['error_engine_message'] ? { engineMessage: String(r['error_engine_message']) } : {}),
        }
      : null,
    cancelRequested: Number(r['cancel_requested']) === 1,
    requestedBy: str(r['requested_by']),
    requestedByOwner: str(r['requested_by_owner']),
    approvedBy: str(r['approved_by']),
  };
}

function driftReportFromRow(r: Row): DriftReportRecord {
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    accountId: String(r['account_id']),
    operationId: str(r['operation_id']),
    checkedAt: String(r['checked_at']),
    report: parse<DriftReportRecord['report']>(r['report'])!,
  };
}

function reconciliationFromRow(r: Row): ReconciliationRecord {
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    trigger: String(r['trigger_kind']) as ReconciliationRecord['trigger'],
    state: String(r['state']) as ReconciliationState,
    holder: String(r['holder']),
    startedAt: String(r['started_at']),
    finishedAt: str(r['finished_at']),
    totals: parse<ReconciliationRecord['totals']>(r['totals'])!,
    accounts: parse<ReconciliationRecord['accounts']>(r['accounts']) ?? [],
    notifications: parse<ReconciliationRecord['notifications']>(r['notifications']) ?? [],
    error: parse<ReconciliationRecord['error']>(r['error']),
  };
}

/** Column assignments for a patch: [sql fragment, params]. */
function accountAssignments(patch: AccountPatch, now: string): [string, SqlValue[]] {
  const cols: string[] = [];
  const params: SqlValue[] = [];
  const set = (col: string, v: SqlValue) => {
    cols.push(`${col} = ?`);
    params.push(v);
  };
  if (patch.status !== undefined) set('status', patch.status);
  if (patch.appliedVersion !== undefined) set('applied_version', patch.appliedVersion);
  if (patch.outputs !== undefined) set('outputs', json(patch.outputs));
  if (patch.lastOperationId !== undefined) set('last_operation_id', patch.lastOperationId);
  if (patch.driftSeverity !== undefined) set('drift_severity', patch.driftSeverity);
  if (patch.driftCheckedAt !== undefined) set('drift_checked_at', patch.driftCheckedAt);
  if (patch.remediationPolicy !== undefined) set('remediation_policy', patch.remediationPolicy);
  set('updated_at', now);
  return [cols.join(', '), params];
}

function operationAssignments(patch: OperationPatch): [string, SqlValue[]] {
  const cols: string[] = [];
  const params: SqlValue[] = [];
  const set = (col: string, v: SqlValue) => {
    cols.push(`${col} = ?`);
    params.push(v);
  };
  if (patch.state !== undefined) set('state', patch.state);
  if (patch.startedAt !== undefined) set('started_at', patch.startedAt);
  if (patch.finishedAt !== undefined) set('finished_at', patch.finishedAt);
  if (patch.changeSummary !== undefined) set('change_summary', json(patch.changeSummary));
  if (patch.outputs !== undefined) set('outputs', json(patch.outputs));
  if (patch.error !== undefined) {
    set('error_code', patch.error?.code ?? null);
    set('error_message', patch.error?.message ?? null);
    set('error_engine_message', patch.error?.engineMessage ?? null);
  }
  if (patch.cancelRequested !== undefined) set('cancel_requested', patch.cancelRequested ? 1 : 0);
  if (patch.approvedBy !== undefined) set('approved_by', patch.approvedBy);
  if (patch.options !== undefined) set('options', json(patch.options));
  return [cols.join(', '), params];
}

async function updateAccountIn(tx: SqlExecutor, accountId: string, patch: AccountPatch, now: string) {
  const [sets, params] = accountAssignments(patch, now);
  await tx.run(`UPDATE accounts SET ${sets} WHERE account_id = ?`, [...params, accountId]);
}

/** Opens (without migrating) the database a URL names: `sqlite:<file>`, `sqlite::memory:`, `postgres://…`. */
export function openSqlDatabase(databaseUrl: string): SqlDatabase {
  if (/^postgres(ql)?:/.test(databaseUrl)) return new PostgresDatabase(databaseUrl);
  return new SqliteDatabase(databaseUrl.replace(/^(sqlite|file):/, '') || ':memory:');
}

export class SqlStore implements Store {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Opens the database named by the URL (`sqlite:<file>`, `sqlite::memory:`, `postgres://…`) and migrates it. */
  static async open(databaseUrl: string): Promise<SqlStore> {
    const db = openSqlDatabase(databaseUrl);
    await migrate(db);
    return new SqlStore(db);
  }

  /**
   * The connection, for other features that keep tables in the same database (audit, tokens).
   * With SQLite it is one connection: share it rather than opening a second one.
   */
  get database(): SqlDatabase {
    return this.#db;
  }

  async ping(): Promise<void> {
    await this.#db.all('SELECT 1 AS ok');
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    const rows = await this.#db.all('SELECT * FROM accounts WHERE account_id = ?', [accountId]);
    return rows[0] ? accountFromRow(rows[0]) : undefined;
  }

  saveSpec(
    accountId: string,
    spec: ResolvedTrailRequest,
    opts: { ifVersion?: number | undefined; now: string },
  ): Promise<{ outcome: SaveSpecOutcome; account: AccountRecord | undefined }> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all('SELECT * FROM accounts WHERE account_id = ?', [accountId]);
      const current = rows[0] ? accountFromRow(rows[0]) : undefined;
      // ifVersion 0: only if there is none yet (a create must not overwrite a racing create).
      if (opts.ifVersion !== undefined && (current?.specVersion ?? 0) !== opts.ifVersion) {
        return { outcome: 'stale' as const, account: current };
      }
      const specText = JSON.stringify(spec);
      if (!current) {
        await tx.run(
          `INSERT INTO accounts (account_id, spec, spec_version, status, drift_severity, created_at, updated_at)
           VALUES (?, ?, 1, 'pending', 'unknown', ?, ?)`,
          [accountId, specText, opts.now, opts.now],
        );
      } else if (JSON.stringify(current.spec) === specText && current.status !== 'decommissioned') {
        return { outcome: 'unchanged' as const, account: current };
      } else {
        // A changed spec is not applied yet; a decommissioned account becomes managed again.
        const status =
          current.status === 'applying' || current.status === 'decommissioning' ? current.status : 'pending';
        await tx.run(
          `UPDATE accounts SET spec = ?, spec_version = spec_version + 1, status = ?, updated_at = ?
           WHERE account_id = ?`,
          [specText, status, opts.now, accountId],
        );
      }
      const after = await tx.all('SELECT * FROM accounts WHERE account_id = ?', [accountId]);
      return {
        outcome: current ? ('updated' as const) : ('created' as const),
        account: accountFromRow(after[0]!),
      };
    });
  }

  async listAccounts(q: AccountListQuery): Promise<AccountRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.afterAccountId !== undefined) {
      where.push('account_id > ?');
      params.push(q.afterAccountId);
    }
    if (q.status !== undefined) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.driftSeverity !== undefined) {
      where.push('drift_severity = ?');
      params.push(q.driftSeverity);
    }
    if (q.accountIdPrefix) {
      // Account ids are digits only (validated), so LIKE needs no escaping.
      where.push('account_id LIKE ?');
      params.push(`${q.accountIdPrefix}%`);
    }
    const sql = `SELECT * FROM accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY account_id LIMIT ?`;
    const rows = await this.#db.all(sql, [...params, q.limit]);
    return rows.map(accountFromRow);
  }

  async updateAccount(accountId: string, patch: AccountPatch, now: string): Promise<void> {
    await updateAccountIn(this.#db, accountId, patch, now);
  }

  async getExternalTrails(accountId: string): Promise<ExternalTrail[]> {
    const rows = await this.#db.all(
      'SELECT name, regions FROM external_trails WHERE account_id = ? ORDER BY name',
      [accountId],
    );
    return rows.map((r) => ({
      name: String(r['name']),
      regions: parse<ExternalTrail['regions']>(r['regions'])!,
    }));
  }

  replaceExternalTrails(accountId: string, trails: ExternalTrail[]): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await tx.run('DELETE FROM external_trails WHERE account_id = ?', [accountId]);
      for (const t of trails) {
        await tx.run('INSERT INTO external_trails (account_id, name, regions) VALUES (?, ?, ?)', [
          accountId,
          t.name,
          JSON.stringify(t.regions),
        ]);
      }
    });
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
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM operations), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          op.id,
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
      await updateAccountIn(tx, op.accountId, { lastOperationId: op.id }, op.createdAt);
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

  claimRunnable(limit: number, now: string): Promise<OperationRecord[]> {
    if (limit <= 0) return Promise.resolve([]);
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
         LIMIT ?`,
        [limit],
      );
      const claimed: OperationRecord[] = [];
      for (const row of candidates) {
        const op = operationFromRow(row);
        const { changes } = await tx.run(
          `UPDATE operations SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'`,
          [now, op.id],
        );
        if (changes === 1) claimed.push({ ...op, state: 'running', startedAt: now });
      }
      return claimed;
    });
  }

  updateOperation(
    id: string,
    patch: OperationPatch,
    opts: {
      ifState?: OperationState;
      account?: { accountId: string; patch: AccountPatch; now: string };
    } = {},
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
        await updateAccountIn(tx, opts.account.accountId, opts.account.patch, opts.account.now);
      }
      return changes === 1;
    });
  }

  async appendOperationEvents(events: OperationEventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const e of events) {
        await tx.run(
          'INSERT INTO operation_events (operation_id, seq, created_at, event) VALUES (?, ?, ?, ?)',
          [e.operationId, e.seq, e.createdAt, JSON.stringify(e.event)],
        );
      }
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
      event: parse(r['event']),
    }));
  }

  insertDriftReport(rec: Omit<DriftReportRecord, 'seq'>): Promise<DriftReportRecord> {
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO drift_reports (id, seq, account_id, operation_id, checked_at, clean, severity, report)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM drift_reports), ?, ?, ?, ?, ?, ?)`,
        [
          rec.id,
          rec.accountId,
          rec.operationId,
          rec.checkedAt,
          rec.report.clean ? 1 : 0,
          rec.report.severity,
          JSON.stringify(rec.report),
        ],
      );
      const rows = await tx.all('SELECT * FROM drift_reports WHERE id = ?', [rec.id]);
      return driftReportFromRow(rows[0]!);
    });
  }

  async getDriftReportByOperation(operationId: string): Promise<DriftReportRecord | undefined> {
    const rows = await this.#db.all(
      'SELECT * FROM drift_reports WHERE operation_id = ? ORDER BY seq DESC LIMIT 1',
      [operationId],
    );
    return rows[0] ? driftReportFromRow(rows[0]) : undefined;
  }

  async listDriftReports(
    accountId: string,
    q: { limit: number; beforeSeq?: number },
  ): Promise<DriftReportRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM drift_reports WHERE account_id = ?${q.beforeSeq !== undefined ? ' AND seq < ?' : ''}
       ORDER BY seq DESC LIMIT ?`,
      q.beforeSeq !== undefined ? [accountId, q.beforeSeq, q.limit] : [accountId, q.limit],
    );
    return rows.map(driftReportFromRow);
  }

  async latestDriftReports(): Promise<DriftReportRecord[]> {
    const rows = await this.#db.all(
      `SELECT d.* FROM drift_reports d
       WHERE d.seq = (SELECT MAX(x.seq) FROM drift_reports x WHERE x.account_id = d.account_id)
       ORDER BY d.account_id`,
    );
    return rows.map(driftReportFromRow);
  }

  insertReconciliation(rec: Omit<ReconciliationRecord, 'seq'>): Promise<ReconciliationRecord> {
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO reconciliations
           (id, seq, trigger_kind, state, holder, started_at, finished_at, totals, accounts, notifications, error)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM reconciliations), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          rec.id,
          rec.trigger,
          rec.state,
          rec.holder,
          rec.startedAt,
          rec.finishedAt,
          JSON.stringify(rec.totals),
          JSON.stringify(rec.accounts),
          JSON.stringify(rec.notifications),
          json(rec.error),
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
    const cols: string[] = [];
    const params: SqlValue[] = [];
    const set = (col: string, v: SqlValue) => {
      cols.push(`${col} = ?`);
      params.push(v);
    };
    if (patch.state !== undefined) set('state', patch.state);
    if (patch.finishedAt !== undefined) set('finished_at', patch.finishedAt);
    if (patch.totals !== undefined) set('totals', JSON.stringify(patch.totals));
    if (patch.accounts !== undefined) set('accounts', JSON.stringify(patch.accounts));
    if (patch.notifications !== undefined) set('notifications', JSON.stringify(patch.notifications));
    if (patch.error !== undefined) set('error', json(patch.error));
    if (cols.length === 0) return true;
    const cond = opts.ifState !== undefined ? ' AND state = ?' : '';
    const { changes } = await this.#db.run(
      `UPDATE reconciliations SET ${cols.join(', ')} WHERE id = ?${cond}`,
      [...params, id, ...(opts.ifState !== undefined ? [opts.ifState] : [])],
    );
    return changes === 1;
  }

  async listReconciliations(q: {
    limit: number;
    beforeSeq?: number;
    state?: ReconciliationState;
  }): Promise<ReconciliationRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(q.beforeSeq);
    }
    if (q.state !== undefined) {
      where.push('state = ?');
      params.push(q.state);
    }
    const rows = await this.#db.all(
      `SELECT * FROM reconciliations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT ?`,
      [...params, q.limit],
    );
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
          runId: str(r['run_id']),
          expiresAt: String(r['expires_at']),
        }
      : undefined;
  }
}
