// Every stored version of an account's trail request, with who stored it and when: the account page
// shows them and diffs two of them. Kept in its own table (created here, idempotent, like the
// service-token store) next to the accounts; the accounts row keeps only the current spec.
import type { SqlDatabase } from '../store/sql.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spec_versions (
  account_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  spec TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  created_by_name TEXT,
  PRIMARY KEY (account_id, version)
)`;

export interface SpecVersion {
  accountId: string;
  version: number;
  spec: ResolvedTrailRequest;
  createdAt: string;
  /** Principal id; null when unknown (stored before versions were kept, or by the service). */
  createdBy: string | null;
  createdByName: string | null;
}

export class SpecVersionStore {
  readonly #db: SqlDatabase;
  #ready: Promise<void> | undefined;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  init(): Promise<void> {
    this.#ready ??= this.#db.exec(SCHEMA);
    return this.#ready;
  }

  /** Records a version once (a repeated call for the same version changes nothing). */
  async record(v: SpecVersion): Promise<void> {
    await this.init();
    await this.#db.run(
      `INSERT INTO spec_versions (account_id, version, spec, created_at, created_by, created_by_name)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, version) DO NOTHING`,
      [v.accountId, v.version, JSON.stringify(v.spec), v.createdAt, v.createdBy, v.createdByName],
    );
  }

  /** Newest first; beforeVersion for keyset pagination. */
  async list(accountId: string, q: { limit: number; beforeVersion?: number }): Promise<SpecVersion[]> {
    await this.init();
    const before = q.beforeVersion === undefined ? '' : ' AND version < ?';
    const rows = await this.#db.all(
      `SELECT * FROM spec_versions WHERE account_id = ?${before} ORDER BY version DESC LIMIT ?`,
      q.beforeVersion === undefined ? [accountId, q.limit] : [accountId, q.beforeVersion, q.limit],
    );
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
