// IAM: roles and their inline policies (global, not regional).
import { randomBytes } from 'node:crypto';
import { T } from '../core.ts';
import { inRange, type ResourceSpec } from './spec.ts';

/** IAM's unique ids: a type prefix (AROA for roles) and base32 characters. */
function iamUniqueId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(17);
  return prefix + [...bytes].map((b) => alphabet[b % 32]).join('');
}

export const IAM: ResourceSpec[] = [
  {
    token: T.role,
    label: 'IAM Role',
    required: ['assumeRolePolicy'],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'path'],
    defaults: { path: '/', maxSessionDuration: 3600, forceDetachPolicies: false },
    jsonProps: ['assumeRolePolicy'],
    tags: true,
    validate: inRange('maxSessionDuration', 3600, 43200),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:iam::${ctx.accountId}:role${i.path ?? '/'}${id}`,
      uniqueId: ctx.prev?.uniqueId ?? iamUniqueId('AROA'),
      createDate: ctx.prev?.createDate ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      description: i.description ?? '',
    }),
  },
  {
    token: T.rolePolicy,
    label: 'IAM Role Policy',
    required: ['policy', 'role'],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'role'],
    defaults: {},
    jsonProps: ['policy'],
    tags: false,
    id: (i) => `${i.role}:${i.name}`,
  },
];
