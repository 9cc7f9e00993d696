// PostgreSQL through pg, for DATABASE_URL=postgres://…; same SQL as SQLite with `?` → `$n`.
import pg from 'pg';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.ts';

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await client.query(numbered(sql), [...params])).rows as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({
      changes: (await client.query(numbered(sql), [...params])).rowCount ?? 0,
    }),
    exec: async (sql: string) => {
      await client.query(sql);
    },
  };
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #direct: SqlExecutor;

  constructor(connectionString: string) {
    this.#pool = new pg.Pool({ connectionString, max: 10 });
    this.#direct = executor(this.#pool);
  }

  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#direct.all<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.#direct.run(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.#direct.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
