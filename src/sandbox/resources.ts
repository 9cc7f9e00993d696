// Per-type behaviour of the sandbox AWS provider, kept as data: required inputs, the validation the
// real API (or the Terraform provider in front of it) performs, force-new properties, defaults, id
// format, computed outputs in AWS formats, and create-time preconditions that the real service checks.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Ctx, type Failure, resolveKmsKey, str, T, UNKNOWN } from './core.ts';
import { checkFailures, enforceRules, type Op, validateBucketName } from './rules.ts';
import type { Props } from './state.ts';

export { AwsApiError, type Ctx, type Failure, isUnknown, resolveKmsKey, UNKNOWN } from './core.ts';

export interface ResourceSpec {
  token: string;
  /** Human name used in error messages, as the Terraform provider words it. */
  label: string;
  required: string[];
  /** The name property the bridge autonames when absent. */
  nameProp?: string;
  /** Property holding a user prefix for the generated name. */
  prefixProp?: string;
  /** How the autoname is built from the resource's URN name. */
  autoname?: 'plain' | 'lower' | 'alias' | 'none';
  forceNew: string[];
  /** Terraform schema defaults, filled into the checked inputs. */
  defaults: Props;
  /** Properties holding JSON documents: must parse; compared semantically. */
  jsonProps: string[];
  /** Schema validation (enums, ranges) besides the AWS rules of rules.ts. */
  validate?: (inputs: Props) => Failure[];
  tags: boolean;
  /** The resource id, computed at create time. */
  id: (inputs: Props, ctx: Ctx) => string;
  /** Computed outputs (besides the inputs, which are always echoed). */
  outputs?: (inputs: Props, id: string, ctx: Ctx) => Props;
  /** Service-side checks before create/update besides the rules of rules.ts; throw AwsApiError. */
  precondition?: (inputs: Props, ctx: Ctx, op: Op, id?: string) => void;
}

/** All validation of a resource's inputs: the AWS rules (rules.ts), then the schema's own. */
export function validateInputs(spec: ResourceSpec, inputs: Props): Failure[] {
  return [...checkFailures(spec.token, inputs), ...(spec.validate?.(inputs) ?? [])];
}

/** Runs the AWS rules (rules.ts) and the spec's own precondition before a create or update. */
export function preconditions(spec: ResourceSpec, inputs: Props, ctx: Ctx, op: Op, id?: string): void {
  const name = String(inputs[spec.nameProp ?? ''] ?? inputs.bucket ?? inputs.arn ?? id ?? '');
  enforceRules(spec.token, spec.label, name, inputs, ctx, op, id);
  spec.precondition?.(inputs, ctx, op, id);
}

// ---- helpers -------------------------------------------------------------------------------------

function oneOf(prop: string, values: readonly (string | number)[]) {
  return (inputs: Props): Failure[] => {
    const v = inputs[prop];
    if (v === undefined || v === null || v === UNKNOWN) return [];
    return values.includes(v as string)
      ? []
      : [{ property: prop, reason: `expected ${prop} to be one of [${values.join(' ')}], got ${v}` }];
  };
}

const all =
  (...fns: ((i: Props) => Failure[])[]) =>
  (i: Props) =>
    fns.flatMap((f) => f(i));

function randomKeyId(): string {
  return randomUUID();
}

function iamUniqueId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(17);
  return prefix + [...bytes].map((b) => alphabet[b % 32]).join('');
}

/** S3 bucket sub-resources: one per bucket, id = bucket name, written with an idempotent Put* call. */
function bucketScoped(
  token: string,
  label: string,
  _call: string,
  extra: Partial<ResourceSpec> = {},
): ResourceSpec {
  return {
    token,
    label,
    required: ['bucket'],
    forceNew: ['bucket', 'expectedBucketOwner', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    validate: (i) => validateBucketName(i),
    id: (i) => String(i.bucket),
    ...extra,
  };
}

const trailDefaults = {
  enableLogging: true,
  includeGlobalServiceEvents: true,
  isMultiRegionTrail: false,
  isOrganizationTrail: false,
  enableLogFileValidation: false,
};

const trailArn = (inputs: Props, ctx: Ctx) =>
  `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${inputs.name}`;

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

const defaultTopicPolicy = (arn: string, accountId: string) =>
  JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });

const S3_HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z3AQBSTGFYJSTF',
  'us-east-2': 'Z2O1EMRO9K5GLX',
  'us-west-1': 'Z2F56UZL2M1ACD',
  'us-west-2': 'Z3BJ6K6RIION7M',
  'eu-west-1': 'Z1BKCTXD74EZPE',
  'eu-west-2': 'Z3GKZC51ZF0DB4',
  'eu-west-3': 'Z3R1K369G5AVDG',
  'eu-central-1': 'Z21DNDUVLTQW6Q',
  'eu-north-1': 'Z3BAZG2TWCNX0D',
  'ap-southeast-1': 'Z3O0J2DXBE1FTB',
  'ap-southeast-2': 'Z1WCIGYICN2BYD',
  'ap-northeast-1': 'Z2M4EHUR26P7ZW',
};

const RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

// ---- the table -----------------------------------------------------------------------------------

const specs: ResourceSpec[] = [
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
      (i) => {
        const d = i.deletionWindowInDays;
        return typeof d === 'number' && (d < 7 || d > 30)
          ? [
              {
                property: 'deletionWindowInDays',
                reason: `expected deletionWindowInDays to be in the range (7 - 30), got ${d}`,
              },
            ]
          : [];
      },
    ),
    id: () => randomKeyId(),
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
  {
    token: T.bucket,
    label: 'S3 Bucket',
    required: [],
    nameProp: 'bucket',
    prefixProp: 'bucketPrefix',
    autoname: 'lower',
    forceNew: ['bucket', 'bucketPrefix', 'objectLockEnabled', 'region', 'bucketNamespace'],
    defaults: { forceDestroy: false },
    jsonProps: ['policy'],
    tags: true,
    id: (i) => String(i.bucket),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:s3:::${id}`,
      bucketDomainName: `${id}.s3.amazonaws.com`,
      bucketRegionalDomainName: `${id}.s3.${ctx.region}.amazonaws.com`,
      bucketRegion: ctx.region,
      hostedZoneId: S3_HOSTED_ZONES[ctx.region] ?? 'Z3AQBSTGFYJSTF',
      objectLockEnabled: i.objectLockEnabled ?? false,
      requestPayer: i.requestPayer ?? 'BucketOwner',
      bucketNamespace: i.bucketNamespace ?? 'global',
    }),
  },
  bucketScoped('aws:s3/bucketVersioning:BucketVersioning', 'S3 Bucket Versioning', 'PutBucketVersioning', {
    required: ['bucket', 'versioningConfiguration'],
    validate: all(
      (i) => validateBucketName(i),
      (i) => {
        const s = (i.versioningConfiguration as Props | undefined)?.status;
        return s === undefined || s === UNKNOWN || ['Enabled', 'Suspended', 'Disabled'].includes(s as string)
          ? []
          : [
              {
                property: 'versioningConfiguration.status',
                reason: `expected status to be one of [Enabled Suspended Disabled], got ${s}`,
              },
            ];
      },
    ),
  }),
  bucketScoped(
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    'S3 Bucket Server-side Encryption Configuration',
    'PutBucketEncryption',
    { required: ['bucket', 'rules'] },
  ),
  bucketScoped(
    'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
    'S3 Bucket Public Access Block',
    'PutPublicAccessBlock',
    {
      forceNew: ['bucket', 'region'],
      defaults: {
        blockPublicAcls: false,
        blockPublicPolicy: false,
        ignorePublicAcls: false,
        restrictPublicBuckets: false,
      },
    },
  ),
  bucketScoped(
    'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
    'S3 Bucket Ownership Controls',
    'PutBucketOwnershipControls',
    {
      required: ['bucket', 'rule'],
      forceNew: ['bucket', 'region'],
      validate: all(
        (i) => validateBucketName(i),
        (i) => {
          const o = (i.rule as Props | undefined)?.objectOwnership;
          return o === undefined ||
            o === UNKNOWN ||
            ['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'].includes(o as string)
            ? []
            : [
                {
                  property: 'rule.objectOwnership',
                  reason: `expected objectOwnership to be one of [BucketOwnerPreferred ObjectWriter BucketOwnerEnforced], got ${o}`,
                },
              ];
        },
      ),
    },
  ),
  bucketScoped('aws:s3/bucketPolicy:BucketPolicy', 'S3 Bucket Policy', 'PutBucketPolicy', {
    required: ['bucket', 'policy'],
    forceNew: ['bucket', 'region'],
    jsonProps: ['policy'],
  }),
  bucketScoped(
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
    'S3 Bucket Lifecycle Configuration',
    'PutBucketLifecycleConfiguration',
    { defaults: { transitionDefaultMinimumObjectSize: 'all_storage_classes_128K' } },
  ),
  bucketScoped(
    'aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration',
    'S3 Bucket Object Lock Configuration',
    'PutObjectLockConfiguration',
    { defaults: { objectLockEnabled: 'Enabled' } },
  ),
  bucketScoped('aws:s3/bucketLogging:BucketLogging', 'S3 Bucket Logging', 'PutBucketLogging', {
    required: ['bucket', 'targetBucket', 'targetPrefix'],
  }),
  {
    token: T.trail,
    label: 'CloudTrail Trail',
    required: ['s3BucketName'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: trailDefaults,
    jsonProps: [],
    tags: true,
    id: (i, ctx) => trailArn(i, ctx),
    outputs: (i, id, ctx) => {
      const sns = str(i.snsTopicName);
      return {
        arn: id,
        homeRegion: ctx.region,
        snsTopicArn: sns
          ? sns.startsWith('arn:')
            ? sns
            : `arn:aws:sns:${ctx.region}:${ctx.accountId}:${sns}`
          : undefined,
      };
    },
  },
  {
    token: T.logGroup,
    label: 'CloudWatch Logs Log Group',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'logGroupClass', 'region'],
    defaults: { retentionInDays: 0, skipDestroy: false },
    jsonProps: [],
    tags: true,
    validate: all(
      oneOf('retentionInDays', RETENTION_DAYS),
      oneOf('logGroupClass', ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']),
    ),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${id}`,
      logGroupClass: i.logGroupClass ?? 'STANDARD',
      kmsKeyId: i.kmsKeyId ?? '',
      deletionProtectionEnabled: i.deletionProtectionEnabled ?? false,
    }),
  },
  {
    token: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
    label: 'CloudWatch Logs Metric Filter',
    required: ['logGroupName', 'metricTransformation', 'pattern'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'logGroupName', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    validate: (i) => {
      const v = str(i.name);
      return v !== undefined && (v.length < 1 || v.length > 512 || /[:*]/.test(v))
        ? [
            {
              property: 'name',
              reason: `invalid CloudWatch Logs metric filter name ${JSON.stringify(v)}: 1 to 512 characters, no : or *`,
            },
          ]
        : [];
    },
    id: (i) => String(i.name),
  },
  {
    token: 'aws:cloudwatch/metricAlarm:MetricAlarm',
    label: 'CloudWatch Metric Alarm',
    required: ['comparisonOperator', 'evaluationPeriods'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: { actionsEnabled: true, treatMissingData: 'missing' },
    jsonProps: [],
    tags: true,
    validate: all(
      (i) => {
        const v = str(i.name);
        return v !== undefined && (v.length < 1 || v.length > 255)
          ? [
              {
                property: 'name',
                reason: `invalid CloudWatch alarm name ${JSON.stringify(v)}: must be 1 to 255 characters long`,
              },
            ]
          : [];
      },
      oneOf('comparisonOperator', [
        'GreaterThanOrEqualToThreshold',
        'GreaterThanThreshold',
        'LessThanThreshold',
        'LessThanOrEqualToThreshold',
        'LessThanLowerOrGreaterThanUpperThreshold',
        'LessThanLowerThreshold',
        'GreaterThanUpperThreshold',
      ]),
      oneOf('treatMissingData', ['missing', 'ignore', 'breaching', 'notBreaching']),
    ),
    id: (i) => String(i.name),
    outputs: (_i, id, ctx) => ({ arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${id}` }),
  },
  {
    token: T.eventRule,
    label: 'EventBridge Rule',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'eventBusName', 'region'],
    defaults: { eventBusName: 'default', forceDestroy: false },
    jsonProps: ['eventPattern'],
    tags: true,
    validate: all(
      oneOf('state', ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']),
      (i) =>
        i.eventPattern === undefined && i.scheduleExpression === undefined
          ? [
              {
                property: 'eventPattern',
                reason: 'one of `eventPattern,scheduleExpression` must be specified',
              },
            ]
          : [],
    ),
    id: (i) =>
      i.eventBusName && i.eventBusName !== 'default' ? `${i.eventBusName}/${i.name}` : String(i.name),
    outputs: (i, _id, ctx) => ({
      arn:
        i.eventBusName && i.eventBusName !== 'default'
          ? `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${i.eventBusName}/${i.name}`
          : `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${i.name}`,
      state: i.state ?? (i.isEnabled === false ? 'DISABLED' : 'ENABLED'),
      description: i.description ?? '',
    }),
  },
  {
    token: 'aws:cloudwatch/eventTarget:EventTarget',
    label: 'EventBridge Target',
    required: ['arn', 'rule'],
    nameProp: 'targetId',
    autoname: 'plain',
    forceNew: ['rule', 'targetId', 'eventBusName', 'region'],
    defaults: { eventBusName: 'default', forceDestroy: false },
    jsonProps: [],
    tags: false,
    id: (i) =>
      i.eventBusName && i.eventBusName !== 'default'
        ? `${i.eventBusName}/${i.rule}/${i.targetId}`
        : `${i.rule}-${i.targetId}`,
  },
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
    validate: all((i) => {
      const m = i.maxSessionDuration;
      return typeof m === 'number' && (m < 3600 || m > 43200)
        ? [
            {
              property: 'maxSessionDuration',
              reason: `expected maxSessionDuration to be in the range (3600 - 43200), got ${m}`,
            },
          ]
        : [];
    }),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:iam::${ctx.accountId}:role${i.path ?? '/'}${id}`,
      uniqueId: ctx.prev?.uniqueId ?? iamUniqueId('AROA'),
      createDate: ctx.prev?.createDate ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      description: i.description ?? '',
    }),
  },
  {
    token: 'aws:iam/rolePolicy:RolePolicy',
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
  {
    token: T.topic,
    label: 'SNS Topic',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'fifoTopic', 'region'],
    defaults: { fifoTopic: false, contentBasedDeduplication: false },
    jsonProps: ['policy', 'deliveryPolicy', 'archivePolicy'],
    tags: true,
    id: (i, ctx) => `arn:aws:sns:${ctx.region}:${ctx.accountId}:${i.name}`,
    outputs: (i, id, ctx) => ({
      arn: id,
      owner: ctx.accountId,
      policy: str(i.policy) ?? defaultTopicPolicy(id, ctx.accountId),
      signatureVersion: i.signatureVersion ?? 1,
      beginningArchiveTime: '',
    }),
  },
  {
    token: 'aws:sns/topicPolicy:TopicPolicy',
    label: 'SNS Topic Policy',
    required: ['arn', 'policy'],
    forceNew: ['arn', 'region'],
    defaults: {},
    jsonProps: ['policy'],
    tags: false,
    id: (i) => String(i.arn),
    outputs: (_i, _id, ctx) => ({ owner: ctx.accountId }),
  },
  {
    token: 'aws:sns/topicSubscription:TopicSubscription',
    label: 'SNS Topic Subscription',
    required: ['endpoint', 'protocol', 'topic'],
    forceNew: ['endpoint', 'protocol', 'topic', 'region'],
    defaults: { rawMessageDelivery: false, endpointAutoConfirms: false, confirmationTimeoutInMinutes: 1 },
    jsonProps: ['filterPolicy', 'deliveryPolicy', 'redrivePolicy', 'replayPolicy'],
    tags: false,
    validate: oneOf('protocol', [
      'application',
      'email',
      'email-json',
      'firehose',
      'http',
      'https',
      'lambda',
      'sms',
      'sqs',
    ]),
    id: (i) => `${i.topic}:${randomUUID()}`,
    outputs: (i, id, ctx) => {
      // Subscribe: email, email-json and http(s) endpoints (and endpoints of another account) stay
      // pending until the endpoint owner calls ConfirmSubscription (`npm run sandbox --
      // confirm-subscription`); an http(s) endpoint that confirms itself is declared by
      // endpointAutoConfirms. A confirmation survives updates.
      const topicAccount = /^arn:aws[\w-]*:sns:[^:]+:(\d{12}):/.exec(String(i.topic))?.[1];
      const needsConfirmation =
        ['email', 'email-json'].includes(String(i.protocol)) ||
        (['http', 'https'].includes(String(i.protocol)) && i.endpointAutoConfirms !== true) ||
        (topicAccount !== undefined && topicAccount !== ctx.accountId);
      const pending = needsConfirmation && ctx.prev?.pendingConfirmation !== false;
      return {
        arn: id,
        ownerId: ctx.accountId,
        pendingConfirmation: pending,
        confirmationWasAuthenticated: ctx.prev?.confirmationWasAuthenticated === true || !needsConfirmation,
        filterPolicyScope: i.filterPolicy
          ? (i.filterPolicyScope ?? 'MessageAttributes')
          : i.filterPolicyScope,
      };
    },
  },
  {
    token: T.glueDatabase,
    label: 'Glue Catalog Database',
    required: [],
    nameProp: 'name',
    autoname: 'lower',
    forceNew: ['name', 'catalogId', 'region'],
    defaults: {},
    jsonProps: [],
    tags: true,
    // The Terraform provider's id: <catalog id (the account)>:<name>.
    id: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.name}`,
    outputs: (i, _id, ctx) => ({
      arn: `arn:aws:glue:${ctx.region}:${ctx.accountId}:database/${i.name}`,
      catalogId: str(i.catalogId) ?? ctx.accountId,
      locationUri: i.locationUri ?? '',
      description: i.description ?? '',
    }),
  },
  {
    token: T.glueTable,
    label: 'Glue Catalog Table',
    required: ['databaseName'],
    nameProp: 'name',
    autoname: 'lower',
    forceNew: ['name', 'databaseName', 'catalogId', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    validate: oneOf('tableType', ['EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'GOVERNED']),
    id: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.databaseName}:${i.name}`,
    outputs: (i, _id, ctx) => ({
      arn: `arn:aws:glue:${ctx.region}:${ctx.accountId}:table/${i.databaseName}/${i.name}`,
      catalogId: str(i.catalogId) ?? ctx.accountId,
    }),
  },
  {
    token: T.workgroup,
    label: 'Athena WorkGroup',
    required: [],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: { state: 'ENABLED', forceDestroy: false },
    jsonProps: [],
    tags: true,
    validate: oneOf('state', ['ENABLED', 'DISABLED']),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:athena:${ctx.region}:${ctx.accountId}:workgroup/${id}`,
      description: i.description ?? '',
    }),
  },
];

export const RESOURCE_SPECS: ReadonlyMap<string, ResourceSpec> = new Map(specs.map((s) => [s.token, s]));
