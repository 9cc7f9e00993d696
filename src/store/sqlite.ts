// SQLite through node:sqlite (built into Node 24): no native module to build.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ensurePrivateDirectory } from '../config.ts';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.ts';

/**
 * The database holds the audit trail and token hashes: 0600, in a directory created 0700 when missing
 * (an existing one is left alone: it may be shared, e.g. DATABASE_URL=sqlite:/var/lib/x.db; DATA_DIR
 * itself is tightened by loadConfig). SQLite gives its -wal and -shm files the mode of the database file;
 * existing ones are tightened too.
 */
function createPrivately(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) ensurePrivateDirectory(dir);
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Prepared statements kept per connection (the stores use a few dozen distinct SQL texts). */
const STATEMENT_CACHE_SIZE = 500;

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  // One connection: statements outside a transaction wait for it, or they would join it.
  #tail: Promise<unknown> = Promise.resolve();
  readonly #direct: SqlExecutor;
  readonly #statements = new Map<string, StatementSync>();

  constructor(file: string) {
    if (file !== ':memory:') createPrivately(file);
    this.#db = new DatabaseSync(file);
    if (file !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec('PRAGMA foreign_keys = ON');
    const db = this.#db;
    // Statements are prepared once and reused (preparing costs more than running a small query): the
    // SQL texts are the stores' constants, so the cache stays small; bounded all the same.
    const cache = this.#statements;
    const prepared = (sql: string): StatementSync => {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    };
    this.#direct = {
      all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        prepared(sql).all(...params) as unknown as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) => ({
        changes: Number(prepared(sql).run(...params).changes),
      }),
      exec: async (sql: string) => {
        db.exec(sql);
      },
    };
  }

  /** How many statements are prepared and kept (tests). */
  get preparedStatements(): number {
    return this.#statements.size;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#exclusive(() => this.#direct.all<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#exclusive(() => this.#direct.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.#exclusive(() => this.#direct.exec(sql));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#direct);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.#tail;
    if (this.#db.isOpen) this.#db.close();
  }
}
