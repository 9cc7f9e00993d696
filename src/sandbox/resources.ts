// Per-type behaviour of the sandbox AWS provider, kept as data: required inputs, the validation the
// real API (or the Terraform provider in front of it) performs, force-new properties, defaults, id
// format, computed outputs in AWS formats, and create-time preconditions that the real service checks.
import { randomBytes, randomUUID } from 'node:crypto';
import { policyAllowsService } from './policy.ts';
import type { Props, SandboxRecord, SandboxState } from './state.ts';

/** The engine's marker for a value that is not known yet (preview of a computed input). */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(isUnknown);
  return false;
}

/** An error shaped like the AWS SDK error the Terraform provider would surface. */
export class AwsApiError extends Error {
  readonly code: string;
  constructor(
    operation: string,
    service: string,
    apiCall: string,
    code: string,
    message: string,
    status = 400,
  ) {
    super(
      `${operation}: operation error ${service}: ${apiCall}, https response error StatusCode: ${status}, ` +
        `RequestID: ${randomUUID()}, ${code}: ${message}`,
    );
    this.name = code;
    this.code = code;
  }
}

export interface Ctx {
  accountId: string;
  /** The resource's region: its `region` input, else the provider's. */
  region: string;
  state: SandboxState;
  defaultTags: Record<string, string>;
  /** Outputs before this update (undefined on create). */
  prev?: Props;
}

export interface Failure {
  property: string;
  reason: string;
}

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
  /** Name/format validation the real API does, per property. */
  validate?: (inputs: Props) => Failure[];
  tags: boolean;
  /** The resource id, computed at create time. */
  id: (inputs: Props, ctx: Ctx) => string;
  /** Computed outputs (besides the inputs, which are always echoed). */
  outputs?: (inputs: Props, id: string, ctx: Ctx) => Props;
  /** Service-side checks before create/update; throw AwsApiError. */
  precondition?: (inputs: Props, ctx: Ctx, op: 'create' | 'update', id?: string) => void;
  /** Whether a create onto an existing id fails (named resources) or overwrites (Put* APIs). */
  uniqueId?: boolean;
  alreadyExists?: (id: string) => AwsApiError;
}

// ---- helpers -------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== UNKNOWN ? v : undefined);

function nameFailures(prop: string, what: string, rules: [RegExp | ((s: string) => boolean), string][]) {
  return (inputs: Props): Failure[] => {
    const v = str(inputs[prop]);
    if (v === undefined) return [];
    for (const [rule, reason] of rules) {
      const ok = typeof rule === 'function' ? rule(v) : rule.test(v);
      if (!ok) return [{ property: prop, reason: `invalid ${what} ${JSON.stringify(v)}: ${reason}` }];
    }
    return [];
  };
}

const len = (min: number, max: number) => (s: string) => s.length >= min && s.length <= max;
const isIp = (s: string) => /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(s);

export const validateBucketName = nameFailures('bucket', 'S3 bucket name', [
  [len(3, 63), 'must be between 3 and 63 characters long'],
  [/^[a-z0-9.-]+$/, 'only lowercase letters, numbers, dots (.) and hyphens (-) are allowed'],
  [/^[a-z0-9].*[a-z0-9]$/, 'must begin and end with a letter or number'],
  [(s) => !s.includes('..'), 'must not contain two adjacent periods'],
  [(s) => !isIp(s), 'must not be formatted as an IP address'],
  [(s) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(s), 'must not start with xn--, sthree- or amzn-s3-demo-'],
  [(s) => !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(s), 'must not end with a reserved suffix'],
]);

const validateTrailName = nameFailures('name', 'CloudTrail trail name', [
  [len(3, 128), 'must be between 3 and 128 characters long'],
  [
    /^[A-Za-z0-9._-]+$/,
    'only ASCII letters, numbers, periods (.), underscores (_) and dashes (-) are allowed',
  ],
  [/^[A-Za-z0-9].*[A-Za-z0-9]$/, 'must start and end with a letter or number'],
  [(s) => !/[._-]{2}/.test(s), 'must not have adjacent periods, underscores or dashes'],
  [(s) => !isIp(s), 'must not be formatted as an IP address'],
]);

const validateAliasName = nameFailures('name', 'KMS alias name', [
  [len(7, 256), 'must be between 1 and 250 characters after alias/'],
  [/^alias\//, 'must begin with alias/'],
  [(s) => !s.startsWith('alias/aws/'), 'the alias/aws/ prefix is reserved for AWS managed keys'],
  [
    /^alias\/[A-Za-z0-9/_-]+$/,
    'only alphanumeric characters, forward slashes (/), underscores (_) and dashes (-)',
  ],
]);

const validateRoleName = nameFailures('name', 'IAM role name', [
  [len(1, 64), 'must be 1 to 64 characters long'],
  [/^[\w+=,.@-]+$/, 'must only contain alphanumeric characters and +=,.@-_'],
]);

const validateRolePolicyName = nameFailures('name', 'IAM role policy name', [
  [len(1, 128), 'must be 1 to 128 characters long'],
  [/^[\w+=,.@-]+$/, 'must only contain alphanumeric characters and +=,.@-_'],
]);

const validateLogGroupName = nameFailures('name', 'CloudWatch Logs log group name', [
  [len(1, 512), 'must be 1 to 512 characters long'],
  [/^[.\-_/#A-Za-z0-9]+$/, 'only alphanumeric characters and .-_/# are allowed'],
]);

const validateMetricFilterName = nameFailures('name', 'CloudWatch Logs metric filter name', [
  [len(1, 512), 'must be 1 to 512 characters long'],
  [/^[^:*]+$/, 'must not contain : or *'],
]);

const validateEventRuleName = nameFailures('name', 'EventBridge rule name', [
  [len(1, 64), 'must be 1 to 64 characters long'],
  [/^[.\-_A-Za-z0-9]+$/, 'only alphanumeric characters and .-_ are allowed'],
]);

const validateAlarmName = nameFailures('name', 'CloudWatch alarm name', [
  [len(1, 255), 'must be 1 to 255 characters long'],
]);

function validateTopicName(inputs: Props): Failure[] {
  const v = str(inputs.name);
  if (v === undefined) return [];
  const fifo = inputs.fifoTopic === true;
  const base = fifo ? v.replace(/\.fifo$/, '') : v;
  if (fifo && !v.endsWith('.fifo'))
    return [
      {
        property: 'name',
        reason: `invalid SNS topic name ${JSON.stringify(v)}: a FIFO topic name must end with .fifo`,
      },
    ];
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(base) || v.length > 256) {
    return [
      {
        property: 'name',
        reason: `invalid SNS topic name ${JSON.stringify(v)}: must be 1 to 256 alphanumeric characters, hyphens (-) or underscores (_)`,
      },
    ];
  }
  return [];
}

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

function find(state: SandboxState, type: string, id: string, accountId?: string): SandboxRecord | undefined {
  if (accountId) return state.get(accountId, type, id);
  return state.list({ type }).find((r) => r.id === id);
}

const T = {
  key: 'aws:kms/key:Key',
  alias: 'aws:kms/alias:Alias',
  bucket: 'aws:s3/bucket:Bucket',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  eventRule: 'aws:cloudwatch/eventRule:EventRule',
  role: 'aws:iam/role:Role',
  topic: 'aws:sns/topic:Topic',
} as const;

/** Resolves a KMS key reference (key id, key ARN, alias name, alias ARN) to the Key record. */
export function resolveKmsKey(
  state: SandboxState,
  ref: string,
  accountId: string,
): SandboxRecord | undefined {
  let account = accountId;
  let rest = ref;
  const arn = /^arn:aws[\w-]*:kms:[^:]*:(\d{12}):(.+)$/.exec(ref);
  if (arn) {
    account = arn[1]!;
    rest = arn[2]!;
  }
  if (rest.startsWith('alias/')) {
    const alias = state.get(account, T.alias, rest);
    const target = str(alias?.inputs.targetKeyId);
    return target ? resolveKmsKey(state, target, account) : undefined;
  }
  return state.get(account, T.key, rest.replace(/^key\//, ''));
}

function requireBucket(op: string, service: string, call: string) {
  return (inputs: Props, ctx: Ctx) => {
    const bucket = str(inputs.bucket);
    if (bucket && !find(ctx.state, T.bucket, bucket)) {
      throw new AwsApiError(
        op.replace('%s', bucket),
        service,
        call,
        'NoSuchBucket',
        'The specified bucket does not exist',
        404,
      );
    }
  };
}

/** S3 bucket sub-resources: one per bucket, id = bucket name, written with an idempotent Put* call. */
function bucketScoped(
  token: string,
  label: string,
  call: string,
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
    validate: validateBucketName,
    id: (i) => String(i.bucket),
    precondition: requireBucket(`creating ${label} (%s)`, 'S3', call),
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

function trailPrecondition(inputs: Props, ctx: Ctx, op: 'create' | 'update', id?: string): void {
  const name = String(inputs.name);
  const verb = op === 'create' ? 'creating' : 'updating';
  const call = op === 'create' ? 'CreateTrail' : 'UpdateTrail';
  const fail = (code: string, msg: string) =>
    new AwsApiError(`${verb} CloudTrail Trail (${name})`, 'CloudTrail', call, code, msg);
  const trails = ctx.state.list({ accountId: ctx.accountId, type: T.trail }).filter((r) => r.id !== id);
  if (op === 'create') {
    if (trails.some((t) => t.outputs.name === name && t.region === ctx.region)) {
      throw fail(
        'TrailAlreadyExistsException',
        `Trail ${name} already exists for customer: ${ctx.accountId}`,
      );
    }
    if (trails.filter((t) => t.outputs.homeRegion === ctx.region).length >= 5) {
      throw fail(
        'MaximumNumberOfTrailsExceededException',
        `User: ${ctx.accountId} already has 5 trails in ${ctx.region}.`,
      );
    }
  }
  // UpdateTrail validates only what the request carries; the Terraform provider sends changed fields.
  const changed = (...keys: string[]) =>
    op === 'create' || keys.some((k) => JSON.stringify(ctx.prev?.[k]) !== JSON.stringify(inputs[k]));
  const bucket = String(inputs.s3BucketName);
  if (changed('s3BucketName', 's3KeyPrefix')) checkTrailBucket(inputs, ctx, bucket, fail);
  const kms = str(inputs.kmsKeyId);
  if (kms && changed('kmsKeyId')) {
    const key = resolveKmsKey(ctx.state, kms, ctx.accountId);
    if (!key) throw fail('KmsKeyNotFoundException', `KMS key ${kms} does not exist.`);
    const keyPolicy = key.outputs.policy;
    if (
      !policyAllowsService(
        keyPolicy,
        'cloudtrail.amazonaws.com',
        'kms:GenerateDataKey',
        String(key.outputs.arn),
        {
          ...trailRequestContext(inputs, ctx),
          'kms:EncryptionContext:aws:cloudtrail:arn': trailArn(inputs, ctx),
        },
      )
    ) {
      throw fail(
        'InsufficientEncryptionPolicyException',
        `Insufficient permissions to access S3 bucket ${bucket} or KMS key ${kms}.`,
      );
    }
  }
  const lgArn = str(inputs.cloudWatchLogsGroupArn);
  if (lgArn && changed('cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'))
    checkTrailLogs(inputs, ctx, lgArn, fail);
}

const trailArn = (inputs: Props, ctx: Ctx) =>
  `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${inputs.name}`;

/** What CloudTrail's own requests carry, for bucket/key policy conditions. */
function trailRequestContext(inputs: Props, ctx: Ctx) {
  return {
    'aws:SourceArn': trailArn(inputs, ctx),
    'aws:SourceAccount': ctx.accountId,
    'aws:SecureTransport': 'true',
    'aws:PrincipalServiceName': 'cloudtrail.amazonaws.com',
  };
}

function checkTrailBucket(
  inputs: Props,
  ctx: Ctx,
  bucket: string,
  fail: (code: string, msg: string) => AwsApiError,
) {
  if (!find(ctx.state, T.bucket, bucket)) {
    throw fail('S3BucketDoesNotExistException', `S3 bucket ${bucket} does not exist.`);
  }
  const policy = find(ctx.state, T.bucketPolicy, bucket);
  const prefix = str(inputs.s3KeyPrefix) ? `${inputs.s3KeyPrefix}/` : '';
  const objectArn = `arn:aws:s3:::${bucket}/${prefix}AWSLogs/${ctx.accountId}/CloudTrail/${ctx.region}/object.json.gz`;
  if (
    !policy ||
    !policyAllowsService(policy.inputs.policy, 'cloudtrail.amazonaws.com', 's3:PutObject', objectArn, {
      ...trailRequestContext(inputs, ctx),
      's3:x-amz-acl': 'bucket-owner-full-control',
    })
  ) {
    throw fail(
      'InsufficientS3BucketPolicyException',
      `Incorrect S3 bucket policy is detected for bucket: ${bucket}`,
    );
  }
}

function checkTrailLogs(
  inputs: Props,
  ctx: Ctx,
  lgArn: string,
  fail: (code: string, msg: string) => AwsApiError,
) {
  const m = /^arn:aws:logs:([^:]+):(\d{12}):log-group:(.+):\*$/.exec(lgArn);
  if (!m || !ctx.state.get(m[2]!, T.logGroup, m[3]!)) {
    throw fail(
      'InvalidCloudWatchLogsLogGroupArnException',
      `Access denied. Verify in IAM that the role has adequate permissions. Invalid log group ARN: ${lgArn}`,
    );
  }
  const roleArn = str(inputs.cloudWatchLogsRoleArn);
  const rm = roleArn ? /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) : null;
  if (!rm || !ctx.state.get(rm[1]!, T.role, rm[2]!)) {
    throw fail(
      'InvalidCloudWatchLogsRoleArnException',
      `Access denied. Verify in IAM that the role has adequate permissions. Invalid role ARN: ${roleArn ?? ''}`,
    );
  }
}

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
    validate: validateAliasName,
    id: (i) => String(i.name),
    uniqueId: true,
    alreadyExists: (id) =>
      new AwsApiError(
        `creating KMS Alias (${id})`,
        'KMS',
        'CreateAlias',
        'AlreadyExistsException',
        `An alias with the name ${id} already exists`,
      ),
    precondition: (i, ctx) => {
      const target = String(i.targetKeyId);
      if (!resolveKmsKey(ctx.state, target, ctx.accountId)) {
        throw new AwsApiError(
          `creating KMS Alias (${i.name})`,
          'KMS',
          'CreateAlias',
          'NotFoundException',
          `Invalid keyId ${target}`,
        );
      }
    },
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:kms:${ctx.region}:${ctx.accountId}:${id}`,
      targetKeyArn: String(resolveKmsKey(ctx.state, String(i.targetKeyId), ctx.accountId)?.outputs.arn ?? ''),
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
    validate: validateBucketName,
    id: (i) => String(i.bucket),
    precondition: (i, ctx, op) => {
      if (op !== 'create') return;
      const bucket = String(i.bucket);
      const existing = find(ctx.state, T.bucket, bucket);
      if (existing) {
        const mine = existing.accountId === ctx.accountId;
        throw new AwsApiError(
          `creating S3 Bucket (${bucket})`,
          'S3',
          'CreateBucket',
          mine ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists',
          mine
            ? 'Your previous request to create the named bucket succeeded and you already own it.'
            : 'The requested bucket name is not available. The bucket namespace is shared by all users of the system.',
          409,
        );
      }
    },
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
    validate: all(validateBucketName, (i) => {
      const s = (i.versioningConfiguration as Props | undefined)?.status;
      return s === undefined || s === UNKNOWN || ['Enabled', 'Suspended', 'Disabled'].includes(s as string)
        ? []
        : [
            {
              property: 'versioningConfiguration.status',
              reason: `expected status to be one of [Enabled Suspended Disabled], got ${s}`,
            },
          ];
    }),
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
      validate: all(validateBucketName, (i) => {
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
      }),
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
    validate: validateTrailName,
    id: (i, ctx) => trailArn(i, ctx),
    precondition: trailPrecondition,
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
      validateLogGroupName,
      oneOf('retentionInDays', RETENTION_DAYS),
      oneOf('logGroupClass', ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']),
    ),
    id: (i) => String(i.name),
    uniqueId: true,
    alreadyExists: (id) =>
      new AwsApiError(
        `creating CloudWatch Logs Log Group (${id})`,
        'CloudWatch Logs',
        'CreateLogGroup',
        'ResourceAlreadyExistsException',
        'The specified log group already exists',
      ),
    precondition: (i, ctx) => {
      const k = str(i.kmsKeyId);
      if (k && !resolveKmsKey(ctx.state, k, ctx.accountId)) {
        throw new AwsApiError(
          `creating CloudWatch Logs Log Group (${i.name})`,
          'CloudWatch Logs',
          'CreateLogGroup',
          'InvalidParameterException',
          `The specified KMS key does not exist: ${k}`,
        );
      }
    },
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
    validate: validateMetricFilterName,
    id: (i) => String(i.name),
    precondition: (i, ctx) => {
      const lg = String(i.logGroupName);
      if (!ctx.state.get(ctx.accountId, T.logGroup, lg)) {
        throw new AwsApiError(
          `putting CloudWatch Logs Metric Filter (${i.name})`,
          'CloudWatch Logs',
          'PutMetricFilter',
          'ResourceNotFoundException',
          'The specified log group does not exist.',
        );
      }
    },
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
      validateAlarmName,
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
      validateEventRuleName,
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
    precondition: (i, ctx) => {
      const bus = String(i.eventBusName ?? 'default');
      const ruleId = bus !== 'default' ? `${bus}/${i.rule}` : String(i.rule);
      if (!ctx.state.get(ctx.accountId, T.eventRule, ruleId)) {
        throw new AwsApiError(
          `creating EventBridge Target (${i.rule}-${i.targetId})`,
          'EventBridge',
          'PutTargets',
          'ResourceNotFoundException',
          `Rule ${i.rule} does not exist on EventBus ${bus}.`,
        );
      }
    },
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
    validate: all(validateRoleName, (i) => {
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
    uniqueId: true,
    alreadyExists: (id) =>
      new AwsApiError(
        `creating IAM Role (${id})`,
        'IAM',
        'CreateRole',
        'EntityAlreadyExists',
        `Role with name ${id} already exists.`,
        409,
      ),
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
    validate: validateRolePolicyName,
    id: (i) => `${i.role}:${i.name}`,
    precondition: (i, ctx) => {
      const role = String(i.role);
      if (!ctx.state.get(ctx.accountId, T.role, role)) {
        throw new AwsApiError(
          `putting IAM Role (${role}) Policy (${i.name})`,
          'IAM',
          'PutRolePolicy',
          'NoSuchEntity',
          `The role with name ${role} cannot be found.`,
          404,
        );
      }
    },
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
    validate: validateTopicName,
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
    precondition: (i, ctx) => {
      const arn = String(i.arn);
      const acct = /^arn:aws:sns:[^:]+:(\d{12}):/.exec(arn)?.[1] ?? ctx.accountId;
      if (!ctx.state.get(acct, T.topic, arn)) {
        throw new AwsApiError(
          `setting SNS Topic Policy (${arn})`,
          'SNS',
          'SetTopicAttributes',
          'NotFound',
          'Topic does not exist',
          404,
        );
      }
    },
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
    precondition: (i, ctx) => {
      const arn = String(i.topic);
      const acct = /^arn:aws:sns:[^:]+:(\d{12}):/.exec(arn)?.[1] ?? ctx.accountId;
      if (!ctx.state.get(acct, T.topic, arn)) {
        throw new AwsApiError(
          `creating SNS Topic Subscription (${arn})`,
          'SNS',
          'Subscribe',
          'NotFound',
          'Topic does not exist',
          404,
        );
      }
    },
    outputs: (i, id, ctx) => ({
      arn: id,
      ownerId: ctx.accountId,
      pendingConfirmation: i.protocol === 'email' || i.protocol === 'email-json',
      confirmationWasAuthenticated: !(i.protocol === 'email' || i.protocol === 'email-json'),
      filterPolicyScope: i.filterPolicy ? (i.filterPolicyScope ?? 'MessageAttributes') : i.filterPolicyScope,
    }),
  },
];

export const RESOURCE_SPECS: ReadonlyMap<string, ResourceSpec> = new Map(specs.map((s) => [s.token, s]));
