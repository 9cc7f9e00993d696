// The one definition of what a trail request is: the API validates with it, the OpenAPI
// document is generated from it, the form derives its client-side rules from that document,
// and the Pulumi program (stacks/) is typed by it.
import { type Static, Type } from 'typebox';

export const AWS_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-south-2',
  'eu-north-1',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'sa-east-1',
] as const;
export type AwsRegion = (typeof AWS_REGIONS)[number];

/** Retention values CloudWatch Logs accepts for a log group. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const AccountId = Type.String({
  pattern: '^[0-9]{12}$',
  maxLength: 12,
  description: 'AWS account id, 12 digits',
  examples: ['123456789012'],
});

export const Region = Type.Enum(AWS_REGIONS, { description: 'AWS region code' });

export const InsightType = Type.Enum(['ApiCallRateInsight', 'ApiErrorRateInsight'] as const);

export const DataEventKind = Type.Enum(['s3-object', 'lambda', 'dynamodb'] as const, {
  description: 's3-object: S3 object-level API; lambda: Invoke; dynamodb: item-level API',
});

export const Access = Type.Enum(['all', 'read-only', 'write-only'] as const, { default: 'all' });

export const DataEventScope = Type.Object(
  {
    kind: DataEventKind,
    resources: Type.Union(
      [
        Type.Literal('all'),
        Type.Array(Type.String({ pattern: '^arn:aws[a-z-]*:(s3|lambda|dynamodb):', maxLength: 2048 }), {
          minItems: 1,
          maxItems: 250,
          uniqueItems: true,
        }),
      ],
      {
        description:
          "'all', or ARNs: S3 bucket or bucket/prefix ARNs, Lambda function ARNs, DynamoDB table ARNs of this account",
      },
    ),
    access: Type.Optional(Access),
  },
  { additionalProperties: false },
);

export const ManagementEvents = Type.Object(
  {
    read: Type.Optional(Type.Boolean({ default: true })),
    write: Type.Optional(Type.Boolean({ default: true })),
    excludedSources: Type.Optional(
      Type.Array(Type.Enum(['kms.amazonaws.com', 'rdsdata.amazonaws.com'] as const), {
        maxItems: 2,
        uniqueItems: true,
        default: [],
        description: 'Event sources CloudTrail may leave out of management events (the only two it allows)',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const Notifications = Type.Object(
  {
    emails: Type.Optional(
      Type.Array(Type.String({ format: 'email', maxLength: 254 }), {
        maxItems: 20,
        uniqueItems: true,
        default: [],
      }),
    ),
    https: Type.Optional(
      Type.Array(Type.String({ pattern: '^https://[^\\s/$.?#].[^\\s]*$', maxLength: 2048 }), {
        maxItems: 20,
        uniqueItems: true,
        default: [],
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const Alarms = Type.Object(
  {
    set: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9-]{0,31}$',
        maxLength: 32,
        default: 'essentials',
        description: 'Name of an alarm set',
      }),
    ),
    profile: Type.Optional(
      Type.Enum(['securityhub', 'cis-1.2', 'hardened'] as const, {
        default: 'securityhub',
        description:
          "Wording of the filter patterns: 'securityhub' (the exact patterns Security Hub's CloudWatch controls check), 'cis-1.2' (CIS Benchmark v1.2.0) or 'hardened' (fewer false positives; fails those controls)",
      }),
    ),
    notify: Type.Optional(Notifications),
  },
  { additionalProperties: false, default: {} },
);

export const Retention = Type.Object(
  {
    archiveAfterDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90 })),
    expireAfterDays: Type.Optional(Type.Integer({ minimum: 2, maximum: 36500, default: 2557 })),
    // Security Hub CloudWatch.16: log groups should be retained for at least 1 year.
    cloudWatchLogsDays: Type.Optional(Type.Enum(LOG_RETENTION_DAYS, { default: 365 })),
  },
  { additionalProperties: false, default: {} },
);

export const ObjectLock = Type.Object(
  {
    mode: Type.Enum(['GOVERNANCE', 'COMPLIANCE'] as const),
    days: Type.Integer({ minimum: 1, maximum: 36500 }),
  },
  { additionalProperties: false },
);

export const Athena = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Athena over the log bucket (Glue table with partition projection, workgroup with encrypted results) for logs older than CloudWatch Logs keeps',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);
/**
 * AWS's tag rules (the same for CloudTrail, S3, KMS, IAM, CloudWatch Logs, SNS, EventBridge): key 1-128 and
 * value 0-256 Unicode characters; letters, numbers, spaces and _ . : / = + - @; the aws: prefix (any case)
 * is reserved; at most 50 tags per resource. See "Tag restrictions", AWS Batch User Guide
 * (https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html) and the KMS/CloudTrail API
 * Tag types (https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html). Patterns are compiled in
 * unicode mode (\p{…}); lengths are left to min/maxLength, so each mistake gets one message.
 */
// Spaces are \p{Zs}: AWS's \p{Z} also has the line and paragraph separators, which no one means in a tag.
const TAG_CHARACTERS = '[\\p{L}\\p{Zs}\\p{N}_.:/=+\\-@]';
export const TagKey = Type.String({
  minLength: 1,
  maxLength: 128,
  // Not aws: (AWS's, any case) nor trailwarden: (the marker tags every resource gets, stacks/naming.ts).
  pattern: `^(?![aA][wW][sS]:)(?!trailwarden:)${TAG_CHARACTERS}*$`,
});
export const TagValue = Type.String({
  maxLength: 256,
  pattern: `^(?![aA][wW][sS]:)${TAG_CHARACTERS}*$`,
});
/** AWS allows 50 tags per resource; 10 stay free for the tags Trailwarden itself puts on every resource. */
export const MAX_USER_TAGS = 40;

export const TrailRequest = Type.Object(
  {
    homeRegion: Region,
    regions: Type.Optional(
      Type.Union(
        [
          Type.Literal('all'),
          Type.Array(Region, { minItems: 1, maxItems: AWS_REGIONS.length, uniqueItems: true }),
        ],
        {
          default: 'all',
          description: "'all' for one multi-region trail, or the regions that each get a trail",
        },
      ),
    ),
    organizationTrail: Type.Optional(Type.Boolean({ default: false })),
    organizationId: Type.Optional(
      Type.String({
        pattern: '^o-[a-z0-9]{10,32}$',
        maxLength: 34,
        description:
          'AWS Organizations id; required with organizationTrail (the bucket policy admits its log paths)',
      }),
    ),
    managementEvents: Type.Optional(ManagementEvents),
    dataEvents: Type.Optional(Type.Array(DataEventScope, { maxItems: 20, default: [] })),
    insights: Type.Optional(
      Type.Array(InsightType, {
        maxItems: 2,
        uniqueItems: true,
        default: [],
        description: 'Insights types to enable; empty means off (Insights are billed)',
      }),
    ),
    alarms: Type.Optional(Alarms),
    retention: Type.Optional(Retention),
    objectLock: Type.Optional(ObjectLock),
    athena: Type.Optional(Athena),
    accessLogBucket: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
        maxLength: 63,
        description: 'Existing bucket that receives S3 server access logs of the log bucket',
      }),
    ),
    securityReaders: Type.Optional(
      // IAM ARNs are at most 2048 characters (IAM API Role/User: Arn length 20-2048).
      Type.Array(
        Type.String({
          pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\\w+=,.@/-]+$',
          maxLength: 2048,
        }),
        {
          maxItems: 20,
          uniqueItems: true,
          default: [],
          description: 'IAM principals allowed to read and decrypt the logs',
        },
      ),
    ),
    tags: Type.Optional(
      Type.Record(Type.String(), TagValue, {
        propertyNames: TagKey,
        maxProperties: MAX_USER_TAGS,
        default: {},
        description:
          `Tags for every resource: at most ${MAX_USER_TAGS}; keys 1-128 and values 0-256 letters, digits, ` +
          "spaces and _ . : / = + - @; keys and values must not start with aws: (AWS's) nor keys with " +
          "trailwarden: (the service's own tags)",
      }),
    ),
    acknowledgedGaps: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$', maxLength: 64 }), {
        maxItems: 50,
        uniqueItems: true,
        description:
          'Ids of alarms of the chosen set that this request knowingly blinds (see GET /v1/accounts/{id}/coverage); ' +
          'without them a request that blinds an alarm of its own set is refused',
      }),
    ),
  },
  { additionalProperties: false, $id: 'TrailRequest' },
);

/** A trail request as a caller may send it: fields with a default may be left out. */
export type TrailRequest = Static<typeof TrailRequest>;

type Filled<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]-?: Filled<Exclude<T[K], undefined>> }
    : T;

/** A trail request with every default applied: what the program and the stored spec use. */
export type ResolvedTrailRequest = Filled<
  Omit<TrailRequest, 'objectLock' | 'accessLogBucket' | 'organizationId' | 'acknowledgedGaps'>
> &
  Pick<TrailRequest, 'objectLock' | 'accessLogBucket' | 'organizationId' | 'acknowledgedGaps'>;
export type DataEventScope = Static<typeof DataEventScope>;
export type InsightType = Static<typeof InsightType>;

// ---- in HTTP: what every route about an account's trail request shares ----------------------

/** The shared TrailRequest schema (src/shared-schemas.ts): routes and schemas refer to it with sharedRef. */
export const TrailRequestSchema = { ...TrailRequest, $id: 'TrailRequest', title: 'TrailRequest' };

/** The `:accountId` of every /v1/accounts/{accountId}/… route. */
export const AccountParams = Type.Object({ accountId: AccountId });

/**
 * If-Match: `*`, or a comma-separated list of (weak or strong) entity tags (RFC 9110 section 13.1.1; ours
 * are "v<version>"). An empty one is refused on the field (400); any other value that names no current
 * version is 412, as the RFC has it (a list that matches nothing is a false condition), so the schema
 * needs no pattern for it. The one If-Match schema: every route that reads the header uses IfMatchHeaders.
 */
export const IfMatch = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    'ETag from a previous GET/PUT (e.g. "v3"), a comma-separated list of them, or *; 412 when none names the current version. Required to update an existing trail request (428 without it); not needed to create one.',
});

export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(IfMatch) });
