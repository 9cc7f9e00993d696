// The per-principal rate limit shared by every replica: the counters live in the database (one row per
// key: count and end of the current window), so a client spread over N replicas by a load balancer
// gets RATE_LIMIT_MAX per window in all, not N times it. One upsert per request, atomic in both
// databases (PostgreSQL locks the row; SQLite serializes writers). Used with PostgreSQL, the
// multi-replica store; with SQLite (one process) the plugin's in-memory store is as good and cheaper.
// The table rate_limit_windows comes from a migration (src/store/migrations.ts).
import type { SqlDatabase } from '../store/sql.ts';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The @fastify/rate-limit store interface (FastifyRateLimitStore), on the database. */
export interface SharedRateLimitStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number): void;
  child(): SharedRateLimitStore;
}

export class SqlRateLimitCounters {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  #calls = 0;

  constructor(db: SqlDatabase, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** Counts one request of `key`; the count in its window and the ms until the window ends. */
  async hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    const now = this.#now();
    const rows = await this.#db.all<{ count: number | string; window_ends: number | string }>(
      `INSERT INTO rate_limit_windows (limit_key, count, window_ends) VALUES (?, 1, ?)
       ON CONFLICT (limit_key) DO UPDATE SET
         count = CASE WHEN rate_limit_windows.window_ends <= ? THEN 1 ELSE rate_limit_windows.count + 1 END,
         window_ends = CASE WHEN rate_limit_windows.window_ends <= ? THEN excluded.window_ends
                            ELSE rate_limit_windows.window_ends END
       RETURNING count, window_ends`,
      [key, now + windowMs, now, now],
    );
    // Windows long over are dropped now and then, so the table holds only live keys.
    if (++this.#calls % 1000 === 0) {
      void this.#db
        .run('DELETE FROM rate_limit_windows WHERE window_ends < ?', [now - windowMs])
        .catch(() => {});
    }
    const row = rows[0]!;
    return { current: Number(row.count), ttl: Math.max(0, Number(row.window_ends) - now) };
  }

  async peek(key: string): Promise<{ current: number; ttl: number }> {
    const now = this.#now();
    const rows = await this.#db.all<{ count: number | string; window_ends: number | string }>(
      'SELECT count, window_ends FROM rate_limit_windows WHERE limit_key = ?',
      [key],
    );
    const row = rows[0];
    if (!row || Number(row.window_ends) <= now) return { current: 0, ttl: 0 };
    return { current: Number(row.count), ttl: Number(row.window_ends) - now };
  }

  /** The store object the plugin calls (its `store` option takes a class: see rateLimitStoreClass). */
  store(): SharedRateLimitStore {
    const store: SharedRateLimitStore = {
      incr: (key, cb, timeWindow) => {
        this.hit(key, timeWindow).then(
          (r) => cb(null, r),
          (err: Error) => cb(err),
        );
      },
      read: (key, cb) => {
        this.peek(key).then(
          (r) => cb(null, r),
          (err: Error) => cb(err),
        );
      },
      child: () => store,
    };
    return store;
  }
}

/** @fastify/rate-limit constructs its store with `new`: a class whose instances are this store. */
export function rateLimitStoreClass(counters: SqlRateLimitCounters): new () => SharedRateLimitStore {
  return function SharedStore() {
    return counters.store();
  } as unknown as new () => SharedRateLimitStore;
}
