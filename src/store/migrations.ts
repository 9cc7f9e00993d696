// Schema migrations, applied in order, each once; every table is created here. Plain SQL that SQLite and PostgreSQL both accept:
// TEXT timestamps (ISO 8601, UTC), JSON as TEXT, booleans as INTEGER 0/1, no autoincrement.
import type { SqlDatabase, SqlDialect } from './sql.ts';

/** A migration: one SQL text for both databases, or one per dialect where they differ. */
export type Migration = string | Readonly<Record<SqlDialect, string>>;

export const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    spec_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    applied_version INTEGER,
    outputs TEXT,
    last_operation_id TEXT,
    drift_severity TEXT NOT NULL DEFAULT 'unknown',
    drift_checked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX accounts_status_idx ON accounts (status);
  CREATE TABLE external_trails (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    regions TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
  );
  CREATE TABLE operations (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    spec_version INTEGER NOT NULL,
    options TEXT NOT NULL,
    retry_of TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    change_summary TEXT,
    outputs TEXT,
    error_code TEXT,
    error_message TEXT,
    error_engine_message TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX operations_state_idx ON operations (state, seq);
  CREATE INDEX operations_account_idx ON operations (account_id, seq);
  CREATE TABLE operation_events (
    operation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (operation_id, seq)
  );`,
  // Drift reports, remediation policy, reconciliation runs and the single-run lease.
  `UPDATE accounts SET drift_severity = 'unknown' WHERE drift_severity NOT IN ('unknown', 'none');
  ALTER TABLE accounts ADD COLUMN remediation_policy TEXT NOT NULL DEFAULT 'report';
  CREATE TABLE drift_reports (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    operation_id TEXT,
    checked_at TEXT NOT NULL,
    clean INTEGER NOT NULL,
    severity TEXT,
    report TEXT NOT NULL
  );
  CREATE INDEX drift_reports_account_idx ON drift_reports (account_id, seq);
  CREATE INDEX drift_reports_operation_idx ON drift_reports (operation_id);
  CREATE TABLE reconciliations (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    trigger_kind TEXT NOT NULL,
    state TEXT NOT NULL,
    holder TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    totals TEXT NOT NULL,
    accounts TEXT NOT NULL,
    notifications TEXT NOT NULL,
    error TEXT
  );
  CREATE INDEX reconciliations_state_idx ON reconciliations (state, seq);
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    run_id TEXT,
    expires_at TEXT NOT NULL
  );`,
  // Four-eyes approvals: who requested an operation (and, for a service token, who owns it), who approved it.
  `ALTER TABLE operations ADD COLUMN requested_by TEXT;
  ALTER TABLE operations ADD COLUMN requested_by_owner TEXT;
  ALTER TABLE operations ADD COLUMN approved_by TEXT;`,
  // The tables the audit trail, service tokens and spec versions used to create for themselves at start-up
  // (CREATE TABLE IF NOT EXISTS): IF NOT EXISTS here adopts them in databases that already have them.
  `CREATE TABLE IF NOT EXISTS audit_log (
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
  );
  INSERT INTO audit_head (id, seq, hash)
    SELECT 1, 0, '0000000000000000000000000000000000000000000000000000000000000000'
    WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1);
  CREATE TABLE IF NOT EXISTS service_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    accounts TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
  );
  CREATE TABLE IF NOT EXISTS spec_versions (
    account_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    created_by_name TEXT,
    PRIMARY KEY (account_id, version)
  );`,
  // Sequence numbers from the database (several replicas insert at once): a SEQUENCE per numbered table
  // on PostgreSQL, counter rows on SQLite (see store/sql.ts nextSeq), both starting after the rows there
  // are; and one counter row per operation for its events (operations/store.ts appendOperationEvents).
  {
    postgres: `CREATE SEQUENCE operations_seq;
    SELECT setval('operations_seq', COALESCE((SELECT MAX(seq) FROM operations), 0) + 1, false);
    CREATE SEQUENCE drift_reports_seq;
    SELECT setval('drift_reports_seq', COALESCE((SELECT MAX(seq) FROM drift_reports), 0) + 1, false);
    CREATE SEQUENCE reconciliations_seq;
    SELECT setval('reconciliations_seq', COALESCE((SELECT MAX(seq) FROM reconciliations), 0) + 1, false);
    CREATE TABLE operation_event_counters (operation_id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL);
    INSERT INTO operation_event_counters (operation_id, last_seq)
      SELECT operation_id, MAX(seq) FROM operation_events GROUP BY operation_id;`,
    sqlite: `CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO sequences (name, value) SELECT 'operations', COALESCE(MAX(seq), 0) FROM operations;
    INSERT INTO sequences (name, value) SELECT 'drift_reports', COALESCE(MAX(seq), 0) FROM drift_reports;
    INSERT INTO sequences (name, value) SELECT 'reconciliations', COALESCE(MAX(seq), 0) FROM reconciliations;
    CREATE TABLE operation_event_counters (operation_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    INSERT INTO operation_event_counters (operation_id, last_seq)
      SELECT operation_id, MAX(seq) FROM operation_events GROUP BY operation_id;`,
  },
  // Storage retention (retention/): which clean drift checks had their events compacted; reports by age.
  `ALTER TABLE operations ADD COLUMN events_compacted INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX operations_finished_idx ON operations (finished_at);
  CREATE INDEX drift_reports_checked_idx ON drift_reports (checked_at);`,
  // Several replicas (README "Running several replicas"): a running operation names the replica that
  // holds it and until when (its lease); one account never has two running operations, whichever
  // replicas claim them; the rate-limit counters the replicas share.
  `ALTER TABLE operations ADD COLUMN claimed_by TEXT;
  ALTER TABLE operations ADD COLUMN lease_expires_at TEXT;
  CREATE UNIQUE INDEX operations_one_running_per_account ON operations (account_id) WHERE state = 'running';
  CREATE INDEX operations_lease_idx ON operations (state, lease_expires_at);
  CREATE TABLE rate_limit_windows (
    limit_key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_ends BIGINT NOT NULL
  );`,
];

/** Any constant the service owns: the PostgreSQL advisory lock that lets one replica migrate at a time. */
export const MIGRATION_LOCK_KEY = 7_466_301_812;

/**
 * Applies the migrations the database lacks, all in one transaction. Replicas that start together
 * migrate one at a time: PostgreSQL takes a transaction-scoped advisory lock first (the others wait,
 * then find the versions applied); SQLite's BEGIN IMMEDIATE already excludes other writers.
 */
export async function migrate(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const [index, migration] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await tx.exec(typeof migration === 'string' ? migration : migration[db.dialect]);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
        version,
        new Date().toISOString(),
      ]);
    }
  });
}
