// Fleet reconciliation: a drift check of every managed account through the operation queue, with
// bounded concurrency, the account's remediation policy applied, a per-account outcome and totals
// recorded in the database, and a signed summary sent to the webhooks when there is news.
//
// Only one reconciliation runs at a time, across processes and restarts: a lease row (holder +
// expiry) in the database, renewed while the run lasts. One run, many workers: the run's drift checks
// and remediations are operations in the shared queue, claimed by whichever replica has capacity; the
// lease holder only coordinates. A run left `running` whose lease expired (its replica died) is taken
// over by another replica (each looks every half lease): it takes the lease, redoes the accounts
// still pending (their outcomes and totals so far are in the run's row) and sends the webhook once
// the run completes.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { AccountRecord, AccountStore, RemediationPolicy } from '../accounts/store/account-store.ts';
import type { DriftReport } from '../drift/schemas.ts';
import type { DriftReportStore } from '../drift/store.ts';
import { DomainError } from '../errors.ts';
import type { QueueLogger } from '../operations/queue.ts';
import { type OperationService, RECONCILER_PRINCIPAL } from '../operations/service.ts';
import { FINAL_OPERATION_STATES, type OperationError, type OperationRecord } from '../operations/store.ts';
import type { Notifier } from './notify.ts';
import type {
  ReconciliationAccountOutcome,
  ReconciliationNotification,
  ReconciliationRecord,
  ReconciliationStore,
  ReconciliationTotals,
} from './store.ts';

export const RECONCILIATION_LEASE = 'reconciliation';

/** How often a run looks in the database for an operation another replica runs. */
const SETTLED_POLL_MS = 1000;

/** The stores a reconciliation reads and writes (its operations go through OperationService). */
export interface ReconcilerStores {
  accounts: AccountStore;
  drift: DriftReportStore;
  reconciliations: ReconciliationStore;
}

export interface ReconcilerOptions {
  stores: ReconcilerStores;
  /**
   * The app's OperationService (with its approval policy): the reconciler's drift checks and
   * remediations go through it like every other request, as RECONCILER_PRINCIPAL.
   */
  operations: OperationService;
  logger: QueueLogger;
  concurrency: number;
  leaseTtlMs: number;
  /** Cron expression (croner) and IANA time zone; null cron: no schedule. */
  cron: string | null;
  timezone: string;
  notifier?: Notifier | undefined;
  /** Identity of this process in the lease; default host:pid:random. */
  holder?: string;
  now?: () => Date;
}

/** Whether a report with this severity is remediated under the policy. */
export function shouldRemediate(policy: RemediationPolicy, report: DriftReport): boolean {
  if (report.clean || report.severity === null) return false;
  // An apply corrects drifted resources; it cannot make a recipient confirm a subscription (a finding).
  if (report.resources.length === 0) return false;
  if (policy === 'remediate') return true;
  if (policy === 'remediate-critical') return report.severity === 'critical';
  return false;
}

/** Stable keys of a report's drift: one per drifted property (or per deleted/unnamed resource). */
export function findingsOf(report: DriftReport): string[] {
  const keys: string[] = [];
  for (const r of report.resources) {
    if (r.properties.length === 0) keys.push(`${r.urn}#${r.operation}`);
    for (const p of r.properties) keys.push(`${r.urn}#${p.path}`);
  }
  return keys.sort();
}

export function totalsOf(accounts: readonly ReconciliationAccountOutcome[]): ReconciliationTotals {
  const totals: ReconciliationTotals = {
    accounts: accounts.length,
    clean: 0,
    drifted: 0,
    remediated: 0,
    failed: 0,
    skipped: 0,
  };
  for (const a of accounts) {
    if (a.outcome !== 'pending') totals[a.outcome]++;
  }
  return totals;
}

/** Managed accounts: applied at least once and not decommissioned. */
function isManaged(a: AccountRecord): boolean {
  return a.appliedVersion !== null && a.status !== 'decommissioned' && a.status !== 'decommissioning';
}

class AccountFailure extends Error {
  readonly error: OperationError;
  readonly severity: ReconciliationAccountOutcome['severity'];
  constructor(error: OperationError, severity: ReconciliationAccountOutcome['severity'] = null) {
    super(error.message);
    this.error = error;
    this.severity = severity;
  }
}

interface ActiveRun {
  id: string;
  controller: AbortController;
  done: Promise<ReconciliationRecord>;
}

export class Reconciler {
  readonly #stores: ReconcilerStores;
  readonly #operations: OperationService;
  readonly #log: QueueLogger;
  readonly #concurrency: number;
  readonly #leaseTtlMs: number;
  readonly #notifier: Notifier | undefined;
  readonly #holder: string;
  readonly #now: () => Date;
  readonly #cronExpr: string | null;
  readonly #timezone: string;
  #cron: Cron | undefined;
  #active: ActiveRun | undefined;
  #stopping = false;
  #watch: NodeJS.Timeout | undefined;

  constructor(opts: ReconcilerOptions) {
    this.#stores = opts.stores;
    this.#operations = opts.operations;
    this.#log = opts.logger.child({ component: 'reconciler' });
    this.#concurrency = opts.concurrency;
    this.#leaseTtlMs = opts.leaseTtlMs;
    this.#notifier = opts.notifier;
    this.#holder = opts.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#now = opts.now ?? (() => new Date());
    this.#cronExpr = opts.cron;
    this.#timezone = opts.timezone;
  }

  get holder(): string {
    return this.#holder;
  }

  /** When the schedule fires next (null when disabled). */
  nextScheduledRun(): Date | null {
    return this.#cron?.nextRun() ?? null;
  }

  /** Takes over a run a dead replica left, watches for more, then starts the schedule. */
  async start(): Promise<void> {
    await this.#takeOverAbandonedRun();
    // Every half lease: a run whose coordinator died is continued by the first replica to notice.
    this.#watch ??= setInterval(
      () => void this.#takeOverAbandonedRun(),
      Math.max(500, Math.floor(this.#leaseTtlMs / 2)),
    );
    this.#watch.unref();
    if (this.#cronExpr && !this.#cron) {
      this.#cron = new Cron(this.#cronExpr, { timezone: this.#timezone, protect: true }, () =>
        this.#scheduled(),
      );
      this.#log.info(
        { cron: this.#cronExpr, timezone: this.#timezone, next: this.#cron.nextRun()?.toISOString() },
        'reconciliation scheduled',
      );
    }
  }

  async #scheduled(): Promise<void> {
    try {
      const run = await this.startRun('schedule');
      await this.whenFinished(run.id);
    } catch (err) {
      if (
        err instanceof DomainError &&
        (err.code === 'reconciliation_running' || err.code === 'shutting_down')
      ) {
        this.#log.info({}, 'scheduled reconciliation skipped: another one is running');
      } else {
        this.#log.error({ err }, 'scheduled reconciliation failed to start');
      }
    }
  }

  /** Stops the schedule; a run in progress takes no new accounts and ends `interrupted`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopping = true;
    this.#cron?.stop();
    this.#cron = undefined;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
    const active = this.#active;
    if (!active) return;
    active.controller.abort(new Error('service shutting down'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      active.done.catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Starts a reconciliation now (409 reconciliation_running when one holds the lease). */
  async startRun(trigger: ReconciliationRecord['trigger']): Promise<ReconciliationRecord> {
    if (this.#stopping) throw new DomainError('shutting_down', 'The service is shutting down');
    if (this.#active) {
      throw new DomainError('reconciliation_running', `Reconciliation ${this.#active.id} is running`);
    }
    await this.#takeOverAbandonedRun();
    // A run a dead replica left is continued first (the await may have begun it).
    const continued = this.#active as ActiveRun | undefined;
    if (continued) {
      throw new DomainError('reconciliation_running', `Reconciliation ${continued.id} is running`);
    }
    const id = randomUUID();
    const now = this.#now();
    const acquired = await this.#stores.reconciliations.acquireLease(
      {
        name: RECONCILIATION_LEASE,
        holder: this.#holder,
        runId: id,
        expiresAt: new Date(now.getTime() + this.#leaseTtlMs).toISOString(),
      },
      now.toISOString(),
    );
    // Re-check after the await: two local callers may race to here.
    if (!acquired || this.#active) {
      const lease = await this.#stores.reconciliations.getLease(RECONCILIATION_LEASE);
      throw new DomainError(
        'reconciliation_running',
        `Reconciliation ${lease?.runId ?? '(unknown)'} is running (lease held until ${lease?.expiresAt ?? '?'})`,
      );
    }
    const accounts = await this.#managedAccounts();
    const outcomes: ReconciliationAccountOutcome[] = accounts.map((a) => ({
      accountId: a.accountId,
      outcome: 'pending',
      severity: null,
      findings: [],
      driftReportId: null,
      operationIds: [],
      error: null,
      startedAt: null,
      finishedAt: null,
    }));
    const run = await this.#stores.reconciliations.insertReconciliation({
      id,
      trigger,
      state: 'running',
      holder: this.#holder,
      startedAt: now.toISOString(),
      finishedAt: null,
      totals: totalsOf(outcomes),
      accounts: outcomes,
      notifications: [],
      error: null,
    });
    this.#begin(run, accounts);
    this.#log.info({ reconciliationId: id, trigger, accounts: accounts.length }, 'reconciliation started');
    return run;
  }

  #begin(run: ReconciliationRecord, accounts: (AccountRecord | undefined)[]): void {
    const controller = new AbortController();
    const active: ActiveRun = { id: run.id, controller, done: Promise.resolve(run) };
    active.done = this.#execute(run, accounts, controller.signal).finally(() => {
      if (this.#active === active) this.#active = undefined;
    });
    this.#active = active;
  }

  /** Resolves with the run once it is no longer running. */
  async whenFinished(id: string): Promise<ReconciliationRecord> {
    if (this.#active?.id === id) return this.#active.done;
    const run = await this.#stores.reconciliations.getReconciliation(id);
    if (!run) throw new DomainError('reconciliation_not_found', `Reconciliation ${id} not found`);
    return run;
  }

  async get(id: string): Promise<ReconciliationRecord> {
    const run = await this.#stores.reconciliations.getReconciliation(id);
    if (!run) throw new DomainError('reconciliation_not_found', `Reconciliation ${id} not found`);
    return run;
  }

  list(q: Parameters<ReconciliationStore['listReconciliations']>[0]): Promise<ReconciliationRecord[]> {
    return this.#stores.reconciliations.listReconciliations(q);
  }

  async #managedAccounts(): Promise<AccountRecord[]> {
    const out: AccountRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.#stores.accounts.listAccounts({
        limit: 200,
        ...(after ? { afterAccountId: after } : {}),
      });
      out.push(...page.filter(isManaged));
      if (page.length < 200) return out;
      after = page.at(-1)!.accountId;
    }
  }

  /**
   * A run left `running` whose lease expired (or names another run): its coordinator died. This replica
   * takes the lease (one replica wins) and continues the run: accounts already done keep their
   * outcome, the pending ones are checked again (an operation the dead coordinator was waiting for
   * ran, or was interrupted, on its own; a fresh drift check says where the account stands now).
   */
  async #takeOverAbandonedRun(): Promise<void> {
    if (this.#active || this.#stopping) return;
    try {
      const running = await this.#stores.reconciliations.listReconciliations({
        limit: 100,
        state: 'running',
      });
      if (running.length === 0) return;
      const lease = await this.#stores.reconciliations.getLease(RECONCILIATION_LEASE);
      const now = this.#now();
      for (const run of running) {
        const alive = lease && lease.runId === run.id && Date.parse(lease.expiresAt) > now.getTime();
        if (alive || this.#active) continue;
        const acquired = await this.#stores.reconciliations.acquireLease(
          {
            name: RECONCILIATION_LEASE,
            holder: this.#holder,
            runId: run.id,
            expiresAt: new Date(now.getTime() + this.#leaseTtlMs).toISOString(),
          },
          now.toISOString(),
        );
        if (!acquired || this.#active) continue;
        // The lease may have been taken and released by another replica that finished the run meanwhile.
        const current = await this.#stores.reconciliations.getReconciliation(run.id);
        if (current?.state !== 'running') {
          await this.#stores.reconciliations
            .releaseLease(RECONCILIATION_LEASE, this.#holder)
            .catch(() => undefined);
          continue;
        }
        const accounts = await Promise.all(
          current.accounts.map((a) =>
            a.outcome === 'pending'
              ? this.#stores.accounts.getAccount(a.accountId)
              : Promise.resolve(undefined),
          ),
        );
        // Outcomes in flight when the coordinator died start over (the operation ids stay listed).
        const resumed = {
          ...current,
          accounts: current.accounts.map((a) => (a.outcome === 'pending' ? { ...a, startedAt: null } : a)),
        };
        this.#log.warn(
          {
            reconciliationId: run.id,
            previousHolder: current.holder,
            pending: current.accounts.filter((a) => a.outcome === 'pending').length,
          },
          'took over a reconciliation whose coordinator stopped',
        );
        this.#begin(resumed, accounts);
        return;
      }
    } catch (err) {
      this.#log.warn({ err }, 'could not look for an abandoned reconciliation');
    }
  }

  /** `accounts[i]` is the account of `run.accounts[i]`; undefined where that outcome is already final. */
  async #execute(
    run: ReconciliationRecord,
    accounts: (AccountRecord | undefined)[],
    signal: AbortSignal,
  ): Promise<ReconciliationRecord> {
    const outcomes = run.accounts.map((a) => ({ ...a }));
    let leaseLost = false;
    const renew = setInterval(
      () => {
        const expiresAt = new Date(this.#now().getTime() + this.#leaseTtlMs).toISOString();
        this.#stores.reconciliations.renewLease(RECONCILIATION_LEASE, this.#holder, expiresAt).then(
          (ok) => {
            if (!ok && !leaseLost) {
              leaseLost = true;
              this.#log.error({ reconciliationId: run.id }, 'reconciliation lease lost');
            }
          },
          (err) => this.#log.warn({ err }, 'could not renew the reconciliation lease'),
        );
      },
      Math.max(250, Math.floor(this.#leaseTtlMs / 3)),
    );
    // Progress is written as accounts finish; writes are chained so they land in order.
    let saving: Promise<unknown> = Promise.resolve();
    const save = () => {
      const snapshot = outcomes.map((o) => ({ ...o }));
      saving = saving
        .then(() =>
          this.#stores.reconciliations.updateReconciliation(run.id, {
            accounts: snapshot,
            totals: totalsOf(snapshot),
          }),
        )
        .catch((err) => this.#log.warn({ err }, 'could not save reconciliation progress'));
    };

    // Only the outcomes still pending (all of them in a new run; the rest in one taken over).
    const todo = outcomes.flatMap((o, i) => (o.outcome === 'pending' && accounts[i] ? [i] : []));
    let next = 0;
    const worker = async () => {
      while (!signal.aborted && !leaseLost) {
        const index = todo[next++];
        if (index === undefined) return;
        const account = accounts[index]!;
        const outcome = outcomes[index]!;
        outcome.startedAt = this.#now().toISOString();
        try {
          Object.assign(outcome, await this.#reconcileAccount(account, outcome, signal));
        } catch (err) {
          const failure =
            err instanceof AccountFailure
              ? err
              : new AccountFailure({
                  code: (err as { code?: string }).code ?? 'reconcile_error',
                  message: (err as Error).message ?? String(err),
                });
          outcome.outcome = signal.aborted ? 'skipped' : 'failed';
          outcome.error = failure.error;
          outcome.severity = failure.severity ?? outcome.severity;
          this.#log.warn(
            { accountId: account.accountId, error: failure.error },
            'account reconciliation failed',
          );
        }
        outcome.finishedAt = this.#now().toISOString();
        save();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, todo.length) }, worker));
    } finally {
      clearInterval(renew);
    }
    await saving;

    const interrupted = signal.aborted || leaseLost;
    for (const o of outcomes) {
      if (o.outcome === 'pending') {
        o.outcome = 'skipped';
        o.error = { code: 'interrupted', message: 'The reconciliation stopped before this account' };
      }
    }
    const notifications = interrupted ? [] : await this.#notify(run, outcomes);
    const finishedAt = this.#now().toISOString();
    await this.#stores.reconciliations.updateReconciliation(run.id, {
      state: interrupted ? 'interrupted' : 'succeeded',
      finishedAt,
      accounts: outcomes,
      totals: totalsOf(outcomes),
      notifications,
      error: interrupted
        ? {
            code: leaseLost ? 'lease_lost' : 'interrupted_by_shutdown',
            message: leaseLost ? 'Another process took the reconciliation lease' : 'The service shut down',
          }
        : null,
    });
    await this.#stores.reconciliations
      .releaseLease(RECONCILIATION_LEASE, this.#holder)
      .catch(() => undefined);
    const after = (await this.#stores.reconciliations.getReconciliation(run.id))!;
    this.#log.info(
      { reconciliationId: run.id, state: after.state, totals: after.totals },
      'reconciliation finished',
    );
    return after;
  }

  async #reconcileAccount(
    account: AccountRecord,
    outcome: ReconciliationAccountOutcome,
    signal: AbortSignal,
  ): Promise<Partial<ReconciliationAccountOutcome>> {
    // A stored spec still waiting (for approval, or for an apply) is named in the outcome: remediation
    // restores the last applied spec, never that one.
    const pendingSpec = await this.#operations.pendingSpec(account.accountId);
    if (pendingSpec) outcome.pendingSpec = pendingSpec;
    const check = await this.#runOperation(account, 'refresh-preview', signal, outcome);
    const report = await this.#reportOf(check);
    const findings = findingsOf(report.report);
    const base = {
      driftReportId: report.id,
      findings,
      severity: report.report.severity,
      ...(pendingSpec ? { pendingSpec } : {}),
    };
    if (report.report.clean) return { ...base, outcome: 'clean' };
    if (report.report.severity === null) {
      // Nothing drifted but some resources could not be read: the account's state is not known.
      throw new AccountFailure({
        code: 'unverified_resources',
        message: `The drift check could not read: ${report.report.unverified.map((u) => u.urn).join(', ')}`,
      });
    }
    // The policy is read now, not at the start of the run: a change made meanwhile applies.
    const policy = (await this.#stores.accounts.getAccount(account.accountId))?.remediationPolicy ?? 'report';
    if (!shouldRemediate(policy, report.report)) return { ...base, outcome: 'drifted' };

    await this.#runOperation(account, 'apply', signal, outcome).catch((err: unknown) => {
      throw err instanceof AccountFailure
        ? new AccountFailure(
            { ...err.error, message: `remediation failed: ${err.error.message}` },
            report.report.severity,
          )
        : err;
    });
    // Verify: the next check must be clean.
    const verify = await this.#runOperation(account, 'refresh-preview', signal, outcome);
    const after = await this.#reportOf(verify);
    // Findings (nobody receives the alarms) are no drift an apply could have corrected.
    if (after.report.resources.length > 0 || after.report.unverified.length > 0) {
      throw new AccountFailure(
        {
          code: 'drift_remains',
          message: `drift remains after remediation (${after.report.severity ?? 'unverified'}, report ${after.id})`,
        },
        report.report.severity,
      );
    }
    return { ...base, outcome: 'remediated' };
  }

  async #runOperation(
    account: AccountRecord,
    kind: 'refresh-preview' | 'apply',
    signal: AbortSignal,
    outcome: ReconciliationAccountOutcome,
  ): Promise<OperationRecord> {
    if (signal.aborted) throw new AccountFailure({ code: 'interrupted', message: 'reconciliation stopped' });
    // Through the OperationService, as the reconciler's principal: the same rules as any request.
    const op =
      kind === 'apply'
        ? await this.#operations.remediate(account.accountId, RECONCILER_PRINCIPAL)
        : await this.#operations.driftCheck(account.accountId, RECONCILER_PRINCIPAL);
    if (!op) {
      throw new AccountFailure({
        code: 'nothing_applied',
        message: 'the account has no applied spec to restore',
      });
    }
    outcome.operationIds.push(op.id);
    if (op.state === 'pending-approval') {
      throw new AccountFailure({
        code: 'remediation_pending_approval',
        message: `remediation ${op.id} waits for an approver`,
      });
    }
    const final = await this.#settled(op.id, signal);
    if (final.state !== 'succeeded') {
      throw new AccountFailure(
        final.error ?? { code: final.state, message: `the ${kind} operation ended ${final.state}` },
      );
    }
    return final;
  }

  /**
   * The operation once final. The queue says so at once for operations this replica runs; one that
   * another replica claimed is seen in the database (polled: the database is the truth).
   */
  #settled(id: string, signal: AbortSignal): Promise<OperationRecord> {
    return new Promise((resolve, reject) => {
      let poll: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        clearInterval(poll);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () =>
        finish(() =>
          reject(
            new AccountFailure({ code: 'interrupted', message: 'reconciliation stopped while waiting' }),
          ),
        );
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      poll = setInterval(() => {
        this.#operations.get(id).then(
          (op) => {
            if (op && FINAL_OPERATION_STATES.includes(op.state)) finish(() => resolve(op));
          },
          () => undefined,
        );
      }, SETTLED_POLL_MS);
      this.#operations.settled(id).then(
        (op) => finish(() => resolve(op)),
        (err) => finish(() => reject(err)),
      );
    });
  }

  async #reportOf(op: OperationRecord) {
    const report = await this.#stores.drift.getDriftReportByOperation(op.id);
    if (!report) {
      throw new AccountFailure({
        code: 'drift_report_missing',
        message: `no drift report for operation ${op.id}`,
      });
    }
    return report;
  }

  /** New drift (not in the previous finished run for the account) or any failure: one summary. */
  async #notify(
    run: ReconciliationRecord,
    outcomes: ReconciliationAccountOutcome[],
  ): Promise<ReconciliationNotification[]> {
    if (!this.#notifier) return [];
    const previous = (await this.#stores.reconciliations.listReconciliations({ limit: 20 })).find(
      (r) => r.id !== run.id && r.seq < run.seq && r.state !== 'running',
    );
    const before = new Map(previous?.accounts.map((a) => [a.accountId, new Set(a.findings)]) ?? []);
    const newDrift = outcomes.filter(
      (o) =>
        (o.outcome === 'drifted' ||
          o.outcome === 'remediated' ||
          (o.outcome === 'failed' && o.findings.length > 0)) &&
        o.findings.some((f) => !before.get(o.accountId)?.has(f)),
    );
    const failures = outcomes.filter((o) => o.outcome === 'failed');
    if (newDrift.length === 0 && failures.length === 0) return [];
    const summary = {
      type: 'reconciliation.summary',
      reconciliationId: run.id,
      link: `/v1/reconciliations/${run.id}`,
      startedAt: run.startedAt,
      totals: totalsOf(outcomes),
      newDrift: newDrift.map((o) => ({
        accountId: o.accountId,
        outcome: o.outcome,
        severity: o.severity,
        driftReportId: o.driftReportId,
        newFindings: o.findings.filter((f) => !before.get(o.accountId)?.has(f)),
      })),
      failures: failures.map((o) => ({ accountId: o.accountId, error: o.error })),
    };
    return this.#notifier.send(summary);
  }
}
