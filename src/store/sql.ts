// The few SQL primitives the feature stores need. Statements use `?` placeholders; the PostgreSQL driver
// rewrites them to $1, $2, … so one SQL text serves both databases.
export type SqlValue = string | number | null;

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * Runs fn in one transaction: commits when it resolves, rolls back when it throws. On a database
   * joined to a transaction (joinTransaction) fn runs in that transaction.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A SqlDatabase whose statements and transactions all run in the open transaction `tx`: stores built on
 * it share that transaction (a write that spans aggregates commits or rolls back as one).
 */
export function joinTransaction(tx: SqlExecutor, dialect: SqlDialect): SqlDatabase {
  return {
    dialect,
    all: (sql, params) => tx.all(sql, params),
    run: (sql, params) => tx.run(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => fn(tx),
    close: async () => undefined,
  };
}

/**
 * The one WHERE-clause builder: conditions whose value is undefined are left out; the rest are joined
 * with AND. Each condition is a SQL fragment with one `?` for its value.
 */
export function whereClause(conditions: ReadonlyArray<readonly [string, SqlValue | undefined]>): {
  sql: string;
  params: SqlValue[];
} {
  const used = conditions.filter((c): c is readonly [string, SqlValue] => c[1] !== undefined);
  return {
    sql: used.length ? ` WHERE ${used.map(([fragment]) => fragment).join(' AND ')}` : '',
    params: used.map(([, value]) => value),
  };
}

/** `SET a = ?, b = ?` from column → value, leaving out undefined values: [assignments, params]. */
export function assignments(columns: Record<string, SqlValue | undefined>): [string, SqlValue[]] {
  const used = Object.entries(columns).filter((e): e is [string, SqlValue] => e[1] !== undefined);
  return [used.map(([col]) => `${col} = ?`).join(', '), used.map(([, v]) => v)];
}

// Column codecs shared by the stores: JSON and booleans are TEXT and INTEGER in both databases.
export const toJson = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);
export const fromJson = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type Row = Record<string, unknown>;

/** The tables numbered by a database sequence (their `seq` column is the global insertion order). */
export type SequenceName = 'operations' | 'drift_reports' | 'reconciliations';

/**
 * The next number of a table's sequence, from the database, never MAX(seq)+1 (two PostgreSQL writers
 * would both read the same MAX). PostgreSQL: a SEQUENCE, so concurrent writers never wait for each
 * other (a rolled-back insert leaves a gap; the order is what matters). SQLite has no sequences: a
 * counter row, bumped in the caller's transaction (SQLite serializes writers anyway).
 */
export async function nextSeq(ex: SqlExecutor, dialect: SqlDialect, name: SequenceName): Promise<number> {
  const rows =
    dialect === 'postgres'
      ? await ex.all<{ v: number | string }>(`SELECT nextval('${name}_seq') AS v`)
      : await ex.all<{ v: number | string }>(
          'UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value AS v',
          [name],
        );
  if (!rows[0]) throw new Error(`sequence ${name} missing: the database is not migrated`);
  return Number(rows[0].v);
}
