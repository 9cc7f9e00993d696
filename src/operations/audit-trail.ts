// The audit trail of operations: an entry for every state change the queue reports. The queue's
// events are typed (OperationEventMap); the audit log is the lower layer both operations and auth
// write to, so the listener lives here, on the operations side.
import type { AuditStore } from '../audit/store.ts';
import type { Actor, OperationEventMap } from './queue.ts';
import type { OperationRecord } from './store.ts';

/** What this listener needs of the queue: its events, typed by OperationEventMap. */
interface OperationEvents {
  on<E extends keyof OperationEventMap>(event: E, fn: (...args: OperationEventMap[E]) => void): unknown;
  off<E extends keyof OperationEventMap>(event: E, fn: (...args: OperationEventMap[E]) => void): unknown;
}

/**
 * Appends an entry for every operation state change the queue reports: `operation.<state>` with the
 * operation id and kind, and the principal who asked or decided when there is one. Returns a function
 * that stops listening.
 */
export function auditOperationQueue(
  queue: OperationEvents,
  audit: Pick<AuditStore, 'append'>,
  log: { error(obj: object, msg: string): void },
): () => void {
  /** `state` is what the operation became; settled events carry their final state in the record. */
  const record = (op: OperationRecord, state: string, who?: Actor) => {
    audit
      .append({
        actor: who?.id ?? 'system',
        actorName: who?.name ?? null,
        action: `operation.${state}`,
        accountId: op.accountId,
        outcome: state,
        details: { operationId: op.id, kind: op.kind, ...(op.error ? { error: op.error.code } : {}) },
      })
      .catch((err: unknown) => log.error({ err, operationId: op.id }, 'could not append to the audit log'));
  };
  const onQueued = (op: OperationRecord, who: Actor | undefined) => record(op, 'queued', who);
  const onPending = (op: OperationRecord, who: Actor | undefined) => record(op, 'pending-approval', who);
  const onApproved = (op: OperationRecord, who: Actor) => record(op, 'approved', who);
  const onRejected = (op: OperationRecord, who: Actor) => record(op, 'rejected', who);
  const onStarted = (op: OperationRecord) => record(op, 'running');
  const onSettled = (op: OperationRecord) => record(op, op.state);
  queue.on('queued', onQueued);
  queue.on('pending-approval', onPending);
  queue.on('approved', onApproved);
  queue.on('rejected', onRejected);
  queue.on('started', onStarted);
  queue.on('settled', onSettled);
  return () => {
    queue.off('queued', onQueued);
    queue.off('pending-approval', onPending);
    queue.off('approved', onApproved);
    queue.off('rejected', onRejected);
    queue.off('started', onStarted);
    queue.off('settled', onSettled);
  };
}
