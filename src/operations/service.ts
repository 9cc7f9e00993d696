// Creating and reading operations; the queue runs them. Every path that changes an account (the API,
// the form, a drift report's converge, the reconciler's remediation, retries) comes through here, so
// one set of approval rules (src/auth/approval.ts) decides what waits for an approver.
import type { AccountRecord, AccountStore } from '../accounts/store/account-store.ts';
import { canApprove, needsApproval, weakeningChanges } from '../auth/approval.ts';
import type { ApprovalConfig } from '../auth/config.ts';
import type { AccountGroups, Principal } from '../auth/principal.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { OperationKind } from '../engine/types.ts';
import { DomainError } from '../errors.ts';
import { assertIfMatch } from '../trail-request/etag.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { Actor, OperationQueue } from './queue.ts';
import {
  OPERATION_STATES,
  type OperationOptions,
  type OperationRecord,
  type OperationStore,
} from './store.ts';

/** The four-eyes policy (src/auth/approval.ts); without it (an app built without security) nothing waits. */
export interface ApprovalPolicy {
  config: ApprovalConfig;
  accountGroups: AccountGroups;
}

/** Who asks for an operation: a caller's principal, or the service itself acting as a named principal. */
export type Requester = Pick<Principal, 'id' | 'name' | 'roles'> & { owner?: string | undefined };

/**
 * The reconciler's own principal: recorded as the requester of the drift checks and remediations it
 * queues (in the operation and in the audit log), and held to the approval rules like anyone else.
 */
export const RECONCILER_PRINCIPAL: Requester = {
  id: 'system:reconciler',
  name: 'reconciler',
  roles: ['requester'],
};

const actorOf = (p: Requester): Actor => ({ id: p.id, name: p.name, owner: p.owner });

/** One changed leaf of a spec: its JSON pointer, the applied value and the requested one. */
export interface SpecChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** Leaf-by-leaf differences between two specs (arrays compared whole: their order can matter). */
export function specDiff(before: unknown, after: unknown, path = ''): SpecChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => specDiff(before[k], after[k], `${path}/${k}`));
  }
  return canonicalJson(before ?? null) === canonicalJson(after ?? null)
    ? []
    : [{ path: path || '/', before: before ?? null, after: after ?? null }];
}

/** Kinds whose engine run may change the recorded stack state. */
const STATE_CHANGING: readonly OperationKind[] = ['apply', 'destroy', 'refresh'];

/** An operation waiting for approval, as an approver needs to judge it. */
export interface PendingApproval {
  operation: OperationRecord;
  requestedByName: string | null;
  /** The spec last applied to the account; null before its first apply. */
  appliedSpec: ResolvedTrailRequest | null;
  appliedVersion: number | null;
  /** What the operation would change in the spec (against the applied spec). */
  diff: SpecChange[];
  /** Why it waits: the fields that do not merely strengthen the applied spec. */
  reasons: string[];
  /** The preview of this spec: the one the apply was confirmed from, else the latest of the same spec. */
  preview: OperationRecord | null;
}

/**
 * 409 for any operation on a decommissioned account; nothing runs. A second decommission has nothing
 * left to do (running one would create a new key and fail on the kept bucket).
 */
function decommissionedError(accountId: string, kind: OperationKind): DomainError {
  return new DomainError(
    'account_decommissioned',
    kind === 'destroy'
      ? `Account ${accountId} is already decommissioned; nothing was run. To manage it again, PUT its trail ` +
          'request and apply it.'
      : `Account ${accountId} is decommissioned; PUT its trail request again to manage it`,
  );
}

/** The stores the operation service reads and writes. */
export interface OperationServiceStores {
  accounts: AccountStore;
  operations: OperationStore;
}

export class OperationService {
  readonly #stores: OperationServiceStores;
  readonly #queue: OperationQueue;
  readonly #approval: ApprovalPolicy | undefined;
  /** Throws (503) when the engine lacks what an operation needs (src/health/prerequisites.ts). */
  readonly #preflight: (() => Promise<void>) | undefined;
  /**
   * Validates a draft trail request as PUT does (schema, defaults, the program's rules) and returns it
   * resolved; set by the AccountService, which owns those rules.
   */
  resolveDraft: ((accountId: string, body: unknown) => Promise<ResolvedTrailRequest>) | undefined;

  constructor(
    stores: OperationServiceStores,
    queue: OperationQueue,
    approval?: ApprovalPolicy,
    preflight?: () => Promise<void>,
  ) {
    this.#stores = stores;
    this.#queue = queue;
    this.#approval = approval;
    this.#preflight = preflight;
  }

  /** The spec last applied to the account (its succeeded apply of the applied version), if any. */
  async appliedSpec(accountId: string): Promise<ResolvedTrailRequest | undefined> {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account || account.appliedVersion === null || account.status === 'decommissioned') return undefined;
    // Every change of the spec bumps its version: the stored spec of the applied version is the applied one.
    if (account.specVersion === account.appliedVersion) return account.spec;
    const applies = (await this.#stores.operations.listAccountOperations(accountId, ['succeeded'])).filter(
      (op) => op.kind === 'apply' && op.specVersion === account.appliedVersion,
    );
    return applies.at(-1)?.spec;
  }

  /** Whether an operation the principal asks for waits in pending-approval. */
  async #needsApproval(
    principal: Requester | null | undefined,
    accountId: string,
    kind: OperationKind,
    spec: ResolvedTrailRequest,
  ): Promise<boolean> {
    if (!this.#approval || !principal) return false;
    if (kind !== 'apply' && kind !== 'destroy') return false;
    return needsApproval({
      principal,
      kind,
      previousSpec: kind === 'apply' ? await this.appliedSpec(accountId) : undefined,
      nextSpec: spec,
      config: this.#approval.config,
    }).required;
  }

  /**
   * Whether an apply of the account's current spec by this principal would wait for an approver, and
   * why; null when no approval policy is wired (an app built without security).
   */
  async applyApproval(
    principal: Principal | null | undefined,
    accountId: string,
    spec: ResolvedTrailRequest,
  ): Promise<{ required: boolean; reasons: string[] } | null> {
    if (!this.#approval || !principal) return null;
    return needsApproval({
      principal,
      kind: 'apply',
      previousSpec: await this.appliedSpec(accountId),
      nextSpec: spec,
      config: this.#approval.config,
    });
  }

  async #account(accountId: string): Promise<AccountRecord> {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account) {
      throw new DomainError(
        'trail_request_not_found',
        `Account ${accountId} has no trail request; PUT one first`,
      );
    }
    return account;
  }

  async #enqueue(input: {
    account: Pick<AccountRecord, 'accountId'>;
    kind: OperationKind;
    spec: ResolvedTrailRequest;
    specVersion: number;
    options: OperationOptions;
    wait: boolean | undefined;
    principal: Requester | null | undefined;
    needsApproval: boolean;
  }): Promise<OperationRecord> {
    // Refused now, with the missing piece named, rather than queued to fail in the engine.
    await this.#preflight?.();
    const { principal } = input;
    return this.#queue.enqueue({
      accountId: input.account.accountId,
      kind: input.kind,
      spec: input.spec,
      specVersion: input.specVersion,
      options: { ...input.options, ...(principal?.name ? { requestedByName: principal.name } : {}) },
      ...(input.wait === undefined ? {} : { wait: input.wait }),
      requestedBy: principal ? actorOf(principal) : undefined,
      needsApproval: input.needsApproval,
    });
  }

  /** Queues an operation on the account's current spec (or 412 when If-Match names another version). */
  async enqueueForAccount(
    accountId: string,
    kind: OperationKind,
    opts: {
      wait?: boolean;
      ifMatch?: string | undefined;
      retainData?: boolean;
      /** Who asks: recorded on the operation; decides whether it waits for approval. */
      principal?: Requester | null;
      /** apply: the preview it was confirmed from (409 when the account changed since). */
      previewId?: string | undefined;
    },
  ): Promise<OperationRecord> {
    const account = await this.#account(accountId);
    assertIfMatch(opts.ifMatch, account.specVersion, `the trail request of ${accountId}`);
    if (account.status === 'decommissioned') throw decommissionedError(accountId, kind);
    if (kind === 'apply' && opts.previewId) return this.#applyPreviewed(account, opts.previewId, opts);
    return this.#enqueue({
      account,
      kind,
      spec: account.spec,
      specVersion: account.specVersion,
      options: kind === 'destroy' ? { retainData: opts.retainData ?? true } : {},
      wait: opts.wait,
      principal: opts.principal,
      needsApproval: await this.#needsApproval(opts.principal, accountId, kind, account.spec),
    });
  }

  /**
   * A preview of a spec that is not stored (a draft from the form): nothing about the account changes,
   * not its spec, version or status. The caller has validated the draft as PUT would.
   */
  async previewDraft(
    accountId: string,
    draft: ResolvedTrailRequest,
    opts: { wait?: boolean; principal?: Requester | null },
  ): Promise<OperationRecord> {
    const account = await this.#stores.accounts.getAccount(accountId);
    return this.#enqueue({
      account: { accountId },
      kind: 'preview',
      spec: draft,
      // The version the draft would replace (0: none stored yet).
      specVersion: account?.specVersion ?? 0,
      options: {},
      wait: opts.wait,
      principal: opts.principal,
      needsApproval: false,
    });
  }

  /**
   * "Converge" from a drift report: a preview of the last applied (so approved) spec against the
   * account as it is. Its apply (POST …/applies?previewId=) then puts the account back there.
   * Whether the account has that report is the drift feature's to say (`hasReport`).
   */
  async convergePreview(
    accountId: string,
    driftReportId: string,
    opts: {
      wait?: boolean;
      principal?: Requester | null;
      hasReport: (accountId: string, reportId: string) => Promise<boolean>;
    },
  ): Promise<OperationRecord> {
    const account = await this.#account(accountId);
    if (!(await opts.hasReport(accountId, driftReportId))) {
      throw new DomainError(
        'drift_report_not_found',
        `Account ${accountId} has no drift report ${driftReportId}`,
      );
    }
    const spec = await this.appliedSpec(accountId);
    if (!spec || account.appliedVersion === null) {
      throw new DomainError(
        'nothing_applied',
        `Account ${accountId} has no applied spec to converge to; apply its trail request first`,
      );
    }
    return this.#enqueue({
      account,
      kind: 'preview',
      spec,
      specVersion: account.appliedVersion,
      options: { convergeOf: driftReportId },
      wait: opts.wait,
      principal: opts.principal,
      needsApproval: false,
    });
  }

  /**
   * An apply confirmed from a preview: of the previewed spec, refused (409 preview_stale) when the
   * stored spec or the account's recorded state changed since. The spec must be the stored one, or
   * (a converge preview) the applied one; the engine then checks the recorded state once more.
   */
  async #applyPreviewed(
    account: AccountRecord,
    previewId: string,
    opts: { wait?: boolean; principal?: Requester | null },
  ): Promise<OperationRecord> {
    const preview = await this.#stores.operations.getOperation(previewId);
    if (!preview || preview.accountId !== account.accountId || preview.kind !== 'preview') {
      throw new DomainError('preview_not_found', `Account ${account.accountId} has no preview ${previewId}`);
    }
    if (preview.state !== 'succeeded') {
      throw new DomainError('preview_not_succeeded', `Preview ${previewId} is ${preview.state}`);
    }
    const stale = (why: string) =>
      new DomainError('preview_stale', `${why} since preview ${previewId}; preview again before applying`);
    const previewed = canonicalJson(preview.spec);
    let specVersion: number;
    if (preview.options.convergeOf) {
      const applied = await this.appliedSpec(account.accountId);
      if (!applied || canonicalJson(applied) !== previewed || account.appliedVersion === null) {
        throw stale(`The applied spec of ${account.accountId} changed`);
      }
      specVersion = account.appliedVersion;
    } else {
      if (canonicalJson(account.spec) !== previewed) {
        throw stale(`The trail request of ${account.accountId} changed`);
      }
      specVersion = account.specVersion;
    }
    const since = (
      await this.#stores.operations.listAccountOperations(account.accountId, OPERATION_STATES)
    ).filter(
      (op) =>
        op.seq > preview.seq &&
        STATE_CHANGING.includes(op.kind) &&
        op.state !== 'pending-approval' &&
        !(op.state === 'cancelled' && op.startedAt === null),
    );
    if (since.length > 0) {
      throw stale(
        `The recorded state of ${account.accountId} changed (operation ${since[0]!.id}, ${since[0]!.kind})`,
      );
    }
    return this.#enqueue({
      account,
      kind: 'apply',
      spec: preview.spec,
      specVersion,
      options: {
        previewId,
        ...(preview.options.stateEtag ? { expectStateEtag: preview.options.stateEtag } : {}),
      },
      wait: opts.wait,
      principal: opts.principal,
      needsApproval: await this.#needsApproval(opts.principal, account.accountId, 'apply', preview.spec),
    });
  }

  /**
   * Remediation: an apply of the account's last applied (so approved) spec, never of a spec that is
   * still waiting; under the same approval rules (a re-apply of the applied spec needs none).
   * Undefined when nothing was applied.
   */
  async remediate(accountId: string, principal: Requester): Promise<OperationRecord | undefined> {
    const account = await this.#account(accountId);
    const spec = await this.appliedSpec(accountId);
    if (!spec || account.appliedVersion === null) return undefined;
    return this.#enqueue({
      account,
      kind: 'apply',
      spec,
      specVersion: account.appliedVersion,
      options: { remediation: true },
      wait: true,
      principal,
      needsApproval: await this.#needsApproval(principal, accountId, 'apply', spec),
    });
  }

  /** A drift check of the stored spec on behalf of the service (the reconciler). */
  async driftCheck(accountId: string, principal: Requester): Promise<OperationRecord> {
    const account = await this.#account(accountId);
    return this.#enqueue({
      account,
      kind: 'refresh-preview',
      spec: account.spec,
      specVersion: account.specVersion,
      options: {},
      wait: true,
      principal,
      needsApproval: false,
    });
  }

  /** The spec waiting to be applied, when the stored spec is not the applied one: its version and waiting applies. */
  async pendingSpec(
    accountId: string,
  ): Promise<{ specVersion: number; appliedVersion: number | null; waitingOperationIds: string[] } | null> {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account || account.specVersion === account.appliedVersion) return null;
    const waiting = (
      await this.#stores.operations.listAccountOperations(accountId, ['pending-approval'])
    ).filter((op) => op.kind === 'apply');
    return {
      specVersion: account.specVersion,
      appliedVersion: account.appliedVersion,
      waitingOperationIds: waiting.map((op) => op.id),
    };
  }

  /** Whether the principal may approve or reject the operation; the reason when not. */
  #approvalCheck(op: OperationRecord, principal: Principal) {
    return canApprove({
      approver: principal,
      requestedBy: op.requestedBy ?? 'system',
      accountId: op.accountId,
      accountGroups: this.#approval?.accountGroups ?? {},
    });
  }

  /** Operations waiting for approval that this principal may approve, oldest first, with what to judge them by. */
  async pendingApprovals(principal: Principal): Promise<PendingApproval[]> {
    const waiting = await this.#stores.operations.listOperationsInState('pending-approval');
    const out: PendingApproval[] = [];
    for (const op of waiting) {
      if (!this.#approvalCheck(op, principal).ok) continue;
      const account = await this.#stores.accounts.getAccount(op.accountId);
      const applied = (await this.appliedSpec(op.accountId)) ?? null;
      out.push({
        operation: op,
        requestedByName: op.options.requestedByName ?? null,
        appliedSpec: applied,
        appliedVersion: account?.appliedVersion ?? null,
        diff: op.kind === 'apply' ? specDiff(applied ?? {}, op.spec) : [],
        reasons:
          op.kind === 'destroy'
            ? ['decommissioning removes the trail']
            : applied
              ? weakeningChanges(applied, op.spec)
              : ['first apply of the account'],
        preview: await this.#previewOf(op),
      });
    }
    return out;
  }

  async #previewOf(op: OperationRecord): Promise<OperationRecord | null> {
    if (op.options.previewId)
      return (await this.#stores.operations.getOperation(op.options.previewId)) ?? null;
    const spec = canonicalJson(op.spec);
    const previews = (
      await this.#stores.operations.listAccountOperations(op.accountId, ['succeeded'])
    ).filter((p) => p.kind === 'preview' && canonicalJson(p.spec) === spec);
    return previews.at(-1) ?? null;
  }

  /**
   * Approves (it is queued) or rejects (it ends cancelled) an operation waiting in pending-approval.
   * 403 unless the principal may approve it: approver role, scoped to the account, not the requester.
   */
  async decide(
    id: string,
    decision: 'approve' | 'reject',
    principal: Principal,
    reason?: string,
  ): Promise<OperationRecord> {
    const op = await this.get(id);
    if (op.state !== 'pending-approval') {
      throw new DomainError(
        'operation_not_pending_approval',
        `Operation ${id} is ${op.state}, not pending-approval`,
      );
    }
    const check = this.#approvalCheck(op, principal);
    if (!check.ok) {
      throw new DomainError(
        'approval_not_allowed',
        `You cannot ${decision} operation ${id}: ${check.reason}.`,
      );
    }
    // What an approver sees (GET …/trail) is the current spec: approve only an apply of that one.
    const account = await this.#stores.accounts.getAccount(op.accountId);
    if (decision === 'approve' && op.kind === 'apply' && account?.specVersion !== op.specVersion) {
      throw new DomainError(
        'spec_changed',
        `The trail request of ${op.accountId} changed since operation ${id} was requested (version ` +
          `${op.specVersion}, now ${account?.specVersion}); reject it and request a new apply.`,
      );
    }
    return this.#queue.decide(id, decision, actorOf(principal), reason);
  }

  async get(id: string): Promise<OperationRecord> {
    const op = await this.#stores.operations.getOperation(id);
    if (!op) throw new DomainError('operation_not_found', `Operation ${id} not found`);
    return op;
  }

  cancel(id: string): Promise<OperationRecord> {
    return this.#queue.cancel(id);
  }

  /** Resolves with the operation once it is in a final state. */
  settled(id: string): Promise<OperationRecord> {
    return this.#queue.settled(id);
  }

  async retry(id: string, opts: { wait?: boolean; principal?: Requester | null }): Promise<OperationRecord> {
    const { principal } = opts;
    // A retry of an old apply or destroy must not act on an account decommissioned since.
    const op = await this.#stores.operations.getOperation(id);
    const account = op ? await this.#stores.accounts.getAccount(op.accountId) : undefined;
    if (op && account?.status === 'decommissioned') throw decommissionedError(op.accountId, op.kind);
    await this.#preflight?.();
    return this.#queue.retry(id, {
      ...(opts.wait === undefined ? {} : { wait: opts.wait }),
      requestedBy: principal ? actorOf(principal) : undefined,
      needsApproval: (op) => this.#needsApproval(principal, op.accountId, op.kind, op.spec),
    });
  }
}
