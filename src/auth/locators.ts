// Account locators for routes whose URL names no account.
import type { FastifyRequest } from 'fastify';
import type { AccountLocator } from './access.ts';

/**
 * The account of the operation named by `params.operationId`, looked up in the store. An unknown id
 * gives undefined: then only all-account principals pass (and get the handler's 404).
 */
export function operationAccount(store: {
  getOperation(id: string): Promise<{ accountId: string } | undefined>;
}): AccountLocator {
  return async (req: FastifyRequest) => {
    const params = req.params as { operationId?: unknown } | undefined;
    const id = params?.operationId;
    if (typeof id !== 'string' || id === '') return undefined;
    return (await store.getOperation(id))?.accountId;
  };
}
