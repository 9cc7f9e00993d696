// Service tokens for automation: create (token shown once), list (never the secret), revoke.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BadRequestError, NotFoundError, problemResponses } from '../errors.ts';
import { requirePrincipal } from './plugin.ts';
import type { AccountGroups } from './principal.ts';
import {
  CreatedSchema,
  ServiceTokenList,
  ServiceTokenParams,
  ServiceTokenSchema,
  serviceTokenCreateBody,
} from './schemas.ts';
import { type ServiceTokenRecord, type TokenStore, tokenStatus } from './token-store.ts';

function view(t: ServiceTokenRecord, now = new Date()) {
  return { ...t, status: tokenStatus(t, now) };
}

export const serviceTokenRoutes: FastifyPluginAsyncTypebox<{
  tokens: TokenStore;
  maxDays: number;
  accountGroups?: AccountGroups;
  /** Called once a token is revoked (the authentication cache forgets it). */
  onRevoked?: (id: string) => void;
}> = async (app, { tokens, maxDays, accountGroups = {}, onRevoked }) => {
  const admin = { access: { role: 'admin' as const } };

  app.post(
    '/v1/service-tokens',
    {
      config: admin,
      schema: {
        tags: ['service-tokens'],
        summary: 'Create a service token for automation (admin); the token is shown once',
        body: serviceTokenCreateBody(accountGroups, maxDays),
        response: { 201: CreatedSchema, ...problemResponses(400) },
      },
    },
    async (req, reply) => {
      const principal = requirePrincipal(req);
      const unknown = (req.body.accounts ?? [])
        .filter((a) => a.startsWith('group:'))
        .filter((a) => !Object.hasOwn(accountGroups, a.slice(6)));
      if (unknown.length > 0) {
        throw new BadRequestError('unknown_account_group', `Unknown account groups: ${unknown.join(', ')}`);
      }
      const { token, record } = await tokens.create({
        name: req.body.name,
        roles: req.body.roles,
        accounts: req.body.accounts ?? [],
        expiresInDays: req.body.expiresInDays ?? Math.min(90, maxDays),
        createdBy: principal.id,
      });
      req.auditDetails = {
        serviceTokenId: record.id,
        name: record.name,
        roles: record.roles,
        accounts: record.accounts,
      };
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/v1/service-tokens/${record.id}`);
      return { token, serviceToken: view(record) };
    },
  );

  app.get(
    '/v1/service-tokens',
    {
      config: admin,
      schema: {
        tags: ['service-tokens'],
        summary: 'Service tokens (admin); never their secrets',
        response: { 200: ServiceTokenList },
      },
    },
    async () => {
      const now = new Date();
      return { items: (await tokens.list()).map((t) => view(t, now)) };
    },
  );

  // Where the Location of a created token points.
  app.get(
    '/v1/service-tokens/:id',
    {
      config: admin,
      schema: {
        tags: ['service-tokens'],
        summary: 'A service token (admin); never its secret',
        params: ServiceTokenParams,
        response: { 200: ServiceTokenSchema, ...problemResponses(404) },
      },
    },
    async (req) => {
      const record = await tokens.get(req.params.id);
      if (!record) throw new NotFoundError('service_token', `Service token ${req.params.id} not found`);
      return view(record);
    },
  );

  app.delete(
    '/v1/service-tokens/:id',
    {
      config: admin,
      schema: {
        tags: ['service-tokens'],
        summary: 'Revoke a service token (admin); it stops working at once',
        params: ServiceTokenParams,
        response: { 204: Type.Null(), ...problemResponses(404) },
      },
    },
    async (req, reply) => {
      const principal = requirePrincipal(req);
      const revoked = await tokens.revoke(req.params.id, principal.id);
      if (!revoked) throw new NotFoundError('service_token', `Service token ${req.params.id} not found`);
      onRevoked?.(revoked.id);
      req.auditDetails = { serviceTokenId: revoked.id, name: revoked.name };
      reply.code(204);
    },
  );
};
