// Operation leases: how several replicas share one queue safely. A replica that claims an operation
// holds a lease on it (its replica id and an expiry in the operation's row) and renews it every third
// of the lease while the operation runs. A replica that cannot renew (the row names another holder, or
// it is no longer running) aborts its run: someone else has taken over, and two engines must never
// work on one stack. A lease that expires means its replica died (or hung past the lease): another
// replica takes it over, recovers the stack as a restart would, and reports the operation interrupted.
import type { OperationLeaseStore } from './store.ts';

export interface LeaseKeeperOptions {
  store: OperationLeaseStore;
  holder: string;
  ttlMs: number;
  now: () => Date;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Called once for an operation whose lease this replica lost: abort its run. */
  onLost(id: string): void;
}

/** Renews the leases of the operations this replica runs (or recovers), and reports the ones it lost. */
export class LeaseKeeper {
  readonly #opts: LeaseKeeperOptions;
  readonly #held = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(opts: LeaseKeeperOptions) {
    this.#opts = opts;
  }

  get holder(): string {
    return this.#opts.holder;
  }

  /** The expiry of a lease taken or renewed now. */
  expiry(): string {
    return new Date(this.#opts.now().getTime() + this.#opts.ttlMs).toISOString();
  }

  hold(id: string): void {
    this.#held.add(id);
    this.#timer ??= setInterval(() => void this.renew(), Math.max(200, Math.floor(this.#opts.ttlMs / 3)));
  }

  release(id: string): void {
    this.#held.delete(id);
    if (this.#held.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** One renewal round (the timer runs it; exposed for tests). */
  renew(): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renew(): Promise<void> {
    const ids = [...this.#held];
    if (ids.length === 0) return;
    let kept: string[];
    try {
      kept = await this.#opts.store.renewOperationLeases(this.#opts.holder, ids, this.expiry());
    } catch (err) {
      // The database is unreachable: keep running; if it stays so past the lease, the next
      // successful round finds the lease taken over and aborts.
      this.#opts.log.warn({ err }, 'could not renew operation leases');
      return;
    }
    const still = new Set(kept);
    for (const id of ids) {
      if (still.has(id) || !this.#held.has(id)) continue;
      this.release(id);
      this.#opts.onLost(id);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
