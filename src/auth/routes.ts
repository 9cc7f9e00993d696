// Service tokens for automation: create (token shown once), list (never the secret), revoke.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BadRequestError, NotFoundError, problemResponses } from '../errors.ts';
import { requirePrincipal } from './plugin.ts';
import { type AccountGroups, ROLES } from './principal.ts';
import { type ServiceTokenRecord, type TokenStore, tokenStatus } from './token-store.ts';

export const AccountGrant = Type.String({
  pattern: '^([0-9]{12}|\\*|group:[A-Za-z0-9_.-]{1,64})$',
  maxLength: 70,
  description: "An account id, 'group:<name>' (configured account group) or '*' (all accounts)",
});

/** AccountGrant naming only the configured groups, so the schema itself refuses an unknown one. */
export function accountGrantOf(groups: AccountGroups) {
  const names = Object.keys(groups).map((g) => g.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
  return Type.String({
    maxLength: 70,
    pattern: names.length > 0 ? `^([0-9]{12}|\\*|group:(${names.join('|')}))$` : '^([0-9]{12}|\\*)$',
    description:
      names.length > 0
        ? `An account id, '*' (all accounts) or a configured account group: ${Object.keys(groups)
            .map((g) => `group:${g}`)
            .join(', ')}`
        : "An account id or '*' (all accounts); no account groups are configured (ACCOUNT_GROUPS)",
  });
}

export const ServiceTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    roles: Type.Array(Type.Enum(ROLES)),
    accounts: Type.Array(Type.String()),
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revokedBy: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum(['active', 'expired', 'revoked'] as const),
  },
  { $id: 'ServiceToken' },
);

const CreatedSchema = Type.Object(
  {
    token: Type.String({ description: 'The secret: shown only in this response; store it now' }),
    serviceToken: ServiceTokenSchema,
  },
  { $id: 'ServiceTokenCreated' },
);

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
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w .:@/-]+$' }),
            roles: Type.Array(Type.Enum(ROLES), { minItems: 1, maxItems: ROLES.length, uniqueItems: true }),
            // A default makes a field optional (what a generated client reads from `required`).
            accounts: Type.Optional(
              Type.Array(accountGrantOf(accountGroups), { uniqueItems: true, maxItems: 500, default: [] }),
            ),
            expiresInDays: Type.Optional(
              Type.Integer({ minimum: 1, maximum: maxDays, default: Math.min(90, maxDays) }),
            ),
          },
          { additionalProperties: false },
        ),
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
        response: { 200: Type.Object({ items: Type.Array(ServiceTokenSchema) }) },
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
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$', maxLength: 16 }) }),
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
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$', maxLength: 16 }) }),
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
