// Trail requests of accounts, the account list and the account's external trails.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../errors.ts';
import { enqueueHandler } from '../operations/enqueue-route.ts';
import { OperationAccepted } from '../operations/schemas.ts';
import type { OperationService } from '../operations/service.ts';
import { sharedRef } from '../schema-ref.ts';
import { AccountParams, IfMatchHeaders, TrailRequestSchema } from '../trail-request/schema.ts';
import {
  AccountList,
  AccountListQuery,
  DecommissionQuery,
  ETagHeader,
  ExternalTrailsSchema,
  TrailStateSchema,
} from './schemas.ts';
import type { AccountService } from './service.ts';

export const accountRoutes: FastifyPluginAsyncTypebox<{
  accounts: AccountService;
  operations: Pick<OperationService, 'enqueueForAccount'>;
}> = async (app, { accounts, operations }) => {
  app.get(
    '/v1/accounts',
    {
      // Filtered to the caller's accounts.
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['accounts'],
        summary: 'Accounts with a trail request: status, last operation, drift',
        description: 'Ordered by account id. Pass nextCursor as cursor to get the next page.',
        querystring: AccountListQuery,
        response: {
          200: AccountList,
          ...problemResponses(400),
        },
      },
    },
    async (req) => accounts.list(req.query, req.accountScope()),
  );

  app.put(
    '/v1/accounts/:accountId/trail',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'Store the desired trail spec of an account',
        description:
          'Idempotent: the same spec keeps the version and ETag. Defaults are applied and stored. ' +
          'Updating an existing trail request needs If-Match with its ETag: 428 without it (no lost updates), ' +
          '412 when it names another version. Creating needs none. Nothing is deployed until an apply.',
        params: AccountParams,
        headers: IfMatchHeaders,
        body: sharedRef(TrailRequestSchema),
        response: {
          200: {
            description: 'Updated (or unchanged)',
            headers: ETagHeader,
            content: { 'application/json': { schema: sharedRef(TrailStateSchema) } },
          },
          201: {
            description: 'Created',
            headers: { ...ETagHeader, location: { type: 'string', description: 'URL of the trail request' } },
            content: { 'application/json': { schema: sharedRef(TrailStateSchema) } },
          },
          ...problemResponses(400, 412, 428),
        },
      },
    },
    async (req, reply) => {
      const { accountId } = req.params;
      const { outcome, state } = await accounts.putTrailRequest(
        accountId,
        req.body,
        req.headers['if-match'],
        req.principal,
      );
      // Knowingly blinded alarms are part of the spec the audit trail records.
      if (state.spec.acknowledgedGaps?.length)
        req.auditDetails = { specVersion: state.specVersion, acknowledgedGaps: state.spec.acknowledgedGaps };
      reply.header('etag', state.etag);
      if (outcome === 'created') reply.code(201).header('location', `/v1/accounts/${accountId}/trail`);
      return state;
    },
  );

  app.get(
    '/v1/accounts/:accountId/trail',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'Spec, status, last applied version and outputs of an account',
        params: AccountParams,
        response: {
          200: {
            description: 'The trail request and its state',
            headers: ETagHeader,
            content: { 'application/json': { schema: sharedRef(TrailStateSchema) } },
          },
          ...problemResponses(404),
        },
      },
    },
    async (req, reply) => {
      const state = await accounts.getTrail(req.params.accountId);
      reply.header('etag', state.etag);
      return state;
    },
  );

  app.delete(
    '/v1/accounts/:accountId/trail',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'Decommission the trail of an account (an operation)',
        description:
          'Queues a destroy operation. The log bucket and its KMS key are retained by default; ' +
          '`retainData=false` removes them too (the logs are lost).',
        params: AccountParams,
        headers: IfMatchHeaders,
        querystring: DecommissionQuery,
        response: { 202: OperationAccepted, ...problemResponses(404, 409, 412) },
      },
    },
    enqueueHandler(operations, 'destroy'),
  );

  app.get(
    '/v1/accounts/:accountId/external-trails',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['accounts'],
        summary: 'Trails of the account not managed by this service',
        params: AccountParams,
        response: { 200: sharedRef(ExternalTrailsSchema) },
      },
    },
    async (req) => ({ trails: await accounts.getExternalTrails(req.params.accountId) }),
  );

  app.put(
    '/v1/accounts/:accountId/external-trails',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['accounts'],
        summary: 'Replace the list of trails of the account not managed by this service',
        description:
          'The portal records here the trails the account has besides ours; the 5-trails-per-region check ' +
          'of PUT .../trail counts them (a multi-region trail counts in every region).',
        params: AccountParams,
        body: sharedRef(ExternalTrailsSchema),
        response: { 200: sharedRef(ExternalTrailsSchema), ...problemResponses(400) },
      },
    },
    async (req) => ({ trails: await accounts.putExternalTrails(req.params.accountId, req.body.trails) }),
  );
};
