// KMS: keys and aliases.
import { randomUUID } from 'node:crypto';
import { resolveKmsKey, str, T } from '../core.ts';
import { all, inRange, oneOf, type ResourceSpec } from './spec.ts';

const defaultKeyPolicy = (accountId: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });

export const KMS: ResourceSpec[] = [
  {
    token: T.key,
    label: 'KMS Key',
    required: [],
    forceNew: ['customerMasterKeySpec', 'keyUsage', 'multiRegion', 'customKeyStoreId', 'xksKeyId', 'region'],
    defaults: {
      bypassPolicyLockoutSafetyCheck: false,
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: false,
      isEnabled: true,
      keyUsage: 'ENCRYPT_DECRYPT',
    },
    jsonProps: ['policy'],
    tags: true,
    validate: all(
      oneOf('keyUsage', ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT']),
      inRange('deletionWindowInDays', 7, 30),
    ),
    id: () => randomUUID(),
    outputs: (i, id, ctx) => ({
      keyId: id,
      arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:key/${id}`,
      policy: str(i.policy) ?? defaultKeyPolicy(ctx.accountId),
      multiRegion: i.multiRegion ?? false,
      description: i.description ?? '',
      rotationPeriodInDays: i.rotationPeriodInDays ?? (i.enableKeyRotation === true ? 365 : 0),
    }),
  },
  {
    token: T.alias,
    label: 'KMS Alias',
    required: ['targetKeyId'],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'alias',
    forceNew: ['name', 'namePrefix', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:${id}`,
      targetKeyArn: String(
        resolveKmsKey(ctx.state, String(i.targetKeyId), ctx.accountId, ctx.region)?.outputs.arn ?? '',
      ),
    }),
  },
];
