// The drift report document: the one TypeBox schema of what a drift check stores and the API returns.
import { type Static, Type } from 'typebox';
import { AccountStatusSchema, DriftSeveritySchema } from '../accounts/schemas.ts';
import { REMEDIATION_POLICIES } from '../accounts/store/account-store.ts';
import { NextCursorSchema } from '../openapi/cursor.ts';
import { page, pageQuery } from '../openapi/page.ts';
import { sharedRef } from '../schema-ref.ts';
import { AccountParams } from '../trail-request/schema.ts';
import { SEVERITIES } from './severity.ts';

/** One finding's severity (a drifted property, a deleted resource, a report's highest). */
export const SeveritySchema = Type.Enum(SEVERITIES, {
  description:
    'critical: the account is (partly) blinded; high: detection or evidence weakened; low: cosmetic',
});

export const DriftProperty = Type.Object(
  {
    path: Type.String({
      description: 'Pulumi property path',
      examples: ['enableLogging', 'tags.env', 'advancedEventSelectors[0].fieldSelectors'],
    }),
    change: Type.Enum(['changed', 'added', 'removed'] as const, {
      description: 'added: the cloud has a value the state did not record; removed: the cloud lost it',
    }),
    expected: Type.Unknown({
      description: 'Value the state recorded (null: absent). Secrets read "[secret]".',
    }),
    actual: Type.Unknown({ description: 'Value the cloud has now (null: absent). Secrets read "[secret]".' }),
    severity: SeveritySchema,
    rule: Type.Optional(Type.String({ description: 'Id of the severity rule that matched' })),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const DriftedResource = Type.Object(
  {
    urn: Type.String(),
    type: Type.String({ examples: ['aws:cloudtrail/trail:Trail'] }),
    name: Type.String({ description: 'Logical name (last URN segment)' }),
    id: Type.Union([Type.String(), Type.Null()], { description: 'Physical id' }),
    operation: Type.Enum(['modified', 'deleted'] as const),
    severity: SeveritySchema,
    rule: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    properties: Type.Array(DriftProperty),
  },
  { additionalProperties: false },
);

export const UnverifiedResource = Type.Object(
  {
    urn: Type.String(),
    type: Type.String(),
    name: Type.String(),
  },
  { additionalProperties: false, description: 'A resource the refresh could not read' },
);

export const DriftCounts = Type.Object(
  {
    critical: Type.Integer({ minimum: 0 }),
    high: Type.Integer({ minimum: 0 }),
    low: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, description: 'Drifted resources by severity' },
);

export const DriftFinding = Type.Object(
  {
    id: Type.String({ description: 'Stable id of the finding', examples: ['alarm-topic-unsubscribed'] }),
    severity: SeveritySchema,
    reason: Type.String(),
    urn: Type.String({ description: 'The resource the finding is about' }),
  },
  {
    additionalProperties: false,
    description:
      'A hole found in the state the refresh read, although nothing drifted (e.g. nobody receives the alarms)',
  },
);

export const AlarmDelivery = Type.Object(
  {
    topicUrn: Type.String({ description: "The first alarm topic read (the home Region's)" }),
    unconfirmedTopics: Type.Optional(
      Type.Array(
        Type.Object(
          { urn: Type.String(), region: Type.String(), count: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        { description: 'Topics (one per trail Region) with no confirmed subscription' },
      ),
    ),
    subscriptions: Type.Array(
      Type.Object(
        {
          urn: Type.String(),
          protocol: Type.String(),
          endpoint: Type.Optional(Type.String()),
          pendingConfirmation: Type.Boolean(),
          region: Type.Optional(Type.String({ description: 'The Region of the topic it belongs to' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The alarm topics' subscriptions as the refresh read them (pendingConfirmation: not confirmed yet)",
  },
);

export const DriftReport = Type.Object(
  {
    accountId: Type.String(),
    operationId: Type.Optional(Type.String()),
    checkedAt: Type.String({ format: 'date-time' }),
    clean: Type.Boolean({ description: 'No drift found and every resource could be read' }),
    severity: Type.Union([SeveritySchema, Type.Null()], {
      description: 'Highest severity; null when no drift',
    }),
    counts: DriftCounts,
    resources: Type.Array(DriftedResource),
    unverified: Type.Array(UnverifiedResource),
    findings: Type.Optional(Type.Array(DriftFinding)),
    alarmDelivery: Type.Optional(AlarmDelivery),
  },
  { additionalProperties: false, $id: 'DriftReport' },
);

export type DriftProperty = Static<typeof DriftProperty>;
export type DriftedResource = Static<typeof DriftedResource>;
export type UnverifiedResource = Static<typeof UnverifiedResource>;
export type DriftReport = Static<typeof DriftReport>;
export type DriftFinding = Static<typeof DriftFinding>;
export type AlarmDelivery = Static<typeof AlarmDelivery>;

// The drift API's request and response schemas.

export const StoredDriftReportSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Id of the stored report' }),
    ...DriftReport.properties,
    operationId: Type.Optional(
      Type.String({ description: 'The drift check (operation) that produced the report' }),
    ),
    links: Type.Optional(
      Type.Object({ operation: Type.String({ description: 'URL of the drift-check operation' }) }),
    ),
  },
  {
    additionalProperties: false,
    $id: 'StoredDriftReport',
    title: 'StoredDriftReport',
    description:
      'A drift report as stored after a drift check: resources deleted or changed out of band, each changed ' +
      'property with the recorded (expected) and the read (actual) value, and severities from the severity table',
  },
);

export const RemediationPolicySchema = Type.Enum(REMEDIATION_POLICIES, {
  description:
    'report: drift is reported, never changed (default); remediate: a reconciliation that finds drift applies ' +
    'the desired spec, then checks again; remediate-critical: only when the report severity is critical',
});

export const RemediationPolicyBody = Type.Object(
  { policy: RemediationPolicySchema },
  { additionalProperties: false },
);
export const RemediationPolicyState = Type.Object({
  accountId: Type.String(),
  policy: RemediationPolicySchema,
});

export const HistoryQuery = Type.Object(
  {
    ...pageQuery({ maximum: 100, default: 20 }),
    operationId: Type.Optional(
      Type.String({
        format: 'uuid',
        maxLength: 36,
        description: 'Only the report of this drift check (the operation links here once it succeeded)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const FleetDriftSchema = Type.Object(
  {
    counts: Type.Object(
      {
        critical: Type.Integer(),
        high: Type.Integer(),
        low: Type.Integer(),
        none: Type.Integer({ description: 'Accounts whose latest report is clean' }),
        unknown: Type.Integer({
          description: 'Never checked, or the latest check could not read everything',
        }),
      },
      { description: 'Accounts by the severity of their latest report' },
    ),
    accounts: Type.Array(
      Type.Object({
        accountId: Type.String(),
        severity: DriftSeveritySchema,
        checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        clean: Type.Union([Type.Boolean(), Type.Null()]),
        counts: Type.Union([DriftCounts, Type.Null()]),
        reportId: Type.Union([Type.String(), Type.Null()]),
        remediationPolicy: RemediationPolicySchema,
        status: AccountStatusSchema,
      }),
      { description: 'Worst severity first (critical, high, low, unknown, none), then by account id' },
    ),
    nextCursor: NextCursorSchema,
  },
  { $id: 'FleetDrift', title: 'FleetDrift' },
);

export const FleetQuery = Type.Object(
  {
    severity: Type.Optional(DriftSeveritySchema),
    status: Type.Optional(AccountStatusSchema),
    scope: Type.Optional(
      Type.String({
        pattern: '^([0-9]{1,12}|group:[A-Za-z0-9_.-]+)$',
        maxLength: 70,
        description: 'Account id prefix (digits), or group:<name> from ACCOUNT_GROUPS',
      }),
    ),
    ...pageQuery({ maximum: 500, default: 50 }),
  },
  { additionalProperties: false },
);

export const StoredDriftReportList = page(sharedRef(StoredDriftReportSchema));

export const PreviewParams = Type.Object({
  accountId: AccountParams.properties.accountId,
  reportId: Type.String({ format: 'uuid', maxLength: 36 }),
});
