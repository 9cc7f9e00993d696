// An account's history: its operations (newest first) and the stored versions of its trail request
// with who stored them, both paginated.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError, problemResponses } from '../errors.ts';
import { decodeSeqCursor, encodeSeqCursor } from '../openapi/cursor.ts';
import { operationView } from '../operations/schemas.ts';
import { OPERATION_STATES, type OperationStore } from '../operations/store.ts';
import { AccountParams } from '../trail-request/schema.ts';
import { AccountOperationsQuery, HistoryPageQuery, OperationsPage, VersionsPage } from './schemas.ts';
import type { SpecVersionStore } from './spec-versions.ts';
import type { AccountStore } from './store/account-store.ts';

// The one cursor format (src/openapi/cursor.ts): the seq (or version) of the page's last item.
const encode = encodeSeqCursor;
const decode = (cursor: string | undefined): number | undefined =>
  cursor === undefined ? undefined : decodeSeqCursor(cursor);

export const accountHistoryRoutes: FastifyPluginAsyncTypebox<{
  stores: { accounts: AccountStore; operations: OperationStore };
  versions: SpecVersionStore;
}> = async (app, { stores, versions }) => {
  const requireAccount = async (accountId: string) => {
    const account = await stores.accounts.getAccount(accountId);
    if (!account) throw new NotFoundError('trail_request', `Account ${accountId} has no trail request`);
    return account;
  };

  app.get(
    '/v1/accounts/:accountId/operations',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['operations'],
        summary: "The account's operations, newest first",
        params: AccountParams,
        querystring: AccountOperationsQuery,
        response: { 200: OperationsPage, ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const { accountId } = req.params;
      await requireAccount(accountId);
      const limit = req.query.limit ?? 20;
      const before = decode(req.query.cursor);
      const all = (await stores.operations.listAccountOperations(accountId, OPERATION_STATES))
        .filter((op) => (req.query.kind ? op.kind === req.query.kind : true))
        .filter((op) => (before === undefined ? true : op.seq < before))
        .sort((a, b) => b.seq - a.seq);
      const page = all.slice(0, limit);
      return {
        items: page.map(operationView),
        nextCursor: all.length > limit && page.length ? encode(page.at(-1)!.seq) : null,
      };
    },
  );

  app.get(
    '/v1/accounts/:accountId/trail/versions',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'Stored versions of the trail request, newest first, with who stored each',
        params: AccountParams,
        querystring: HistoryPageQuery,
        response: { 200: VersionsPage, ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const account = await requireAccount(req.params.accountId);
      const limit = req.query.limit ?? 20;
      const before = decode(req.query.cursor);
      const rows = await versions.list(account.accountId, { limit: limit + 1, beforeVersion: before });
      // The current version is always there, even when it was stored before versions were kept.
      if (
        (before === undefined || account.specVersion < before) &&
        !rows.some((r) => r.version === account.specVersion)
      ) {
        rows.unshift({
          accountId: account.accountId,
          version: account.specVersion,
          spec: account.spec,
          createdAt: account.updatedAt,
          createdBy: null,
          createdByName: null,
        });
      }
      const page = rows.slice(0, limit);
      return {
        items: page.map((v) => ({
          version: v.version,
          spec: v.spec as unknown as Record<string, unknown>,
          createdAt: v.createdAt,
          createdBy: v.createdBy,
          createdByName: v.createdByName,
          current: v.version === account.specVersion,
          applied: v.version === account.appliedVersion,
        })),
        nextCursor: rows.length > limit && page.length ? encode(page.at(-1)!.version) : null,
      };
    },
  );
};
