// The service applies its own storage policy (issue 15): operation events and drift reports older than
// RETENTION_DAYS are deleted (operations stay, as does each account's latest report, which the account's
// drift state and coverage read), and a clean drift check keeps only a summary of its engine events
// (≤ COMPACT_BUDGET_BYTES): its report says everything else. A sweep runs at start and every
// RETENTION_SWEEP_INTERVAL_MS; each replica may sweep, the deletes are idempotent.
import type { RetentionStore, StoredEvent } from './store.ts';

/** What a compacted clean drift check keeps at most (JSON text of its kept events). */
export const COMPACT_BUDGET_BYTES = 20_000;
/** A check is compacted once it is this old: streams following it have read its events by then. */
export const COMPACT_AFTER_MS = 60_000;
const BATCH = 100;

/** The events worth keeping of a clean check: the engine's summary first, then problems, in budget. */
export function eventsToKeep(events: readonly StoredEvent[], budget = COMPACT_BUDGET_BYTES): number[] {
  const kind = (e: StoredEvent) => (e.event ?? {}) as Record<string, { severity?: unknown } | undefined>;
  const summary = events.filter((e) => kind(e)['summaryEvent']);
  const problems = events.filter((e) => {
    const k = kind(e);
    if (k['summaryEvent']) return false;
    if (k['errorEvent'] || k['resOpFailedEvent'] || k['policyEvent'] || k['cancelEvent']) return true;
    const severity = k['diagnosticEvent']?.severity;
    return severity === 'warning' || severity === 'error';
  });
  const keep: number[] = [];
  let used = 0;
  for (const e of [...summary, ...problems]) {
    const size = JSON.stringify(e.event).length;
    if (used + size > budget) continue;
    used += size;
    keep.push(e.seq);
  }
  return keep.sort((a, b) => a - b);
}

export interface SweepResult {
  compactedChecks: number;
  compactedEvents: number;
  expiredEvents: number;
  expiredReports: number;
}

export class RetentionSweeper {
  readonly #store: RetentionStore;
  readonly #days: number;
  readonly #intervalMs: number;
  readonly #now: () => Date;
  readonly #log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(opts: {
    store: RetentionStore;
    retentionDays: number;
    intervalMs: number;
    log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
    now?: () => Date;
  }) {
    this.#store = opts.store;
    this.#days = opts.retentionDays;
    this.#intervalMs = opts.intervalMs;
    this.#log = opts.log;
    this.#now = opts.now ?? (() => new Date());
  }

  /** One pass: compacts clean checks, then deletes what is past retention. */
  async sweep(): Promise<SweepResult> {
    const now = this.#now().getTime();
    const result: SweepResult = {
      compactedChecks: 0,
      compactedEvents: 0,
      expiredEvents: 0,
      expiredReports: 0,
    };
    const settledBefore = new Date(now - COMPACT_AFTER_MS).toISOString();
    for (;;) {
      const ids = await this.#store.cleanDriftChecksToCompact(settledBefore, BATCH);
      for (const id of ids) {
        result.compactedEvents += await this.#store.compactEvents(
          id,
          eventsToKeep(await this.#store.listEvents(id)),
        );
        result.compactedChecks++;
      }
      if (ids.length < BATCH) break;
    }
    const cutoff = new Date(now - this.#days * 86_400_000).toISOString();
    result.expiredEvents = await this.#store.deleteEventsFinishedBefore(cutoff);
    result.expiredReports = await this.#store.deleteReportsCheckedBefore(cutoff);
    return result;
  }

  /** Sweeps now and every interval (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    const run = () => {
      this.#running ??= this.sweep()
        .then(
          (r) => {
            if (r.compactedChecks || r.expiredEvents || r.expiredReports) this.#log.info(r, 'storage swept');
          },
          (err: unknown) => this.#log.warn({ err }, 'storage sweep failed (retried at the next interval)'),
        )
        .finally(() => {
          this.#running = undefined;
        });
    };
    run();
    this.#timer = setInterval(run, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
