// The accounts aggregate: the desired spec (versioned), status, outputs, drift summary and remediation
// policy of each account, and the trails of the account that this service does not manage.
import {
  assignments,
  fromJson,
  numOrNull,
  type Row,
  type SqlDatabase,
  type SqlExecutor,
  strOrNull,
  toJson,
  whereClause,
} from '../../store/sql.ts';
import type { AwsRegion, ResolvedTrailRequest } from '../../trail-request/schema.ts';

export const ACCOUNT_STATUSES = [
  'pending',
  'applying',
  'applied',
  'failed',
  'decommissioning',
  'decommissioned',
] as const;
/** pending: desired spec not applied yet; the others follow the last apply/destroy operation. */
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const DRIFT_SEVERITIES = ['unknown', 'none', 'low', 'high', 'critical'] as const;
/**
 * From the account's latest drift report: none (clean), else the report's highest severity (low, high,
 * critical); unknown when never checked or when the check could not read every resource.
 */
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

export const REMEDIATION_POLICIES = ['report', 'remediate', 'remediate-critical'] as const;
/** What a reconciliation does when it finds drift: report only, apply the desired spec, or apply only for critical drift. */
export type RemediationPolicy = (typeof REMEDIATION_POLICIES)[number];

export interface AccountRecord {
  accountId: string;
  spec: ResolvedTrailRequest;
  /** Bumped on every change of the spec; the ETag is derived from it. */
  specVersion: number;
  status: AccountStatus;
  appliedVersion: number | null;
  outputs: Record<string, unknown> | null;
  lastOperationId: string | null;
  driftSeverity: DriftSeverity;
  driftCheckedAt: string | null;
  remediationPolicy: RemediationPolicy;
  createdAt: string;
  updatedAt: string;
}

/** A trail of the account that this service does not manage; counts toward the 5-per-region limit. */
export interface ExternalTrail {
  name: string;
  /** 'all' for a multi-region trail (counts in every region). */
  regions: 'all' | AwsRegion[];
}

export type SaveSpecOutcome = 'created' | 'updated' | 'unchanged' | 'stale';

export interface AccountListQuery {
  limit: number;
  /** Return accounts whose id sorts after this one (keyset pagination). */
  afterAccountId?: string;
  status?: AccountStatus;
  driftSeverity?: DriftSeverity;
  accountIdPrefix?: string;
}

export type AccountPatch = Partial<
  Pick<
    AccountRecord,
    | 'status'
    | 'appliedVersion'
    | 'outputs'
    | 'lastOperationId'
    | 'driftSeverity'
    | 'driftCheckedAt'
    | 'remediationPolicy'
  >
>;

export interface AccountStore {
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  /**
   * Stores the desired spec in one transaction: bumps the version only when the spec changed.
   * With ifVersion set, nothing is written unless the stored version equals it ('stale'); ifVersion 0
   * means the account must have no trail request yet.
   */
  saveSpec(
    accountId: string,
    spec: ResolvedTrailRequest,
    opts: { ifVersion?: number | undefined; now: string },
  ): Promise<{ outcome: SaveSpecOutcome; account: AccountRecord | undefined }>;
  listAccounts(query: AccountListQuery): Promise<AccountRecord[]>;
  updateAccount(accountId: string, patch: AccountPatch, now: string): Promise<void>;

  getExternalTrails(accountId: string): Promise<ExternalTrail[]>;
  replaceExternalTrails(accountId: string, trails: ExternalTrail[]): Promise<void>;
}

function accountFromRow(r: Row): AccountRecord {
  return {
    accountId: String(r['account_id']),
    spec: fromJson<ResolvedTrailRequest>(r['spec'])!,
    specVersion: Number(r['spec_version']),
    status: String(r['status']) as AccountStatus,
    appliedVersion: numOrNull(r['applied_version']),
    outputs: fromJson(r['outputs']),
    lastOperationId: strOrNull(r['last_operation_id']),
    driftSeverity: String(r['drift_severity']) as DriftSeverity,
    driftCheckedAt: strOrNull(r['drift_checked_at']),
    remediationPolicy: (strOrNull(r['remediation_policy']) ?? 'report') as RemediationPolicy,
    createdAt: String(r['created_at']),
    updatedAt: String(r['updated_at']),
  };
}

export class SqlAccountStore implements AccountStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    return this.#get(this.#db, accountId);
  }

  async #get(ex: SqlExecutor, accountId: string): Promise<AccountRecord | undefined> {
    const rows = await ex.all('SELECT * FROM accounts WHERE account_id = ?', [accountId]);
    return rows[0] ? accountFromRow(rows[0]) : undefined;
  }

  saveSpec(
    accountId: string,
    spec: ResolvedTrailRequest,
    opts: { ifVersion?: number | undefined; now: string },
  ): Promise<{ outcome: SaveSpecOutcome; account: AccountRecord | undefined }> {
    return this.#db.transaction(async (tx) => {
      const current = await this.#get(tx, accountId);
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
      return {
        outcome: current ? ('updated' as const) : ('created' as const),
        account: await this.#get(tx, accountId),
      };
    });
  }

  async listAccounts(q: AccountListQuery): Promise<AccountRecord[]> {
    const where = whereClause([
      ['account_id > ?', q.afterAccountId],
      ['status = ?', q.status],
      ['drift_severity = ?', q.driftSeverity],
      // Account ids are digits only (validated), so LIKE needs no escaping.
      ['account_id LIKE ?', q.accountIdPrefix ? `${q.accountIdPrefix}%` : undefined],
    ]);
    const rows = await this.#db.all(`SELECT * FROM accounts${where.sql} ORDER BY account_id LIMIT ?`, [
      ...where.params,
      q.limit,
    ]);
    return rows.map(accountFromRow);
  }

  async updateAccount(accountId: string, patch: AccountPatch, now: string): Promise<void> {
    const [sets, params] = assignments({
      status: patch.status,
      applied_version: patch.appliedVersion,
      outputs: patch.outputs === undefined ? undefined : toJson(patch.outputs),
      last_operation_id: patch.lastOperationId,
      drift_severity: patch.driftSeverity,
      drift_checked_at: patch.driftCheckedAt,
      remediation_policy: patch.remediationPolicy,
      updated_at: now,
    });
    await this.#db.run(`UPDATE accounts SET ${sets} WHERE account_id = ?`, [...params, accountId]);
  }

  async getExternalTrails(accountId: string): Promise<ExternalTrail[]> {
    const rows = await this.#db.all(
      'SELECT name, regions FROM external_trails WHERE account_id = ? ORDER BY name',
      [accountId],
    );
    return rows.map((r) => ({
      name: String(r['name']),
      regions: fromJson<ExternalTrail['regions']>(r['regions'])!,
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
}
