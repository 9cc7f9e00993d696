// The one handler of every route that queues an operation on an account's stored spec (previews,
// applies, drift checks, decommissions): the same options read the same way, one 202 answer.
import type { FastifyReply } from 'fastify';
import type { OperationKind } from '../engine/types.ts';
import { acceptedOperation, type OperationView } from './schemas.ts';
import type { OperationService, Requester } from './service.ts';

/** What the handler reads of a request; each route's schema has validated it. */
export interface EnqueueRequest {
  params: { accountId: string };
  query: { wait?: boolean | undefined; retainData?: boolean | undefined; previewId?: string | undefined };
  headers: { 'if-match'?: string | undefined };
  principal?: Requester | null;
}

export function enqueueHandler(
  operations: Pick<OperationService, 'enqueueForAccount'>,
  kind: OperationKind,
): (req: EnqueueRequest, reply: FastifyReply) => Promise<OperationView> {
  return async (req, reply) => {
    const { wait, retainData, previewId } = req.query;
    const op = await operations.enqueueForAccount(req.params.accountId, kind, {
      // Behind the account's queued or running operation unless the caller says not to.
      wait: wait ?? true,
      ifMatch: req.headers['if-match'],
      principal: req.principal ?? null,
      ...(retainData === undefined ? {} : { retainData }),
      ...(previewId === undefined ? {} : { previewId }),
    });
    return acceptedOperation(reply, op);
  };
}
