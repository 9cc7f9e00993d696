import { Type } from 'typebox';
import { page, pageQuery } from '../openapi/page.ts';
import { OperationKindSchema, OperationSchema, WaitQuery } from '../operations/schemas.ts';
import { sharedRef } from '../schema-ref.ts';
import { AccountId, AWS_REGIONS, Region, TrailRequestSchema } from '../trail-request/schema.ts';
import { ACCOUNT_STATUSES, DRIFT_SEVERITIES } from './store/account-store.ts';

export const AccountStatusSchema = Type.Enum(ACCOUNT_STATUSES, {
  description:
    'pending: spec not applied yet; applying/decommissioning: an operation runs; applied; failed: the last apply or destroy did not succeed; decommissioned',
});

export const DriftSeveritySchema = Type.Enum(DRIFT_SEVERITIES, {
  description:
    'From the latest drift report: none (clean), low, high or critical (its highest severity); unknown when never checked or when resources could not be read',
});

export const DriftSchema = Type.Object({
  severity: DriftSeveritySchema,
  checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const TrailStateSchema = Type.Object(
  {
    accountId: AccountId,
    spec: sharedRef(TrailRequestSchema),
    specVersion: Type.Integer({ minimum: 1 }),
    etag: Type.String({ description: 'Send as If-Match to update only this version' }),
    status: AccountStatusSchema,
    appliedVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'Spec version last applied' }),
    upToDate: Type.Boolean({ description: 'The applied version is the current spec version' }),
    outputs: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description: 'Stack outputs of the last successful apply',
    }),
    drift: DriftSchema,
    lastOperation: Type.Union([sharedRef(OperationSchema), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'TrailState', title: 'TrailState' },
);

export const AccountSummarySchema = Type.Object(
  {
    accountId: AccountId,
    status: AccountStatusSchema,
    specVersion: Type.Integer(),
    appliedVersion: Type.Union([Type.Integer(), Type.Null()]),
    upToDate: Type.Boolean(),
    drift: DriftSchema,
    lastOperation: Type.Union([
      Type.Object({
        id: Type.String(),
        kind: Type.String(),
        state: Type.String(),
        createdAt: Type.String({ format: 'date-time' }),
        finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      }),
      Type.Null(),
    ]),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AccountSummary', title: 'AccountSummary' },
);

export const AccountListQuery = Type.Object(
  {
    ...pageQuery({ maximum: 200, default: 50 }),
    status: Type.Optional(AccountStatusSchema),
    drift: Type.Optional(DriftSeveritySchema),
    prefix: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,12}$', maxLength: 12, description: 'Account ids starting with this' }),
    ),
  },
  { additionalProperties: false },
);

export const AccountList = page(sharedRef(AccountSummarySchema));

export const DecommissionQuery = Type.Object(
  {
    retainData: Type.Optional(
      Type.Boolean({ default: true, description: 'false: also delete the log bucket and the key' }),
    ),
    wait: Type.Optional(WaitQuery),
  },
  { additionalProperties: false },
);

/** The ETag response header of the trail request routes (a plain OpenAPI header object). */
export const ETagHeader = {
  etag: { type: 'string', description: 'Version of the trail request; send it as If-Match' },
} as const;

export const ExternalTrailSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[\\w.-]{3,128}$',
      maxLength: 128,
      description: 'Trail name (for messages)',
    }),
    regions: Type.Union(
      [
        Type.Literal('all'),
        Type.Array(Region, { minItems: 1, maxItems: AWS_REGIONS.length, uniqueItems: true }),
      ],
      {
        description: "'all' for a multi-region trail, else the regions it is in",
      },
    ),
  },
  { additionalProperties: false },
);

export const ExternalTrailsSchema = Type.Object(
  {
    trails: Type.Array(ExternalTrailSchema, {
      maxItems: 200,
      description:
        'Trails of the account that this service does not manage (count toward 5 trails per region)',
    }),
  },
  { additionalProperties: false, $id: 'ExternalTrails', title: 'ExternalTrails' },
);

export const HistoryPageQuery = Type.Object(pageQuery({ maximum: 100, default: 20 }), {
  additionalProperties: false,
});

export const AccountOperationsQuery = Type.Object(
  { ...pageQuery({ maximum: 100, default: 20 }), kind: Type.Optional(OperationKindSchema) },
  { additionalProperties: false },
);

export const OperationsPage = page(sharedRef(OperationSchema));

export const SpecVersionSchema = Type.Object({
  version: Type.Integer(),
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'The trail request, defaults applied' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'Principal id; null when not known' }),
  createdByName: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'The version the account requests now' }),
  applied: Type.Boolean({ description: 'The version last applied' }),
});

export const VersionsPage = page(SpecVersionSchema);
