// The operation queue. Its truth is the database: an operation is queued or running because its row
// says so, so work survives a restart. In memory are only the AbortControllers of the operations this
// process runs. Per account, operations run one at a time in enqueue order; across accounts up to
// `maxConcurrent` run at once.
//
// The queue knows operations only. What an operation's end means for an account (its status, its
// drift report) belongs to the feature that owns it and is plugged in at wiring time as an
// OperationHook (src/accounts/operation-hooks.ts, src/drift/operation-hooks.ts); what happened is told
// through typed events (OperationEventMap) that the audit trail and the event streams listen to.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { AccountPatch, AccountStore } from '../accounts/store/account-store.ts';
import { describeRecovery } from '../engine/recovery.ts';
import type {
  EngineEvent,
  OperationKind,
  OperationResult,
  RunOptions,
  TrailEngine,
} from '../engine/types.ts';
import { DomainError, isOperationErrorCode, type OperationErrorCode } from '../errors.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import { LeaseKeeper } from './leases.ts';
import {
  FINAL_OPERATION_STATES,
  type NewOperationEvent,
  type OperationError,
  type OperationOptions,
  type OperationRecord,
  type OperationState,
  type OperationStore,
} from './store.ts';

export interface QueueLogger {
  child(bindings: Record<string, unknown>): QueueLogger;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EnqueueInput {
  accountId: string;
  kind: OperationKind;
  spec: ResolvedTrailRequest;
  specVersion: number;
  options?: OperationOptions;
  retryOf?: string | null;
  /** false: reject with 409 instead of waiting behind the account's queued or running operation. */
  wait?: boolean;
  /** Who asks (principal id, name, owner); recorded on the operation and in the audit trail. */
  requestedBy?: Actor | undefined;
  /** The operation waits in `pending-approval` until approve() (four-eyes; src/auth/approval.ts). */
  needsApproval?: boolean;
}

/** A principal as the queue records it (the audit listener reads id and name from the events). */
export interface Actor {
  id: string;
  name?: string;
  owner?: string | undefined;
}

/**
 * What the queue tells its listeners, as graphile-worker's WorkerEventMap: the event name and its
 * arguments. They are wake-up hints for this process (and feed the audit trail); readers always read
 * the database.
 */
export interface OperationEventMap {
  /** Created and waiting for its turn; `requestedBy` is who asked. */
  queued: [operation: OperationRecord, requestedBy: Actor | undefined];
  /** Created and waiting for an approver (four eyes). */
  'pending-approval': [operation: OperationRecord, requestedBy: Actor | undefined];
  approved: [operation: OperationRecord, by: Actor];
  rejected: [operation: OperationRecord, by: Actor];
  /** Claimed by this process; the engine is about to run it. */
  started: [operation: OperationRecord];
  /** In a final state (succeeded, failed, cancelled, interrupted), as stored. */
  settled: [operation: OperationRecord];
  /** New engine events of the operation are stored. */
  events: [operationId: string];
}

/** An operation's end as its hooks see it: the state it ends in, the engine's result and its events. */
export interface FinishedRun {
  operation: OperationRecord;
  state: OperationState;
  /** The engine's result (a succeeded run only). */
  result?: OperationResult | undefined;
  /** The run's engine events, in order, when a hook of its kind asked to keep them (else empty). */
  events: readonly EngineEvent[];
  now: Date;
}

/**
 * What a feature does when operations of some kinds start and end, registered with use() at wiring
 * time. The account patches all hooks return are merged (in registration order) and stored in one
 * transaction with the operation's state, so an account never shows a state its operation has not.
 */
export interface OperationHook {
  kinds: readonly OperationKind[];
  /** Keep the run's engine events in memory for finished() (a drift check builds its report from them). */
  keepEvents?: boolean;
  /** The account's state while the operation runs (an apply: applying). */
  started?(operation: OperationRecord): AccountPatch | undefined;
  /**
   * The account's state once the operation ended (also for one interrupted by a restart). Throwing on
   * a succeeded run fails the operation with the error's catalogued code (else `operation_hook_failed`); the
   * hooks are then asked again with the failed state.
   */
  finished?(run: FinishedRun): AccountPatch | undefined | Promise<AccountPatch | undefined>;
}

/** The stores the queue reads and writes. */
export interface QueueStores {
  accounts: AccountStore;
  operations: OperationStore;
}

export interface OperationQueueOptions {
  stores: QueueStores;
  engine: TrailEngine;
  logger: QueueLogger;
  maxConcurrent: number;
  now?: () => Date;
  /** How often a running operation checks the database for a cancel requested through another replica. */
  cancelPollMs?: number;
  /**
   * Several replicas on one database (src/operations/leases.ts): operations are claimed under a lease
   * this replica renews; another's expired lease is recovered here. Without it, one process per database.
   */
  leases?: { holder: string; ttlMs: number };
}

interface RunningOperation {
  controller: AbortController;
  done: Promise<void>;
  /** Why it was aborted: a caller's cancel, the service shutting down, or its lease taken over. */
  abortReason?: 'cancel' | 'shutdown' | 'lease-lost';
}

export const INTERRUPTED_BY_RESTART: OperationError = {
  code: 'interrupted_by_restart',
  message:
    'The service stopped while this operation was running; its stack lock was released. Retry the operation.',
};

const RECOVERY_FAILED =
  'The service stopped while this operation was running, and recovering its stack failed (see engineMessage); the stack may still be locked or hold unresolved creates.';

const isFinal = (state: OperationState) => FINAL_OPERATION_STATES.includes(state);

/**
 * A retry is a new request: not tied to the preview (nor the decision) of the original, whose
 * state expectation a partial first attempt has made stale anyway.
 */
function retryOptions(options: OperationOptions): OperationOptions {
  const {
    previewId: _p,
    expectStateEtag: _e,
    stateEtag: _s,
    decidedByName: _d,
    decisionReason: _r,
    ...rest
  } = options;
  return rest;
}

/** The engine's code and message (EngineError carries what the engine itself said as engineMessage). */
function errorOf(err: unknown, fallbackCode: OperationErrorCode | ''): OperationError {
  const e = err as { code?: unknown; message?: unknown; engineMessage?: unknown } | undefined;
  // Only catalogued codes reach the caller (the OperationError enum); a Node or library code
  // (ENOENT, ERR_…) would be a value no client knows.
  const code = isOperationErrorCode(e?.code) ? e.code : fallbackCode;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const engineMessage = typeof e?.engineMessage === 'string' && e.engineMessage ? e.engineMessage : undefined;
  return engineMessage && engineMessage !== message ? { code, message, engineMessage } : { code, message };
}

/** Runs operations; tells what happened through OperationEventMap's events. */
export class OperationQueue extends EventEmitter<OperationEventMap> {
  readonly #stores: QueueStores;
  readonly #engine: TrailEngine;
  readonly #log: QueueLogger;
  readonly #maxConcurrent: number;
  readonly #now: () => Date;
  readonly #cancelPollMs: number;
  readonly #running = new Map<string, RunningOperation>();
  readonly #hooks: OperationHook[] = [];
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #started = false;
  #stopping = false;
  #recovering: Promise<void> | undefined;
  readonly #leases: LeaseKeeper | undefined;
  #sweep: NodeJS.Timeout | undefined;
  /** Accounts whose stack this replica is recovering (no claim, no second recovery meanwhile). */
  readonly #recoveringAccounts = new Set<string>();

  constructor(opts: OperationQueueOptions) {
    super();
    this.setMaxListeners(0);
    this.#stores = opts.stores;
    this.#engine = opts.engine;
    this.#log = opts.logger;
    this.#maxConcurrent = opts.maxConcurrent;
    this.#now = opts.now ?? (() => new Date());
    this.#cancelPollMs = opts.cancelPollMs ?? 2000;
    if (opts.leases) {
      this.#leases = new LeaseKeeper({
        store: opts.stores.operations,
        holder: opts.leases.holder,
        ttlMs: opts.leases.ttlMs,
        now: this.#now,
        log: this.#log,
        onLost: (id) => {
          // An operation this replica recovered was just marked interrupted: nothing runs to abort.
          const running = this.#running.get(id);
          if (running && !running.controller.signal.aborted) {
            this.#log.error(
              { operationId: id },
              'operation lease lost: another replica took it over; aborting',
            );
            running.abortReason = 'lease-lost';
            running.controller.abort(new Error('operation lease lost'));
          }
        },
      });
    }
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  /** Registers what a feature does when operations of its kinds start and end (before start()). */
  use(...hooks: OperationHook[]): this {
    this.#hooks.push(...hooks);
    return this;
  }

  #hooksOf(kind: OperationKind): OperationHook[] {
    return this.#hooks.filter((h) => h.kinds.includes(kind));
  }

  /** The account's state once the operation started: the hooks' patches merged. */
  #startPatch(op: OperationRecord): AccountPatch | undefined {
    const patches = this.#hooksOf(op.kind).map((h) => h.started?.(op));
    return patches.some(Boolean) ? Object.assign({}, ...patches) : undefined;
  }

  /** The account's state once the operation ended: the hooks' patches merged (throws when a hook does). */
  async #endPatch(run: FinishedRun): Promise<AccountPatch> {
    const patch: AccountPatch = {};
    for (const hook of this.#hooksOf(run.operation.kind)) Object.assign(patch, await hook.finished?.(run));
    return patch;
  }

  /** Number of operations this process is running now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /**
   * Recovers from a previous process, then starts taking work: operations left `running` are marked
   * `interrupted` and their stack lock is cleared; queued ones are picked up.
   * Assumes one service instance per database (a running row belongs to a process that died).
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.recoverInterrupted();
    this.#pump();
    if (this.#leases) {
      // Work another replica queued, approved or freed, and leases of replicas that died: the
      // database is the truth, looked at every third of a lease (local events wake the pump at once).
      const every = Math.max(200, Math.min(this.#cancelPollMs, Math.floor(this.#leaseTtlMs() / 3)));
      this.#sweep = setInterval(() => {
        this.#pump();
        void this.#recoverExpired().catch((err: unknown) =>
          this.#log.warn({ err }, 'could not look for expired operation leases'),
        );
      }, every);
    }
  }

  #leaseTtlMs(): number {
    return this.#leases ? new Date(this.#leases.expiry()).getTime() - this.#now().getTime() : 0;
  }

  /**
   * The recovery part of start(), callable before it (main.ts runs it before the server starts, as
   * it can take longer than a start-up hook may): every operation left `running` is reported
   * `interrupted` once its stack is usable again. Idempotent.
   */
  async recoverInterrupted(opts: { includeLocalMarkers?: boolean } = {}): Promise<void> {
    this.#recovering ??= this.#recoverInterrupted(opts.includeLocalMarkers ?? true).finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  /**
   * The running operations this process must recover: all of them with one process per database;
   * with leases, its own from before a restart (same replica id) and those whose lease expired, each
   * taken over first (one replica wins) and held while recovery runs.
   */
  async #orphans(): Promise<OperationRecord[]> {
    if (!this.#leases) return this.#stores.operations.listOperationsInState('running');
    const now = this.#iso();
    const candidates = [
      ...(await this.#stores.operations.listOperationsLeasedBy(this.#leases.holder)),
      ...(await this.#stores.operations.listExpiredOperations(now, 50)),
    ];
    const taken: OperationRecord[] = [];
    for (const op of candidates) {
      if (this.#running.has(op.id) || taken.some((t) => t.id === op.id)) continue;
      if (this.#recoveringAccounts.has(op.accountId)) continue;
      if (
        !(await this.#stores.operations.takeOverOperation(
          op.id,
          this.#leases.holder,
          this.#leases.expiry(),
          now,
        ))
      )
        continue;
      this.#leases.hold(op.id);
      taken.push(op);
    }
    return taken;
  }

  /** The sweep: operations whose replica died are recovered here (never one this replica runs). */
  #recoverExpired(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return this.recoverInterrupted({ includeLocalMarkers: false });
  }

  async #recoverInterrupted(includeLocalMarkers: boolean): Promise<void> {
    // Recovery first, report after: an operation is marked interrupted only once its account's
    // stack is usable again, and its record says what recovery did.
    const recovered = new Map<string, OperationError>();
    const orphans = await this.#orphans();
    for (const op of orphans) this.#recoveringAccounts.add(op.accountId);
    try {
      for (const op of orphans) {
        await this.#interrupt(op, recovered);
      }
    } finally {
      for (const op of orphans) {
        this.#recoveringAccounts.delete(op.accountId);
        this.#leases?.release(op.id);
      }
    }
    if (!includeLocalMarkers) return;
    // An engine run killed with no operation left running (a recovery, or an operation whose row
    // was already final): its stack still gets recovered before new work.
    for (const accountId of (await this.#engine.unfinishedAccounts?.()) ?? []) {
      if (recovered.has(accountId)) continue;
      // Another replica may run an operation on it by now (it took over after our lease expired):
      // its stack is that replica's, lock included.
      if ((await this.#stores.operations.listAccountOperations(accountId, ['running'])).length) continue;
      const error = await this.#recover(accountId);
      recovered.set(accountId, error);
      this.#log.warn(
        { accountId, recovery: error.message },
        'recovered a stack whose engine run was cut short',
      );
    }
  }

  /** Recovers the operation's stack (once per account) and reports it interrupted with what recovery did. */
  async #interrupt(op: OperationRecord, recovered: Map<string, OperationError>): Promise<void> {
    let error = recovered.get(op.accountId);
    if (!error) {
      error = await this.#recover(op.accountId);
      recovered.set(op.accountId, error);
    }
    let patch: AccountPatch = {};
    try {
      patch = await this.#endPatch({ operation: op, state: 'interrupted', events: [], now: this.#now() });
    } catch (err) {
      this.#log.error({ err, operationId: op.id }, 'an operation hook failed on an interrupted operation');
    }
    const marked = await this.#stores.operations.updateOperation(
      op.id,
      { state: 'interrupted', finishedAt: this.#iso(), error },
      { ifState: 'running', account: { accountId: op.accountId, patch, now: this.#iso() } },
    );
    if (!marked) return;
    this.#log.warn({ operationId: op.id, accountId: op.accountId }, 'operation interrupted by restart');
    const after = await this.#stores.operations.getOperation(op.id);
    if (after) this.emit('settled', after);
  }

  /** Makes the account's stack usable after a crash; the error an interrupted operation reports. */
  async #recover(accountId: string): Promise<OperationError> {
    if (!this.#engine.recover) {
      try {
        await this.#engine.cancelStaleLock(accountId);
        return INTERRUPTED_BY_RESTART;
      } catch (err) {
        this.#log.error({ err, accountId }, 'could not clear the stale stack lock');
        return {
          ...INTERRUPTED_BY_RESTART,
          message: RECOVERY_FAILED,
          engineMessage: errorOf(err, '').message,
        };
      }
    }
    try {
      const report = await this.#engine.recover(accountId);
      this.#log.warn({ accountId, recovery: report }, 'recovered the stack of an interrupted operation');
      return {
        code: INTERRUPTED_BY_RESTART.code,
        message: `The service stopped while this operation was running. Recovery: ${describeRecovery(report)} Retry the operation.`,
        engineMessage: JSON.stringify(report),
      };
    } catch (err) {
      this.#log.error({ err, accountId }, 'recovery of the stack failed');
      const e = errorOf(err, '');
      return {
        code: INTERRUPTED_BY_RESTART.code,
        message: RECOVERY_FAILED,
        engineMessage: e.engineMessage ?? e.message,
      };
    }
  }

  async enqueue(input: EnqueueInput): Promise<OperationRecord> {
    const op = await this.#stores.operations.insertOperation(
      {
        id: randomUUID(),
        accountId: input.accountId,
        kind: input.kind,
        spec: input.spec,
        specVersion: input.specVersion,
        options: input.options ?? {},
        retryOf: input.retryOf ?? null,
        createdAt: this.#iso(),
        state: input.needsApproval ? 'pending-approval' : 'queued',
        requestedBy: input.requestedBy?.id ?? null,
        requestedByOwner: input.requestedBy?.owner ?? null,
      },
      { requireIdle: input.wait === false },
    );
    if (!op) {
      throw new DomainError(
        'operation_in_progress',
        `Account ${input.accountId} has a queued or running operation; retry later or allow waiting.`,
      );
    }
    this.#log.info(
      { operationId: op.id, accountId: op.accountId, kind: op.kind, state: op.state },
      'operation queued',
    );
    this.emit(op.state === 'pending-approval' ? 'pending-approval' : 'queued', op, input.requestedBy);
    if (this.#started) this.#pump();
    return op;
  }

  /**
   * pending-approval → queued (approve) or → cancelled with error `approval_rejected` (reject). The
   * caller has checked that `by` may decide (canApprove). 409 when the operation is not waiting.
   */
  async decide(
    id: string,
    decision: 'approve' | 'reject',
    by: Actor,
    reason?: string,
  ): Promise<OperationRecord> {
    const op = await this.#stores.operations.getOperation(id);
    if (!op) throw new DomainError('operation_not_found', `Operation ${id} not found`);
    // Who decided and why stay on the operation (shown with it), next to approvedBy.
    const options = {
      ...op.options,
      ...(by.name ? { decidedByName: by.name } : {}),
      ...(reason ? { decisionReason: reason } : {}),
    };
    const patch =
      decision === 'approve'
        ? { state: 'queued' as const, approvedBy: by.id, options }
        : {
            state: 'cancelled' as const,
            approvedBy: by.id,
            options,
            finishedAt: this.#iso(),
            error: {
              code: 'approval_rejected',
              message: `Rejected by ${by.name ?? by.id}${reason ? `: ${reason}` : ''}`,
            },
          };
    const done = await this.#stores.operations.updateOperation(id, patch, { ifState: 'pending-approval' });
    if (!done) {
      throw new DomainError(
        'operation_not_pending_approval',
        `Operation ${id} is ${(await this.#stores.operations.getOperation(id))?.state ?? op.state}, not pending-approval`,
      );
    }
    const after = (await this.#stores.operations.getOperation(id))!;
    this.#log.info(
      { operationId: id, accountId: op.accountId, decision, by: by.id },
      'operation approval decided',
    );
    this.emit(decision === 'approve' ? 'approved' : 'rejected', after, by);
    if (decision === 'reject') this.emit('settled', after);
    if (this.#started) this.#pump();
    return after;
  }

  /** Queued: cancelled at once. Running here: the engine is told to cancel via the AbortSignal. */
  async cancel(id: string): Promise<OperationRecord> {
    let op = await this.#stores.operations.getOperation(id);
    if (!op) throw new DomainError('operation_not_found', `Operation ${id} not found`);
    if (op.state === 'queued' || op.state === 'pending-approval') {
      const cancelled = await this.#stores.operations.updateOperation(
        id,
        {
          state: 'cancelled',
          finishedAt: this.#iso(),
          error: { code: 'cancelled', message: 'Cancelled before it started' },
        },
        { ifState: op.state },
      );
      const after = (await this.#stores.operations.getOperation(id))!;
      if (cancelled) {
        this.emit('settled', after);
        this.#pump();
        return after;
      }
      // It started meanwhile: cancel it as a running one.
      op = after;
    }
    if (op.state === 'running') {
      await this.#stores.operations.updateOperation(id, { cancelRequested: true }, { ifState: 'running' });
      const running = this.#running.get(id);
      if (running && !running.controller.signal.aborted) {
        running.abortReason = 'cancel';
        running.controller.abort(new Error('cancelled by request'));
      }
      return (await this.#stores.operations.getOperation(id))!;
    }
    throw new DomainError('operation_finished', `Operation ${id} is already ${op.state}`);
  }

  /** A new operation with the same account, kind, spec and options as a failed/cancelled/interrupted one. */
  async retry(
    id: string,
    opts: {
      wait?: boolean;
      requestedBy?: Actor | undefined;
      /** Whether the new operation waits for approval, decided from the original. */
      needsApproval?: (op: OperationRecord) => boolean | Promise<boolean>;
    } = {},
  ): Promise<OperationRecord> {
    const op = await this.#stores.operations.getOperation(id);
    if (!op) throw new DomainError('operation_not_found', `Operation ${id} not found`);
    if (op.state !== 'failed' && op.state !== 'cancelled' && op.state !== 'interrupted') {
      throw new DomainError(
        'operation_not_retryable',
        `Only failed, cancelled or interrupted operations can be retried; ${id} is ${op.state}`,
      );
    }
    return this.enqueue({
      accountId: op.accountId,
      kind: op.kind,
      spec: op.spec,
      specVersion: op.specVersion,
      options: retryOptions(op.options),
      retryOf: op.id,
      ...(opts.wait === undefined ? {} : { wait: opts.wait }),
      requestedBy: opts.requestedBy,
      needsApproval: opts.needsApproval ? await opts.needsApproval(op) : false,
    });
  }

  /** Resolves with the operation once it is in a final state. */
  settled(id: string): Promise<OperationRecord> {
    return new Promise((resolve, reject) => {
      const onSettled = (op: OperationRecord) => {
        if (op.id !== id) return;
        this.off('settled', onSettled);
        resolve(op);
      };
      this.on('settled', onSettled);
      this.#stores.operations.getOperation(id).then(
        (op) => {
          if (!op) {
            this.off('settled', onSettled);
            reject(new DomainError('operation_not_found', `Operation ${id} not found`));
          } else if (isFinal(op.state)) {
            this.off('settled', onSettled);
            resolve(op);
          }
        },
        (err) => {
          this.off('settled', onSettled);
          reject(err);
        },
      );
    });
  }

  /** Resolves once the operation has left the queued state (started, or cancelled before). */
  whenStarted(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // Listen first, then read: an event between the read and the listener is not lost.
      const onEvent = (op: OperationRecord) => {
        if (op.id !== id) return;
        done();
      };
      const done = () => {
        this.off('started', onEvent);
        this.off('settled', onEvent);
        resolve();
      };
      this.on('started', onEvent);
      this.on('settled', onEvent);
      this.#stores.operations.getOperation(id).then((op) => {
        if (op?.state !== 'queued') done();
      }, reject);
    });
  }

  /**
   * Stops taking work, waits up to timeoutMs for running operations, then aborts the rest
   * (they end `interrupted` and can be retried).
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    await this.#pumping;
    try {
      await this.#drain(timeoutMs);
    } finally {
      await this.#handBack();
    }
  }

  /**
   * Leases of what still runs here after the grace (or is being recovered) expire now, so another
   * replica recovers them at once instead of after the lease; the CLI was told to stop (SIGINT).
   */
  async #handBack(): Promise<void> {
    if (!this.#leases) return;
    this.#leases.stop();
    try {
      const n = await this.#stores.operations.expireOperationLeases(this.#leases.holder, this.#iso());
      if (n) this.#log.warn({ operations: n }, 'handed back the leases of operations still running');
    } catch (err) {
      this.#log.warn({ err }, 'could not hand back operation leases');
    }
  }

  async #drain(timeoutMs: number): Promise<void> {
    const all = () => Promise.allSettled([...this.#running.values()].map((r) => r.done));
    const timer = new AbortController();
    const timedOut = await Promise.race([
      all().then(() => false),
      delay(timeoutMs, true, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!timedOut) return;
    for (const [id, running] of this.#running) {
      this.#log.warn({ operationId: id }, 'aborting running operation for shutdown');
      running.abortReason = 'shutdown';
      running.controller.abort(new Error('service shutting down'));
    }
    const grace = new AbortController();
    await Promise.race([all(), delay(5000, undefined, { signal: grace.signal }).catch(() => undefined)]);
    grace.abort();
  }

  #pump(): void {
    if (this.#stopping || !this.#started) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = (async () => {
      do {
        this.#pumpAgain = false;
        const free = this.#maxConcurrent - this.#running.size;
        if (free <= 0 || this.#stopping) break;
        const claimed = await this.#stores.operations.claimRunnable(
          free,
          this.#iso(),
          this.#leases ? { holder: this.#leases.holder, expiresAt: this.#leases.expiry() } : undefined,
        );
        for (const op of claimed) {
          this.#leases?.hold(op.id);
          this.#run(op);
        }
      } while (this.#pumpAgain);
    })()
      .catch((err) => this.#log.error({ err }, 'operation queue could not claim work'))
      .finally(() => {
        this.#pumping = undefined;
      });
  }

  #run(op: OperationRecord): void {
    const controller = new AbortController();
    const log = this.#log.child({ operationId: op.id, accountId: op.accountId, kind: op.kind });
    const running: RunningOperation = { controller, done: Promise.resolve() };
    this.#running.set(op.id, running);
    running.done = this.#execute(op, running, log)
      .catch((err) => log.error({ err }, 'operation bookkeeping failed'))
      .finally(() => {
        this.#running.delete(op.id);
        this.#leases?.release(op.id);
        this.#pump();
      });
  }

  async #execute(op: OperationRecord, running: RunningOperation, log: QueueLogger): Promise<void> {
    const startPatch = this.#startPatch(op);
    if (startPatch) await this.#stores.accounts.updateAccount(op.accountId, startPatch, this.#iso());
    log.info({}, 'operation started');
    this.emit('started', op);

    // Events are persisted in order, in batches (the database numbers them); `events` tells local
    // readers to look.
    const buffer: NewOperationEvent[] = [];
    // Kept in memory too when a hook asks (a drift check builds its report from them).
    const kept: EngineEvent[] | undefined = this.#hooksOf(op.kind).some((h) => h.keepEvents) ? [] : undefined;
    let persisted: Promise<void> = Promise.resolve();
    const onEvent = (event: EngineEvent) => {
      kept?.push(event);
      buffer.push({ operationId: op.id, createdAt: this.#iso(), event });
      if (buffer.length > 1) return;
      persisted = persisted.then(async () => {
        const batch = buffer.splice(0);
        try {
          await this.#stores.operations.appendOperationEvents(batch);
          this.emit('events', op.id);
        } catch (err) {
          log.warn({ err }, 'could not persist operation events');
        }
      });
    };
    // The engine adds its own bindings (account, kind); the operation id is what it cannot know.
    const engineLog = this.#log.child({ operationId: op.id });
    const runOpts: RunOptions = { onEvent, signal: running.controller.signal, log: engineLog };
    // A cancel may arrive through another replica: it sets cancel_requested in the database.
    const cancelWatch = setInterval(() => {
      this.#stores.operations.getOperation(op.id).then(
        (current) => {
          if (current?.cancelRequested && !running.controller.signal.aborted) {
            running.abortReason = 'cancel';
            running.controller.abort(new Error('cancelled by request'));
          }
        },
        (err) => log.warn({ err }, 'could not check for a cancel request'),
      );
    }, this.#cancelPollMs);

    let state: OperationState;
    let result: OperationResult | undefined;
    let error: OperationError | null = null;
    try {
      result = await this.#invoke(op, runOpts);
      state = 'succeeded';
    } catch (err) {
      if (running.abortReason === 'cancel') {
        state = 'cancelled';
        error = { ...errorOf(err, 'cancelled'), code: 'cancelled' };
      } else if (running.abortReason === 'shutdown') {
        state = 'interrupted';
        error = { ...errorOf(err, 'engine_error'), code: 'interrupted_by_shutdown' };
      } else if (running.abortReason === 'lease-lost') {
        // Another replica has taken the operation over (this one missed its renewals): it reports it.
        state = 'interrupted';
        error = { ...errorOf(err, 'engine_error'), code: 'lease_lost' };
      } else {
        state = 'failed';
        error = errorOf(err, 'engine_error');
      }
      log.warn({ err, state }, 'operation did not succeed');
    } finally {
      clearInterval(cancelWatch);
    }
    await persisted;
    let patch: AccountPatch = {};
    try {
      patch = await this.#endPatch({ operation: op, state, result, events: kept ?? [], now: this.#now() });
    } catch (err) {
      log.error({ err, state }, 'an operation hook failed');
      if (state === 'succeeded') {
        // What the run left could not become what its feature keeps (a drift report): not a success.
        state = 'failed';
        error = errorOf(err, 'operation_hook_failed');
        patch = await this.#endPatch({ operation: op, state, events: [], now: this.#now() }).catch(
          (again: unknown) => {
            log.error({ err: again }, 'an operation hook failed on the failed operation too');
            return {};
          },
        );
      }
    }
    const now = this.#iso();
    await this.#stores.operations.updateOperation(
      op.id,
      {
        state,
        finishedAt: now,
        changeSummary: result?.changeSummary ?? null,
        outputs: result?.outputs ?? null,
        error,
        // A preview keeps the state it planned against: an apply confirmed from it must start there.
        ...(result?.stateEtag ? { options: { ...op.options, stateEtag: result.stateEtag } } : {}),
      },
      {
        ifState: 'running',
        account: {
          accountId: op.accountId,
          patch,
          now,
        },
      },
    );
    log.info({ state }, 'operation finished');
    const after = await this.#stores.operations.getOperation(op.id);
    if (after) this.emit('settled', after);
  }

  #invoke(op: OperationRecord, opts: RunOptions): Promise<OperationResult> {
    switch (op.kind) {
      case 'preview':
        return this.#engine.preview(op.accountId, op.spec, { ...opts, planId: op.id });
      case 'apply': {
        // Confirmed from a preview: the engine runs that preview's plan, from the state it planned on.
        const { previewId, expectStateEtag } = op.options;
        return this.#engine.up(op.accountId, op.spec, {
          ...opts,
          ...(previewId ? { planId: previewId } : {}),
          ...(expectStateEtag ? { expectStateEtag } : {}),
        });
      }
      case 'refresh-preview':
        return this.#engine.refreshPreview(op.accountId, op.spec, opts);
      case 'refresh':
        return this.#engine.refresh(op.accountId, op.spec, opts);
      case 'destroy':
        return this.#engine.destroy(op.accountId, op.spec, {
          ...opts,
          retainData: op.options.retainData ?? true,
        });
    }
  }
}
