// The drift report document: the one TypeBox schema of what a drift check stores and the API returns.
import { type Static, Type } from 'typebox';
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
