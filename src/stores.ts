// Wiring of the per-aggregate stores over one connection (src/store holds only the SQL dialects, the
// connection and the migrations; each feature owns its store: <feature>/store.ts).

import { type SpecVersionStore, SqlSpecVersionStore } from './accounts/spec-versions.ts';
import { type AccountStore, SqlAccountStore } from './accounts/store/account-store.ts';
import { type AuditStore, SqlAuditStore } from './audit/store.ts';
import { SqlRateLimitCounters } from './auth/rate-limit-store.ts';
import { SqlTokenStore, type TokenStore } from './auth/token-store.ts';
import { type DriftReportStore, SqlDriftReportStore } from './drift/store.ts';
import { type OperationStore, SqlOperationStore } from './operations/store.ts';
import { type ReconciliationStore, SqlReconciliationStore } from './reconciliation/store.ts';
import { type RetentionStore, SqlRetentionStore } from './retention/store.ts';
import { openMigratedDatabase } from './store/open.ts';
import { joinTransaction, type SqlDatabase } from './store/sql.ts';

export interface Stores {
  accounts: AccountStore;
  specVersions: SpecVersionStore;
  operations: OperationStore;
  drift: DriftReportStore;
  reconciliations: ReconciliationStore;
  tokens: TokenStore;
  audit: AuditStore;
  /** PostgreSQL only (several replicas): the rate-limit counters they share; SQLite counts in memory. */
  rateLimits?: SqlRateLimitCounters;
  /** Storage retention's deletes and compaction (retention/service.ts). */
  retention: RetentionStore;
  /**
   * Runs fn with stores that share one transaction: writes to several aggregates commit together or
   * not at all (nested transactions of a store join it).
   */
  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The clock of the token store and the audit trail (tests move it). */
  now?: () => Date;
}

/** The stores of every aggregate on one (migrated) connection. */
export function createStores(db: SqlDatabase, opts: StoreOptions = {}): Stores {
  const clock = opts.now ? { now: opts.now } : {};
  return {
    accounts: new SqlAccountStore(db),
    specVersions: new SqlSpecVersionStore(db),
    operations: new SqlOperationStore(db),
    drift: new SqlDriftReportStore(db),
    reconciliations: new SqlReconciliationStore(db),
    tokens: new SqlTokenStore(db, clock),
    audit: new SqlAuditStore(db, clock),
    ...(db.dialect === 'postgres' ? { rateLimits: new SqlRateLimitCounters(db) } : {}),
    retention: new SqlRetentionStore(db),
    transaction: (fn) => db.transaction((tx) => fn(createStores(joinTransaction(tx, db.dialect), opts))),
    ping: async () => {
      await db.all('SELECT 1 AS ok');
    },
    close: () => db.close(),
  };
}

/** Opens and migrates the database a URL names (`sqlite:<file>`, `sqlite::memory:`, `postgres://…`). */
export async function openStores(databaseUrl: string, opts: StoreOptions = {}): Promise<Stores> {
  return createStores(await openMigratedDatabase(databaseUrl), opts);
}
