// Every stored version of an account's trail request, with who stored it and when: the account page
// shows them and diffs two of them. Kept in its own table next to the accounts; the accounts row keeps
// only the current spec.
import { type SqlDatabase, whereClause } from '../store/sql.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';

export interface SpecVersion {
  accountId: string;
  version: number;
  spec: ResolvedTrailRequest;
  createdAt: string;
  /** Principal id; null when unknown (stored before versions were kept, or by the service). */
  createdBy: string | null;
  createdByName: string | null;
}

export interface SpecVersionStore {
  /** Records a version once (a repeated call for the same version changes nothing). */
  record(v: SpecVersion): Promise<void>;
  /** Newest first; beforeVersion for keyset pagination. */
  list(accountId: string, q: { limit: number; beforeVersion?: number }): Promise<SpecVersion[]>;
}

export class SqlSpecVersionStore implements SpecVersionStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Records a version once (a repeated call for the same version changes nothing). */
  async record(v: SpecVersion): Promise<void> {
    await this.#db.run(
      `INSERT INTO spec_versions (account_id, version, spec, created_at, created_by, created_by_name)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, version) DO NOTHING`,
      [v.accountId, v.version, JSON.stringify(v.spec), v.createdAt, v.createdBy, v.createdByName],
    );
  }

  /** Newest first; beforeVersion for keyset pagination. */
  async list(accountId: string, q: { limit: number; beforeVersion?: number }): Promise<SpecVersion[]> {
    const where = whereClause([
      ['account_id = ?', accountId],
      ['version < ?', q.beforeVersion],
    ]);
    const rows = await this.#db.all(`SELECT * FROM spec_versions${where.sql} ORDER BY version DESC LIMIT ?`, [
      ...where.params,
      q.limit,
    ]);
    return rows.map((r) => ({
      accountId: String(r['account_id']),
      version: Number(r['version']),
      spec: JSON.parse(String(r['spec'])) as ResolvedTrailRequest,
      createdAt: String(r['created_at']),
      createdBy: r['created_by'] === null ? null : String(r['created_by']),
      createdByName: r['created_by_name'] === null ? null : String(r['created_by_name']),
    }));
  }
}
