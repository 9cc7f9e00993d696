// Creating and reading operations; the queue runs them.
import { assertIfMatch } from '../accounts/etag.ts';
import type { OperationKind } from '../engine/types.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import type { OperationQueue } from './queue.ts';

export class OperationService {
  readonly #store: Store;
  readonly #queue: OperationQueue;

  constructor(store: Store, queue: OperationQueue) {
    this.#store = store;
    this.#queue = queue;
  }

  /** Queues an operation on the account's current spec (or 412 when If-Match names another version). */
  async enqueueForAccount(
    accountId: string,
    kind: OperationKind,
    opts: { wait?: boolean; ifMatch?: string | undefined; retainData?: boolean },
  ): Promise<OperationRecord> {
    const account = await this.#store.getAccount(accountId);
    if (!account) {
      throw new NotFoundError('trail_request', `Account ${accountId} has no trail request; PUT one first`);
    }
    assertIfMatch(opts.ifMatch, account.specVersion, `the trail request of ${accountId}`);
    if (account.status === 'decommissioned' && kind !== 'destroy') {
      throw new ConflictError(
        'account_decommissioned',
        `Account ${accountId} is decommissioned; PUT its trail request again to manage it`,
      );
    }
    return this.#queue.enqueue({
      accountId,
      kind,
      spec: account.spec,
      specVersion: account.specVersion,
      options: kind === 'destroy' ? { retainData: opts.retainData ?? true } : {},
      ...(opts.wait === undefined ? {} : { wait: opts.wait }),
    });
  }

  async get(id: string): Promise<OperationRecord> {
    const op = await this.#store.getOperation(id);
    if (!op) throw new NotFoundError('operation', `Operation ${id} not found`);
    return op;
  }

  cancel(id: string): Promise<OperationRecord> {
    return this.#queue.cancel(id);
  }

  retry(id: string, opts: { wait?: boolean }): Promise<OperationRecord> {
    return this.#queue.retry(id, opts);
  }
}
