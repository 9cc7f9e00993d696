// Account locators for routes whose URL names no account.
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../errors.ts';
import type { AccountLocator } from './access.ts';

/**
 * The account of the operation named by `params.operationId`, looked up in the store. An unknown id
 * gives undefined: then only all-account principals pass (and get the handler's 404).
 */
export function operationAccount(stores: {
  operations: { getOperation(id: string): Promise<{ accountId: string } | undefined> };
}): AccountLocator {
  return async (req: FastifyRequest) => {
    const params = req.params as { operationId?: unknown } | undefined;
    const id = params?.operationId;
    if (typeof id !== 'string' || id === '') return undefined;
    return (await stores.operations.getOperation(id))?.accountId;
  };
}

/**
 * What a caller not scoped to an operation's account gets: exactly the 404 of an unknown id
 * (OperationService.get), so the answer reveals neither that the operation exists nor its account.
 */
export function hiddenOperation(req: FastifyRequest): NotFoundError {
  const id = (req.params as { operationId?: unknown } | undefined)?.operationId;
  return new NotFoundError('operation', `Operation ${String(id)} not found`);
}
