// Creating and reading operations; the queue runs them.
import { assertIfMatch } from '../accounts/etag.ts';
import { canApprove, needsApproval } from '../auth/approval.ts';
import type { ApprovalConfig } from '../auth/config.ts';
import { ForbiddenError } from '../auth/errors.ts';
import type { AccountGroups, Principal } from '../auth/principal.ts';
import type { OperationKind } from '../engine/types.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { Actor, OperationQueue } from './queue.ts';

/** The four-eyes policy (src/auth/approval.ts); without it (an app built without security) nothing waits. */
export interface ApprovalPolicy {
  config: ApprovalConfig;
  accountGroups: AccountGroups;
}

const actorOf = (p: Principal): Actor => ({ id: p.id, name: p.name, owner: p.owner });

/**
 * 409 for any operation on a decommissioned account; nothing runs. A second decommission has nothing
 * left to do (running one would create a new key and fail on the kept bucket).
 */
function decommissionedError(accountId: string, kind: OperationKind): ConflictError {
  return new ConflictError(
    'account_decommissioned',
    kind === 'destroy'
      ? `Account ${accountId} is already decommissioned; nothing was run. To manage it again, PUT its trail ` +
          'request and apply it.'
      : `Account ${accountId} is decommissioned; PUT its trail request again to manage it`,
  );
}

export class OperationService {
  readonly #store: Store;
  readonly #queue: OperationQueue;
  readonly #approval: ApprovalPolicy | undefined;

  constructor(store: Store, queue: OperationQueue, approval?: ApprovalPolicy) {
    this.#store = store;
    this.#queue = queue;
    this.#approval = approval;
  }

  /** The spec last applied to the account (its succeeded apply of the applied version), if any. */
  async #appliedSpec(accountId: string): Promise<ResolvedTrailRequest | undefined> {
    const account = await this.#store.getAccount(accountId);
    if (!account || account.appliedVersion === null || account.status === 'decommissioned') return undefined;
    const applies = (await this.#store.listAccountOperations(accountId, ['succeeded'])).filter(
      (op) => op.kind === 'apply' && op.specVersion === account.appliedVersion,
    );
    return applies.at(-1)?.spec;
  }

  /** Whether an operation the principal asks for waits in pending-approval. */
  async #needsApproval(
    principal: Principal | null | undefined,
    accountId: string,
    kind: OperationKind,
    spec: ResolvedTrailRequest,
  ): Promise<boolean> {
    if (!this.#approval || !principal) return false;
    if (kind !== 'apply' && kind !== 'destroy') return false;
    return needsApproval({
      principal,
      kind,
      previousSpec: kind === 'apply' ? await this.#appliedSpec(accountId) : undefined,
      nextSpec: spec,
      config: this.#approval.config,
    }).required;
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
      principal?: Principal | null;
    },
  ): Promise<OperationRecord> {
    const account = await this.#store.getAccount(accountId);
    if (!account) {
      throw new NotFoundError('trail_request', `Account ${accountId} has no trail request; PUT one first`);
    }
    assertIfMatch(opts.ifMatch, account.specVersion, `the trail request of ${accountId}`);
    if (account.status === 'decommissioned') throw decommissionedError(accountId, kind);
    return this.#queue.enqueue({
      accountId,
      kind,
      spec: account.spec,
      specVersion: account.specVersion,
      options: kind === 'destroy' ? { retainData: opts.retainData ?? true } : {},
      ...(opts.wait === undefined ? {} : { wait: opts.wait }),
      requestedBy: opts.principal ? actorOf(opts.principal) : undefined,
      needsApproval: await this.#needsApproval(opts.principal, accountId, kind, account.spec),
    });
  }

  /**
   * Approves (it is queued) or rejects (it ends cancelled) an operation waiting in pending-approval.
   * 403 unless the principal may approve it: approver role, scoped to the account, not the requester
   * (nor the owner of the requesting service token, nor a token the requester owns).
   */
  async decide(id: string, decision: 'approve' | 'reject', principal: Principal): Promise<OperationRecord> {
    const op = await this.get(id);
    if (op.state !== 'pending-approval') {
      throw new ConflictError(
        'operation_not_pending_approval',
        `Operation ${id} is ${op.state}, not pending-approval`,
      );
    }
    const check = canApprove({
      approver: principal,
      requestedBy: op.requestedBy
        ? { id: op.requestedBy, ...(op.requestedByOwner ? { owner: op.requestedByOwner } : {}) }
        : 'system',
      accountId: op.accountId,
      accountGroups: this.#approval?.accountGroups ?? {},
    });
    if (!check.ok) {
      throw new ForbiddenError(
        'approval_not_allowed',
        `You cannot ${decision} operation ${id}: ${check.reason}.`,
      );
    }
    // What an approver sees (GET …/trail) is the current spec: approve only an apply of that one.
    const account = await this.#store.getAccount(op.accountId);
    if (decision === 'approve' && op.kind === 'apply' && account?.specVersion !== op.specVersion) {
      throw new ConflictError(
        'spec_changed',
        `The trail request of ${op.accountId} changed since operation ${id} was requested (version ` +
          `${op.specVersion}, now ${account?.specVersion}); reject it and request a new apply.`,
      );
    }
    return this.#queue.decide(id, decision, actorOf(principal));
  }

  async get(id: string): Promise<OperationRecord> {
    const op = await this.#store.getOperation(id);
    if (!op) throw new NotFoundError('operation', `Operation ${id} not found`);
    return op;
  }

  cancel(id: string): Promise<OperationRecord> {
    return this.#queue.cancel(id);
  }

  async retry(id: string, opts: { wait?: boolean; principal?: Principal | null }): Promise<OperationRecord> {
    const { principal } = opts;
    // A retry of an old apply or destroy must not act on an account decommissioned since.
    const op = await this.#store.getOperation(id);
    const account = op ? await this.#store.getAccount(op.accountId) : undefined;
    if (op && account?.status === 'decommissioned') throw decommissionedError(op.accountId, op.kind);
    return this.#queue.retry(id, {
      ...(opts.wait === undefined ? {} : { wait: opts.wait }),
      requestedBy: principal ? actorOf(principal) : undefined,
      needsApproval: (op) => this.#needsApproval(principal, op.accountId, op.kind, op.spec),
    });
  }
}
