// The service-token API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { type AccountGroups, ROLES } from './principal.ts';

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

export const CreatedSchema = Type.Object(
  {
    token: Type.String({ description: 'The secret: shown only in this response; store it now' }),
    serviceToken: ServiceTokenSchema,
  },
  { $id: 'ServiceTokenCreated' },
);

/** The body of POST /v1/service-tokens: grants limited to the configured groups, lifetime to maxDays. */
export function serviceTokenCreateBody(accountGroups: AccountGroups, maxDays: number) {
  return Type.Object(
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
  );
}

export const ServiceTokenList = Type.Object({ items: Type.Array(ServiceTokenSchema) });

export const ServiceTokenParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{16}$', maxLength: 16 }),
});
