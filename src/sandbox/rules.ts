// The rules AWS enforces that the sandbox enforces too: one table, each rule with the resource and
// API it applies to, AWS's error name and message shape, the AWS documentation page it comes from
// and the check. `check` rules run when the engine checks inputs (preview and up), as the Terraform
// provider's validation or the API's parameter validation would refuse them; `apply` rules run when
// the resource is created or updated, as the AWS service does. src/sandbox/README.md renders the
// table; test/sandbox/rules.test.ts breaks each rule on purpose.
import {
  AwsApiError,
  arnParts,
  type Ctx,
  type Failure,
  find,
  resolveKmsKey,
  str,
  T,
  UNKNOWN,
} from './core.ts';
import {
  identityPolicyAllows,
  policyAllowsAwsPrincipal,
  policyAllowsService,
  type RequestContext,
} from './policy.ts';
import type { Props, SandboxRecord } from './state.ts';

export interface AwsDoc {
  title: string;
  url: string;
}

interface RuleBase {
  /** Stable id, used by tests and the README. */
  id: string;
  /** The Pulumi type token of the resource the rule applies to. */
  resource: string;
  /** The AWS API operations that refuse. */
  api: string;
  /** AWS's error name. */
  error: string;
  /** The shape of AWS's message ({placeholders} are filled in). */
  message: string;
  doc: AwsDoc;
}

export interface CheckRule extends RuleBase {
  stage: 'check';
  validate: (inputs: Props) => Failure[];
}

export type Op = 'create' | 'update';

export interface ApplyRule extends RuleBase {
  stage: 'apply';
  /** The AWS service and its calls, for the error text. */
  service: string;
  calls: Record<Op, string>;
  /** Operations the rule runs on (default both). */
  ops?: Op[];
  /**
   * On update, run only when one of these inputs changed (UpdateTrail and friends validate what
   * the request carries; the Terraform provider sends changed fields). Empty: always.
   */
  fields?: string[];
  status?: number;
  /** Returns AWS's message when the input breaks the rule. */
  check: (inputs: Props, ctx: Ctx, op: Op, id?: string) => string | undefined;
}

export type AwsRule = CheckRule | ApplyRule;

// ---- documentation pages (checked with the docs search; titles as AWS gives them) ----------------

const DOCS = {
  createTrail: {
    title: 'CreateTrail - AWS CloudTrail API Reference',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html',
  },
  trailNaming: {
    title: 'Naming requirements for CloudTrail resources, S3 buckets, and KMS keys',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html',
  },
  ctQuotas: {
    title: 'Quotas in AWS CloudTrail',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html',
  },
  ctBucketPolicy: {
    title: 'Amazon S3 bucket policy for CloudTrail',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html',
  },
  ctKeyPolicy: {
    title: 'Configure AWS KMS key policies for CloudTrail',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html',
  },
  ctKmsNotFound: {
    title: 'KmsKeyNotFoundException - AWS CloudTrail API Reference (CreateTrail errors)',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html#API_CreateTrail_Errors',
  },
  ctCloudWatch: {
    title: 'Sending events to CloudWatch Logs - AWS CloudTrail',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html',
  },
  ctCloudWatchRole: {
    title: 'Role policy document for CloudTrail to use CloudWatch Logs for monitoring',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html',
  },
  ctOrganization: {
    title: 'Prepare for creating a trail for your organization',
    url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-an-organizational-trail-prepare.html',
  },
  logsKms: {
    title: 'Encrypt log data in CloudWatch Logs using AWS Key Management Service',
    url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html',
  },
  createLogGroup: {
    title: 'CreateLogGroup - Amazon CloudWatch Logs API Reference',
    url: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  },
  putMetricFilter: {
    title: 'PutMetricFilter - Amazon CloudWatch Logs API Reference',
    url: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html',
  },
  logsQuotas: {
    title: 'CloudWatch Logs quotas',
    url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html',
  },
  bucketNaming: {
    title: 'General purpose bucket naming rules - Amazon S3',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html',
  },
  createBucket: {
    title: 'CreateBucket - Amazon S3 API Reference',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html',
  },
  accessLogging: {
    title: 'Enabling Amazon S3 server access logging',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html',
  },
  createAlias: {
    title: 'CreateAlias - AWS Key Management Service API Reference',
    url: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html',
  },
  keyLockout: {
    title: 'Default key policy - AWS KMS (prevent unmanageable KMS keys)',
    url: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html',
  },
  iamQuotas: {
    title: 'IAM and AWS STS quotas',
    url: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
  },
  createRole: {
    title: 'CreateRole - AWS Identity and Access Management API Reference',
    url: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  },
  putRolePolicy: {
    title: 'PutRolePolicy - AWS Identity and Access Management API Reference',
    url: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html',
  },
  createTopic: {
    title: 'CreateTopic - Amazon Simple Notification Service API Reference',
    url: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html',
  },
  subscribe: {
    title: 'Subscribe - Amazon Simple Notification Service API Reference',
    url: 'https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html',
  },
  putMetricAlarm: {
    title: 'PutMetricAlarm - Amazon CloudWatch API Reference',
    url: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html',
  },
  putRule: {
    title: 'PutRule - Amazon EventBridge API Reference',
    url: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html',
  },
  putTargets: {
    title: 'PutTargets - Amazon EventBridge API Reference',
    url: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html',
  },
  glueCreateDatabase: {
    title: 'CreateDatabase action (Python: create_database) - AWS Glue',
    url: 'https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-databases.html#aws-glue-api-catalog-databases-CreateDatabase',
  },
  glueCreateTable: {
    title: 'CreateTable action (Python: create_table) - AWS Glue',
    url: 'https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-catalog-tables.html#aws-glue-api-catalog-tables-CreateTable',
  },
  athenaNames: {
    title: 'Name tables, views, databases, and columns - Amazon Athena',
    url: 'https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html',
  },
  athenaWorkgroup: {
    title: 'CreateWorkGroup - Amazon Athena API Reference',
    url: 'https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html',
  },
  athenaEncryption: {
    title: 'EncryptionConfiguration - Amazon Athena API Reference',
    url: 'https://docs.aws.amazon.com/athena/latest/APIReference/API_EncryptionConfiguration.html',
  },
} satisfies Record<string, AwsDoc>;

// ---- helpers -------------------------------------------------------------------------------------

/** An apply-stage rule's AWS service and the calls that refuse (the same call on create and update unless told). */
const refusedBy = (service: string, create: string, update = create) =>
  ({ stage: 'apply', service, calls: { create, update } }) as const;

const len = (min: number, max: number) => (s: string) => s.length >= min && s.length <= max;
const isIp = (s: string) => /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(s);

/** A check rule on the `name` input: the first of `checks` it breaks is refused with AWS's error name. */
function namingRule(
  r: Omit<CheckRule, 'message' | 'stage' | 'validate'> & { what: string; checks: NameCheck[] },
): CheckRule {
  const { what, checks, ...rule } = r;
  return {
    ...rule,
    message: `invalid ${what} "{name}": {reason}`,
    stage: 'check',
    validate: nameRule('name', what, r.error, checks),
  };
}

/** Name rules as check failures; the reason starts with AWS's error name. */
function nameRule(prop: string, what: string, error: string, rules: NameCheck[]) {
  return (inputs: Props): Failure[] => {
    const v = str(inputs[prop]);
    if (v === undefined) return [];
    for (const [rule, reason] of rules) {
      const ok = typeof rule === 'function' ? rule(v) : rule.test(v);
      if (!ok)
        return [{ property: prop, reason: `${error}: invalid ${what} ${JSON.stringify(v)}: ${reason}` }];
    }
    return [];
  };
}

const trailArnOf = (inputs: Props, ctx: Ctx) =>
  `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${inputs.name}`;

/** What CloudTrail's own requests carry, for bucket/key policy conditions. */
function trailRequestContext(inputs: Props, ctx: Ctx): RequestContext {
  return {
    'aws:SourceArn': trailArnOf(inputs, ctx),
    'aws:SourceAccount': ctx.accountId,
    'aws:SecureTransport': 'true',
    'aws:PrincipalServiceName': 'cloudtrail.amazonaws.com',
  };
}

function trailKey(inputs: Props, ctx: Ctx) {
  const ref = str(inputs.kmsKeyId);
  return ref ? { ref, key: resolveKmsKey(ctx.state, ref, ctx.accountId, ctx.region) } : undefined;
}

function trailBucket(inputs: Props, ctx: Ctx) {
  const name = str(inputs.s3BucketName);
  return name ? find(ctx.state, T.bucket, name) : undefined;
}

/** The SSE configuration of a bucket (any account: the bucket namespace is global). */
function bucketEncryption(ctx: Ctx, bucket: string) {
  const rec = find(ctx.state, T.bucketEncryption, bucket);
  const rules = (rec?.inputs.rules ?? []) as Props[];
  return rules[0];
}

const LOG_GROUP_ARN = /^arn:aws[\w-]*:logs:([^:]+):(\d{12}):log-group:(.+?)(:\*)?$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/** The role a trail names for CloudWatch Logs delivery, when it exists. */
function logRole(inputs: Props, ctx: Ctx) {
  const roleArn = str(inputs.cloudWatchLogsRoleArn);
  const m = roleArn ? ROLE_ARN.exec(roleArn) : null;
  return m ? ctx.state.get(m[1]!, T.role, m[2]!) : undefined;
}

/** Whether a key policy lets CloudTrail use the key for this trail (as trailRequestContext, plus `context`). */
function keyLetsCloudTrail(key: SandboxRecord, i: Props, ctx: Ctx, action: string, context: RequestContext) {
  return policyAllowsService(
    key.outputs.policy,
    'cloudtrail.amazonaws.com',
    action,
    String(key.outputs.arn),
    {
      ...trailRequestContext(i, ctx),
      ...context,
    },
  );
}

/** CloudTrail's words for a log group or role it cannot use. */
const accessDenied = (what: 'role' | 'log group', arn: unknown) =>
  `Access denied. Verify in IAM that the role has adequate permissions. Invalid ${what} ARN: ${arn}`;

/** CloudTrail's words for a key policy that does not let it encrypt. */
const encryptionDenied = (bucket: unknown, key: unknown) =>
  `Insufficient permissions to access S3 bucket ${bucket} or KMS key ${key}.`;

/** The role's inline policies as one document (identity policies add up; a Deny wins). */
function roleIdentityPolicy(ctx: Ctx, account: string, roleName: string) {
  const statements = ctx.state
    .list({ accountId: account, type: T.rolePolicy })
    .filter((p) => p.inputs.role === roleName)
    .flatMap((p) => {
      try {
        const doc = JSON.parse(String(p.inputs.policy)) as { Statement?: unknown };
        return ([] as unknown[]).concat(doc.Statement ?? []);
      } catch {
        return [];
      }
    });
  return { Version: '2012-10-17', Statement: statements };
}

function organizationOf(ctx: Ctx) {
  return ctx.state
    .list({ type: T.organization })
    .find(
      (o) =>
        o.accountId === ctx.accountId || ((o.outputs.accounts ?? []) as string[]).includes(ctx.accountId),
    );
}

/** A KMS key is regional: a key reference counts only when the key is in the caller's Region. */
function keyInRegion(ctx: Ctx, ref: string) {
  const key = resolveKmsKey(ctx.state, ref, ctx.accountId, ctx.region);
  return key && key.region === ctx.region ? key : undefined;
}

type NameCheck = [RegExp | ((s: string) => boolean), string];
const IAM_NAME_CHARACTERS: NameCheck = [
  /^[\w+=,.@-]+$/,
  'must only contain alphanumeric characters and +=,.@-_',
];
/** Names Athena can query (Glue itself accepts more). */
const ATHENA_NAME: NameCheck[] = [
  [len(1, 255), 'must be 1 to 255 characters long'],
  [/^[a-z0-9_]+$/, 'Athena needs lowercase letters, numbers and underscores only'],
];

const bool = (v: unknown) => v === true || v === 'true';

/** A named resource that exists already in the account and Region (Create* refuses a duplicate). */
function alreadyExists(
  o: Pick<ApplyRule, 'id' | 'resource' | 'api' | 'error' | 'doc' | 'service' | 'status'> & {
    call: string;
    message: (name: string) => string;
    idOf: (i: Props, ctx: Ctx) => string;
    nameOf?: (i: Props) => string;
  },
): ApplyRule {
  return {
    id: o.id,
    resource: o.resource,
    api: o.api,
    error: o.error,
    message: o.message('{name}'),
    doc: o.doc,
    ...refusedBy(o.service, o.call),
    ops: ['create'],
    ...(o.status ? { status: o.status } : {}),
    check: (i, ctx) =>
      ctx.state.get(ctx.accountId, o.resource, o.idOf(i, ctx), ctx.region)
        ? o.message(o.nameOf?.(i) ?? String(i.name))
        : undefined,
  };
}

/** S3 bucket sub-resources and the Put* call that writes each. */
const BUCKET_SUBRESOURCES: [string, string][] = [
  ['aws:s3/bucketVersioning:BucketVersioning', 'PutBucketVersioning'],
  [T.bucketEncryption, 'PutBucketEncryption'],
  ['aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'PutPublicAccessBlock'],
  ['aws:s3/bucketOwnershipControls:BucketOwnershipControls', 'PutBucketOwnershipControls'],
  [T.bucketPolicy, 'PutBucketPolicy'],
  ['aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'PutBucketLifecycleConfiguration'],
  [T.bucketObjectLock, 'PutObjectLockConfiguration'],
  [T.bucketLogging, 'PutBucketLogging'],
];

// ---- the table -----------------------------------------------------------------------------------

/** A CloudTrail rule: CreateTrail refuses, and UpdateTrail where the update carries a field it checks. */
const trailRule = (
  r: Omit<ApplyRule, 'resource' | 'api' | 'stage' | 'service' | 'calls'> & { api?: string },
): ApplyRule => ({
  resource: T.trail,
  api: 'CreateTrail, UpdateTrail',
  ...refusedBy('CloudTrail', 'CreateTrail', 'UpdateTrail'),
  ...r,
});
const LOGS = refusedBy('CloudWatch Logs', 'CreateLogGroup', 'AssociateKmsKey');

export const RULES: readonly AwsRule[] = [
  // ---- CloudTrail ----
  namingRule({
    id: 'cloudtrail.trail-name',
    resource: T.trail,
    api: 'CreateTrail',
    error: 'InvalidTrailNameException',
    doc: DOCS.trailNaming,
    what: 'CloudTrail trail name',
    checks: [
      [len(3, 128), 'must be between 3 and 128 characters long'],
      [
        /^[A-Za-z0-9._-]+$/,
        'only ASCII letters, numbers, periods (.), underscores (_) and dashes (-) are allowed',
      ],
      [/^[A-Za-z0-9].*[A-Za-z0-9]$/, 'must start and end with a letter or number'],
      [(s) => !/[._-]{2}/.test(s), 'must not have adjacent periods, underscores or dashes'],
      [(s) => !isIp(s), 'must not be formatted as an IP address'],
    ],
  }),
  trailRule({
    id: 'cloudtrail.trail-exists',
    api: 'CreateTrail',
    error: 'TrailAlreadyExistsException',
    message: 'Trail {name} already exists for customer: {account}',
    doc: DOCS.createTrail,
    ops: ['create'],
    check: (i, ctx, _op, id) =>
      ctx.state
        .list({ accountId: ctx.accountId, type: T.trail, region: ctx.region })
        .some((t) => t.id !== id && t.outputs.name === i.name)
        ? `Trail ${i.name} already exists for customer: ${ctx.accountId}`
        : undefined,
  }),
  trailRule({
    id: 'cloudtrail.five-trails-per-region',
    api: 'CreateTrail',
    error: 'MaximumNumberOfTrailsExceededException',
    message: 'User: {account} already has 5 trails in {region}.',
    doc: DOCS.ctQuotas,
    ops: ['create'],
    // A multi-Region trail logs in every Region, so it counts against each Region's five.
    check: (_i, ctx, _op, id) =>
      ctx.state
        .list({ accountId: ctx.accountId, type: T.trail })
        .filter(
          (t) =>
            t.id !== id && (t.outputs.homeRegion === ctx.region || t.outputs.isMultiRegionTrail === true),
        ).length >= 5
        ? `User: ${ctx.accountId} already has 5 trails in ${ctx.region}.`
        : undefined,
  }),
  trailRule({
    // Only the management account of an organization (with all features) creates or converts an
    // organization trail. The sandbox's organization is a record made with `npm run sandbox --
    // organization`; without one the account is not in an organization.
    id: 'cloudtrail.organization-trail-needs-organization',
    error: 'OrganizationsNotInUseException',
    message: 'This request is made from an account that is not a member of an organization.',
    doc: DOCS.ctOrganization,
    fields: ['isOrganizationTrail'],
    check: (i, ctx) =>
      bool(i.isOrganizationTrail) && !organizationOf(ctx)
        ? `Account ${ctx.accountId} is not a member of an organization.`
        : undefined,
  }),
  trailRule({
    id: 'cloudtrail.organization-trail-from-management-account',
    error: 'NotOrganizationMasterAccountException',
    message: 'The account {account} is not the management account of organization {organizationId}.',
    doc: DOCS.ctOrganization,
    fields: ['isOrganizationTrail'],
    check: (i, ctx) => {
      const org = bool(i.isOrganizationTrail) ? organizationOf(ctx) : undefined;
      return org && org.accountId !== ctx.accountId
        ? `The account ${ctx.accountId} is not the management account of organization ${org.id}.`
        : undefined;
    },
  }),
  trailRule({
    id: 'cloudtrail.bucket-exists',
    error: 'S3BucketDoesNotExistException',
    message: 'S3 bucket {bucket} does not exist.',
    doc: DOCS.createTrail,
    fields: ['s3BucketName', 's3KeyPrefix'],
    check: (i, ctx) => (trailBucket(i, ctx) ? undefined : `S3 bucket ${i.s3BucketName} does not exist.`),
  }),
  trailRule({
    // The bucket policy must let cloudtrail.amazonaws.com PutObject under
    // [prefix/]AWSLogs/<account>/ with the bucket-owner-full-control ACL (and, for an
    // organization trail, AWSLogs/<organization id>/ as well).
    id: 'cloudtrail.bucket-policy',
    error: 'InsufficientS3BucketPolicyException',
    message: 'Incorrect S3 bucket policy is detected for bucket: {bucket}',
    doc: DOCS.ctBucketPolicy,
    fields: ['s3BucketName', 's3KeyPrefix', 'isOrganizationTrail'],
    check: (i, ctx) => {
      const bucket = String(i.s3BucketName);
      const policy = find(ctx.state, T.bucketPolicy, bucket);
      const prefix = str(i.s3KeyPrefix) ? `${i.s3KeyPrefix}/` : '';
      const owners = [ctx.accountId];
      const org = bool(i.isOrganizationTrail) ? organizationOf(ctx) : undefined;
      if (org) owners.push(org.id);
      const ok = owners.every(
        (owner) =>
          policy &&
          policyAllowsService(
            policy.inputs.policy,
            'cloudtrail.amazonaws.com',
            's3:PutObject',
            `arn:aws:s3:::${bucket}/${prefix}AWSLogs/${owner}/CloudTrail/${ctx.region}/object.json.gz`,
            { ...trailRequestContext(i, ctx), 's3:x-amz-acl': 'bucket-owner-full-control' },
          ),
      );
      return ok ? undefined : `Incorrect S3 bucket policy is detected for bucket: ${bucket}`;
    },
  }),
  trailRule({
    id: 'cloudtrail.kms-key-exists',
    error: 'KmsKeyNotFoundException',
    message: 'KMS key {key} does not exist.',
    doc: DOCS.ctKmsNotFound,
    fields: ['kmsKeyId'],
    check: (i, ctx) => {
      const k = trailKey(i, ctx);
      return k && !k.key ? `KMS key ${k.ref} does not exist.` : undefined;
    },
  }),
  trailRule({
    // "…when the S3 bucket and the KMS key are not in the same Region" (CreateTrail errors).
    id: 'cloudtrail.kms-key-in-bucket-region',
    error: 'KmsKeyNotFoundException',
    message: 'KMS key {key} is in {keyRegion}, the S3 bucket {bucket} in {bucketRegion}.',
    doc: DOCS.ctKmsNotFound,
    fields: ['kmsKeyId', 's3BucketName'],
    check: (i, ctx) => {
      const k = trailKey(i, ctx);
      const bucket = trailBucket(i, ctx);
      if (!k?.key || !bucket || k.key.region === bucket.region) return undefined;
      return `KMS key ${k.ref} is in ${k.key.region}, the S3 bucket ${bucket.id} in ${bucket.region}.`;
    },
  }),
  trailRule({
    id: 'cloudtrail.kms-key-policy-encrypt',
    error: 'InsufficientEncryptionPolicyException',
    message: encryptionDenied('{bucket}', '{key}'),
    doc: DOCS.ctKeyPolicy,
    fields: ['kmsKeyId'],
    check: (i, ctx) => {
      const k = trailKey(i, ctx);
      if (!k?.key) return undefined;
      const ok = keyLetsCloudTrail(k.key, i, ctx, 'kms:GenerateDataKey', {
        'kms:EncryptionContext:aws:cloudtrail:arn': trailArnOf(i, ctx),
      });
      return ok ? undefined : encryptionDenied(i.s3BucketName, k.ref);
    },
  }),
  trailRule({
    // "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are
    // required to create or update a trail with SSE-KMS encryption enabled." (KMS key policy page,
    // "Required KMS key policy elements for trails"). The sandbox requires it of the CloudTrail
    // service principal, which writes the objects.
    id: 'cloudtrail.kms-key-policy-decrypt-bucket-key',
    error: 'InsufficientEncryptionPolicyException',
    message: encryptionDenied('{bucket}', '{key}'),
    doc: DOCS.ctKeyPolicy,
    fields: ['kmsKeyId', 's3BucketName'],
    check: (i, ctx) => {
      const k = trailKey(i, ctx);
      const bucket = str(i.s3BucketName);
      if (!k?.key || !bucket || bucketEncryption(ctx, bucket)?.bucketKeyEnabled !== true) return undefined;
      // With a Bucket Key, S3 uses the bucket ARN as the encryption context (S3 User Guide,
      // "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"), not the trail's.
      const ok = keyLetsCloudTrail(k.key, i, ctx, 'kms:Decrypt', {
        'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${bucket}`,
      });
      return ok ? undefined : encryptionDenied(bucket, k.ref);
    },
  }),
  trailRule({
    id: 'cloudtrail.log-group-exists',
    error: 'InvalidCloudWatchLogsLogGroupArnException',
    message: accessDenied('log group', '{arn}'),
    doc: DOCS.ctCloudWatch,
    fields: ['cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'],
    check: (i, ctx) => {
      const arn = str(i.cloudWatchLogsGroupArn);
      if (!arn) return undefined;
      const m = LOG_GROUP_ARN.exec(arn);
      return m && ctx.state.get(m[2]!, T.logGroup, m[3]!, m[1]!) ? undefined : accessDenied('log group', arn);
    },
  }),
  trailRule({
    // A trail delivers to a log group of its own account and region ("Sending events to
    // CloudWatch Logs"): a per-region trail needs a log group in each region.
    id: 'cloudtrail.log-group-same-region',
    error: 'InvalidCloudWatchLogsLogGroupArnException',
    message: 'Log group {arn} is not in the trail region {region} of account {account}.',
    doc: DOCS.ctCloudWatch,
    fields: ['cloudWatchLogsGroupArn'],
    check: (i, ctx) => {
      const arn = str(i.cloudWatchLogsGroupArn);
      const m = arn ? LOG_GROUP_ARN.exec(arn) : null;
      if (!m || (m[1] === ctx.region && m[2] === ctx.accountId)) return undefined;
      return `Log group ${arn} is not in the trail region ${ctx.region} of account ${ctx.accountId}.`;
    },
  }),
  trailRule({
    id: 'cloudtrail.log-role-exists',
    error: 'InvalidCloudWatchLogsRoleArnException',
    message: accessDenied('role', '{arn}'),
    doc: DOCS.ctCloudWatch,
    fields: ['cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'],
    check: (i, ctx) =>
      str(i.cloudWatchLogsGroupArn) && !logRole(i, ctx)
        ? accessDenied('role', str(i.cloudWatchLogsRoleArn) ?? '')
        : undefined,
  }),
  trailRule({
    // CloudTrail assumes the role: its trust policy must let cloudtrail.amazonaws.com
    // sts:AssumeRole. Conditions are evaluated against what CloudTrail's service requests carry
    // (aws:SourceArn = the trail, aws:SourceAccount).
    id: 'cloudtrail.log-role-trust',
    error: 'InvalidCloudWatchLogsRoleArnException',
    message: accessDenied('role', '{arn}'),
    doc: DOCS.ctCloudWatchRole,
    fields: ['cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'],
    check: (i, ctx) => {
      const role = str(i.cloudWatchLogsGroupArn) ? logRole(i, ctx) : undefined;
      if (!role) return undefined;
      const ok = policyAllowsService(
        role.inputs.assumeRolePolicy,
        'cloudtrail.amazonaws.com',
        'sts:AssumeRole',
        '',
        trailRequestContext(i, ctx),
      );
      return ok ? undefined : accessDenied('role', i.cloudWatchLogsRoleArn);
    },
  }),
  trailRule({
    // The role must allow logs:CreateLogStream and logs:PutLogEvents on the log group's streams
    // (CloudTrail names them <account>_CloudTrail_<region>).
    id: 'cloudtrail.log-role-permissions',
    error: 'InvalidCloudWatchLogsRoleArnException',
    message: accessDenied('role', '{arn}'),
    doc: DOCS.ctCloudWatchRole,
    fields: ['cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'],
    check: (i, ctx) => {
      const lg = str(i.cloudWatchLogsGroupArn);
      const m = lg ? LOG_GROUP_ARN.exec(lg) : null;
      const role = logRole(i, ctx);
      if (!m || !role) return undefined;
      const doc = roleIdentityPolicy(ctx, role.accountId, role.id);
      const stream = `arn:aws:logs:${m[1]}:${m[2]}:log-group:${m[3]}:log-stream:${ctx.accountId}_CloudTrail_${ctx.region}`;
      const ok =
        identityPolicyAllows(doc, 'logs:CreateLogStream', stream) &&
        identityPolicyAllows(doc, 'logs:PutLogEvents', stream);
      return ok ? undefined : accessDenied('role', i.cloudWatchLogsRoleArn);
    },
  }),

  // ---- CloudWatch Logs ----
  namingRule({
    id: 'logs.log-group-name',
    resource: T.logGroup,
    api: 'CreateLogGroup',
    error: 'InvalidParameterException',
    doc: DOCS.createLogGroup,
    what: 'CloudWatch Logs log group name',
    checks: [
      [len(1, 512), 'must be 1 to 512 characters long'],
      [/^[.\-_/#A-Za-z0-9]+$/, 'only alphanumeric characters and .-_/# are allowed'],
    ],
  }),
  alreadyExists({
    id: 'logs.log-group-exists',
    resource: T.logGroup,
    api: 'CreateLogGroup',
    error: 'ResourceAlreadyExistsException',
    message: () => 'The specified log group already exists',
    doc: DOCS.createLogGroup,
    service: 'CloudWatch Logs',
    call: 'CreateLogGroup',
    idOf: (i) => String(i.name),
  }),
  {
    // A KMS key is regional: the log group's key must exist in the log group's region.
    id: 'logs.kms-key-exists',
    resource: T.logGroup,
    api: 'CreateLogGroup, AssociateKmsKey',
    error: 'InvalidParameterException',
    message: 'The specified KMS key does not exist: {key}',
    doc: DOCS.logsKms,
    ...LOGS,
    fields: ['kmsKeyId'],
    check: (i, ctx) => {
      const k = str(i.kmsKeyId);
      return k && !keyInRegion(ctx, k) ? `The specified KMS key does not exist: ${k}` : undefined;
    },
  },
  {
    // The key policy must let logs.<region>.amazonaws.com use the key for this log group
    // (encryption context kms:EncryptionContext:aws:logs:arn = the log group's ARN).
    id: 'logs.kms-key-policy',
    resource: T.logGroup,
    api: 'CreateLogGroup, AssociateKmsKey',
    error: 'AccessDeniedException',
    message: "The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'",
    doc: DOCS.logsKms,
    ...LOGS,
    status: 400,
    fields: ['kmsKeyId'],
    check: (i, ctx) => {
      const k = str(i.kmsKeyId);
      const key = k ? resolveKmsKey(ctx.state, k, ctx.accountId, ctx.region) : undefined;
      if (!key) return undefined;
      const arn = `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${i.name}`;
      const context = { 'kms:EncryptionContext:aws:logs:arn': arn, 'aws:SourceAccount': ctx.accountId };
      const service = `logs.${ctx.region}.amazonaws.com`;
      const ok = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom'].every((a) =>
        policyAllowsService(key.outputs.policy, service, a, String(key.outputs.arn), context),
      );
      return ok
        ? undefined
        : `The specified KMS key does not exist or is not allowed to be used with Arn '${arn}'`;
    },
  },
  {
    id: 'logs.metric-filter-log-group-exists',
    resource: T.metricFilter,
    api: 'PutMetricFilter',
    error: 'ResourceNotFoundException',
    message: 'The specified log group does not exist.',
    doc: DOCS.putMetricFilter,
    ...refusedBy('CloudWatch Logs', 'PutMetricFilter'),
    check: (i, ctx) =>
      ctx.state.get(ctx.accountId, T.logGroup, String(i.logGroupName), ctx.region)
        ? undefined
        : 'The specified log group does not exist.',
  },
  {
    id: 'logs.metric-filters-per-log-group',
    resource: T.metricFilter,
    api: 'PutMetricFilter',
    error: 'LimitExceededException',
    message: 'Resource limit exceeded.',
    doc: DOCS.logsQuotas,
    ...refusedBy('CloudWatch Logs', 'PutMetricFilter'),
    ops: ['create'],
    check: (i, ctx) =>
      ctx.state
        .list({ accountId: ctx.accountId, type: T.metricFilter, region: ctx.region })
        .filter((f) => f.inputs.logGroupName === i.logGroupName).length >= 100
        ? 'Resource limit exceeded.'
        : undefined,
  },

  // ---- S3 ----
  {
    id: 's3.bucket-name',
    resource: T.bucket,
    api: 'CreateBucket',
    error: 'InvalidBucketName',
    message: 'invalid S3 bucket name "{name}": {reason}',
    doc: DOCS.bucketNaming,
    stage: 'check',
    validate: (i) => validateBucketName(i),
  },
  {
    id: 's3.bucket-name-taken',
    resource: T.bucket,
    api: 'CreateBucket',
    error: 'BucketAlreadyExists',
    message:
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system.',
    doc: DOCS.createBucket,
    ...refusedBy('S3', 'CreateBucket'),
    ops: ['create'],
    status: 409,
    check: (i, ctx) => {
      const existing = find(ctx.state, T.bucket, String(i.bucket));
      return existing && existing.accountId !== ctx.accountId
        ? 'The requested bucket name is not available. The bucket namespace is shared by all users of the system.'
        : undefined;
    },
  },
  {
    id: 's3.bucket-owned',
    resource: T.bucket,
    api: 'CreateBucket',
    error: 'BucketAlreadyOwnedByYou',
    message: 'Your previous request to create the named bucket succeeded and you already own it.',
    doc: DOCS.createBucket,
    ...refusedBy('S3', 'CreateBucket'),
    ops: ['create'],
    status: 409,
    check: (i, ctx) =>
      find(ctx.state, T.bucket, String(i.bucket), ctx.accountId)
        ? 'Your previous request to create the named bucket succeeded and you already own it.'
        : undefined,
  },
  ...BUCKET_SUBRESOURCES.map(
    ([resource, call]): ApplyRule => ({
      id: `s3.bucket-exists.${call}`,
      resource,
      api: call,
      error: 'NoSuchBucket',
      message: 'The specified bucket does not exist',
      doc: DOCS.createBucket,
      ...refusedBy('S3', call),
      status: 404,
      check: (i, ctx) =>
        find(ctx.state, T.bucket, String(i.bucket)) ? undefined : 'The specified bucket does not exist',
    }),
  ),
  {
    // "The source bucket and destination bucket must be in the same AWS Region and owned by the
    // same account", and the destination must not have an Object Lock default retention period.
    id: 's3.access-log-target',
    resource: T.bucketLogging,
    api: 'PutBucketLogging',
    error: 'InvalidTargetBucketForLogging',
    message: 'The target bucket for logging does not exist, is not owned by you, or is in another Region',
    doc: DOCS.accessLogging,
    ...refusedBy('S3', 'PutBucketLogging'),
    fields: ['targetBucket'],
    check: (i, ctx) => {
      const target = find(ctx.state, T.bucket, String(i.targetBucket));
      const source = find(ctx.state, T.bucket, String(i.bucket));
      if (!target) return 'The target bucket for logging does not exist';
      if (target.accountId !== ctx.accountId)
        return 'The owner for the bucket to be logged and the target bucket must be the same.';
      if (source && target.region !== source.region)
        return `The target bucket for logging is in ${target.region}, the source bucket in ${source.region}; they must be in the same Region.`;
      const lock = find(ctx.state, T.bucketObjectLock, target.id);
      if ((lock?.inputs.rule as Props | undefined)?.defaultRetention)
        return 'The target bucket for logging must not have an Object Lock default retention period.';
      return undefined;
    },
  },

  // ---- KMS ----
  namingRule({
    id: 'kms.alias-name',
    resource: T.alias,
    api: 'CreateAlias',
    error: 'ValidationException',
    doc: DOCS.createAlias,
    what: 'KMS alias name',
    checks: [
      [len(7, 256), 'must be between 1 and 250 characters after alias/'],
      [/^alias\//, 'must begin with alias/'],
      [(s) => !s.startsWith('alias/aws/'), 'the alias/aws/ prefix is reserved for AWS managed keys'],
      [
        /^alias\/[A-Za-z0-9/_-]+$/,
        'only alphanumeric characters, forward slashes (/), underscores (_) and dashes (-)',
      ],
    ],
  }),
  alreadyExists({
    id: 'kms.alias-exists',
    resource: T.alias,
    api: 'CreateAlias',
    error: 'AlreadyExistsException',
    message: (name) => `An alias with the name ${name} already exists`,
    doc: DOCS.createAlias,
    service: 'KMS',
    call: 'CreateAlias',
    idOf: (i) => String(i.name),
  }),
  {
    id: 'kms.alias-target-exists',
    resource: T.alias,
    api: 'CreateAlias',
    error: 'NotFoundException',
    message: 'Invalid keyId {key}',
    doc: DOCS.createAlias,
    ...refusedBy('KMS', 'CreateAlias', 'UpdateAlias'),
    // An alias and its key are in the same account and Region.
    check: (i, ctx) =>
      keyInRegion(ctx, String(i.targetKeyId)) ? undefined : `Invalid keyId ${i.targetKeyId}`,
  },
  {
    // The policy lockout safety check: a key policy must let the account (the caller's principal)
    // call PutKeyPolicy, or KMS refuses it unless BypassPolicyLockoutSafetyCheck is set.
    id: 'kms.key-policy-lockout',
    resource: T.key,
    api: 'CreateKey, PutKeyPolicy',
    error: 'MalformedPolicyDocumentException',
    message: 'The new key policy will not allow you to update the key policy in the future.',
    doc: DOCS.keyLockout,
    ...refusedBy('KMS', 'CreateKey', 'PutKeyPolicy'),
    fields: ['policy'],
    check: (i, ctx) => {
      const policy = str(i.policy);
      if (!policy || bool(i.bypassPolicyLockoutSafetyCheck)) return undefined;
      return policyAllowsAwsPrincipal(policy, `arn:aws:iam::${ctx.accountId}:root`, 'kms:PutKeyPolicy', '*')
        ? undefined
        : 'The new key policy will not allow you to update the key policy in the future.';
    },
  },

  // ---- IAM ----
  namingRule({
    id: 'iam.role-name',
    resource: T.role,
    api: 'CreateRole',
    error: 'ValidationError',
    doc: DOCS.iamQuotas,
    what: 'IAM role name',
    checks: [[len(1, 64), 'must be 1 to 64 characters long'], IAM_NAME_CHARACTERS],
  }),
  alreadyExists({
    id: 'iam.role-exists',
    resource: T.role,
    api: 'CreateRole',
    error: 'EntityAlreadyExists',
    message: (name) => `Role with name ${name} already exists.`,
    doc: DOCS.createRole,
    service: 'IAM',
    call: 'CreateRole',
    status: 409,
    idOf: (i) => String(i.name),
  }),
  namingRule({
    id: 'iam.role-policy-name',
    resource: T.rolePolicy,
    api: 'PutRolePolicy',
    error: 'ValidationError',
    doc: DOCS.putRolePolicy,
    what: 'IAM role policy name',
    checks: [[len(1, 128), 'must be 1 to 128 characters long'], IAM_NAME_CHARACTERS],
  }),
  {
    id: 'iam.role-policy-role-exists',
    resource: T.rolePolicy,
    api: 'PutRolePolicy',
    error: 'NoSuchEntity',
    message: 'The role with name {role} cannot be found.',
    doc: DOCS.putRolePolicy,
    ...refusedBy('IAM', 'PutRolePolicy'),
    status: 404,
    check: (i, ctx) =>
      ctx.state.get(ctx.accountId, T.role, String(i.role))
        ? undefined
        : `The role with name ${i.role} cannot be found.`,
  },

  // ---- SNS ----
  {
    id: 'sns.topic-name',
    resource: T.topic,
    api: 'CreateTopic',
    error: 'InvalidParameter',
    message: 'invalid SNS topic name "{name}": {reason}',
    doc: DOCS.createTopic,
    stage: 'check',
    validate: validateTopicName,
  },
  {
    // SNS calls go to the topic's Region: a topic ARN of another Region is not a topic here.
    id: 'sns.subscription-topic-region',
    resource: T.subscription,
    api: 'Subscribe',
    error: 'InvalidParameter',
    message: 'Invalid parameter: TopicArn',
    doc: DOCS.subscribe,
    ...refusedBy('SNS', 'Subscribe', 'SetSubscriptionAttributes'),
    check: (i, ctx) => (topicInOtherRegion(ctx, i.topic) ? 'Invalid parameter: TopicArn' : undefined),
  },
  {
    id: 'sns.subscription-topic-exists',
    resource: T.subscription,
    api: 'Subscribe',
    error: 'NotFound',
    message: 'Topic does not exist',
    doc: DOCS.subscribe,
    ...refusedBy('SNS', 'Subscribe', 'SetSubscriptionAttributes'),
    status: 404,
    check: (i, ctx) => (topicOf(ctx, String(i.topic)) ? undefined : 'Topic does not exist'),
  },
  {
    // Subscribe: an email endpoint is an email address, an https endpoint an https URL.
    id: 'sns.subscription-endpoint',
    resource: T.subscription,
    api: 'Subscribe',
    error: 'InvalidParameter',
    message: 'Invalid parameter: Endpoint',
    doc: DOCS.subscribe,
    stage: 'check',
    validate: (i) => {
      const e = str(i.endpoint);
      if (e === undefined) return [];
      const ok =
        i.protocol === 'email' || i.protocol === 'email-json'
          ? /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)
          : i.protocol === 'https'
            ? /^https:\/\/[^\s]+$/.test(e)
            : i.protocol === 'http'
              ? /^http:\/\/[^\s]+$/.test(e)
              : true;
      return ok
        ? []
        : [
            {
              property: 'endpoint',
              reason: `InvalidParameter: Invalid parameter: Endpoint (${i.protocol} ${e})`,
            },
          ];
    },
  },
  {
    id: 'sns.topic-policy-topic-region',
    resource: T.topicPolicy,
    api: 'SetTopicAttributes',
    error: 'InvalidParameter',
    message: 'Invalid parameter: TopicArn',
    doc: DOCS.createTopic,
    ...refusedBy('SNS', 'SetTopicAttributes'),
    check: (i, ctx) => (topicInOtherRegion(ctx, i.arn) ? 'Invalid parameter: TopicArn' : undefined),
  },
  {
    id: 'sns.topic-policy-topic-exists',
    resource: T.topicPolicy,
    api: 'SetTopicAttributes',
    error: 'NotFound',
    message: 'Topic does not exist',
    doc: DOCS.createTopic,
    ...refusedBy('SNS', 'SetTopicAttributes'),
    status: 404,
    check: (i, ctx) => (topicOf(ctx, String(i.arn)) ? undefined : 'Topic does not exist'),
  },

  // ---- CloudWatch alarms ----
  {
    // An alarm notifies SNS topics of its own Region only (AlarmActions: arn:aws:sns:region:…).
    id: 'cloudwatch.alarm-actions-same-region',
    resource: 'aws:cloudwatch/metricAlarm:MetricAlarm',
    api: 'PutMetricAlarm',
    error: 'ValidationError',
    message: 'Invalid region {actionRegion} specified. Only {region} is supported.',
    doc: DOCS.putMetricAlarm,
    ...refusedBy('CloudWatch', 'PutMetricAlarm'),
    fields: ['alarmActions', 'okActions', 'insufficientDataActions'],
    check: (i, ctx) => {
      const actions = ['alarmActions', 'okActions', 'insufficientDataActions'].flatMap((k) =>
        Array.isArray(i[k]) ? (i[k] as unknown[]).map(String) : [],
      );
      const other = actions
        .map((a) => arnParts(a))
        .find((p) => p?.service === 'sns' && p.region !== ctx.region);
      return other ? `Invalid region ${other.region} specified. Only ${ctx.region} is supported.` : undefined;
    },
  },

  // ---- EventBridge ----
  namingRule({
    id: 'events.rule-name',
    resource: T.eventRule,
    api: 'PutRule',
    error: 'ValidationException',
    doc: DOCS.putRule,
    what: 'EventBridge rule name',
    checks: [
      [len(1, 64), 'must be 1 to 64 characters long'],
      [/^[.\-_A-Za-z0-9]+$/, 'only alphanumeric characters and .-_ are allowed'],
    ],
  }),
  {
    id: 'events.target-rule-exists',
    resource: T.eventTarget,
    api: 'PutTargets',
    error: 'ResourceNotFoundException',
    message: 'Rule {rule} does not exist on EventBus {bus}.',
    doc: DOCS.putTargets,
    ...refusedBy('EventBridge', 'PutTargets'),
    check: (i, ctx) => {
      const bus = String(i.eventBusName ?? 'default');
      const ruleId = bus !== 'default' ? `${bus}/${i.rule}` : String(i.rule);
      return ctx.state.get(ctx.accountId, T.eventRule, ruleId, ctx.region)
        ? undefined
        : `Rule ${i.rule} does not exist on EventBus ${bus}.`;
    },
  },

  // ---- Glue and Athena ----
  namingRule({
    // Glue accepts other names, but Athena cannot query databases and tables whose names have
    // characters other than lowercase letters, digits and underscores; the sandbox holds our
    // catalog to what Athena can use.
    id: 'glue.athena-compatible-names',
    resource: T.glueDatabase,
    api: 'CreateDatabase',
    error: 'InvalidInputException',
    doc: DOCS.athenaNames,
    what: 'Glue database name',
    checks: ATHENA_NAME,
  }),
  alreadyExists({
    id: 'glue.database-exists',
    resource: T.glueDatabase,
    api: 'CreateDatabase',
    error: 'AlreadyExistsException',
    message: () => 'Database already exists.',
    doc: DOCS.glueCreateDatabase,
    service: 'Glue',
    call: 'CreateDatabase',
    idOf: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.name}`,
  }),
  namingRule({
    id: 'glue.table-name',
    resource: T.glueTable,
    api: 'CreateTable',
    error: 'InvalidInputException',
    doc: DOCS.athenaNames,
    what: 'Glue table name',
    checks: ATHENA_NAME,
  }),
  {
    id: 'glue.table-database-exists',
    resource: T.glueTable,
    api: 'CreateTable',
    error: 'EntityNotFoundException',
    message: 'Database {database} not found.',
    doc: DOCS.glueCreateTable,
    ...refusedBy('Glue', 'CreateTable', 'UpdateTable'),
    check: (i, ctx) =>
      ctx.state.get(ctx.accountId, T.glueDatabase, `${ctx.accountId}:${i.databaseName}`, ctx.region)
        ? undefined
        : `Database ${i.databaseName} not found.`,
  },
  alreadyExists({
    id: 'glue.table-exists',
    resource: T.glueTable,
    api: 'CreateTable',
    error: 'AlreadyExistsException',
    message: () => 'Table already exists.',
    doc: DOCS.glueCreateTable,
    service: 'Glue',
    call: 'CreateTable',
    idOf: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.databaseName}:${i.name}`,
  }),
  namingRule({
    id: 'athena.workgroup-name',
    resource: T.workgroup,
    api: 'CreateWorkGroup',
    error: 'InvalidRequestException',
    doc: DOCS.athenaWorkgroup,
    what: 'Athena workgroup name',
    checks: [
      [len(1, 128), 'must be 1 to 128 characters long'],
      [/^[a-zA-Z0-9._-]+$/, 'only letters, numbers, periods (.), underscores (_) and dashes (-)'],
    ],
  }),
  alreadyExists({
    id: 'athena.workgroup-exists',
    resource: T.workgroup,
    api: 'CreateWorkGroup',
    error: 'InvalidRequestException',
    message: (name) => `WorkGroup ${name} is already created`,
    doc: DOCS.athenaWorkgroup,
    service: 'Athena',
    call: 'CreateWorkGroup',
    idOf: (i) => String(i.name),
  }),
  {
    // OutputLocation is an s3:// URI; SSE_KMS and CSE_KMS need the KMS key.
    id: 'athena.workgroup-result-configuration',
    resource: T.workgroup,
    api: 'CreateWorkGroup, UpdateWorkGroup',
    error: 'InvalidRequestException',
    message: '{reason}',
    doc: DOCS.athenaEncryption,
    stage: 'check',
    validate: (i) => {
      const rc = (i.configuration as Props | undefined)?.resultConfiguration as Props | undefined;
      if (!rc) return [];
      const out: Failure[] = [];
      const loc = rc.outputLocation;
      if (typeof loc === 'string' && loc !== UNKNOWN && !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(loc)) {
        out.push({
          property: 'configuration.resultConfiguration.outputLocation',
          reason: `InvalidRequestException: OutputLocation must be an s3:// URI, got ${loc}`,
        });
      }
      const enc = rc.encryptionConfiguration as Props | undefined;
      const option = enc?.encryptionOption;
      if (option !== undefined && option !== UNKNOWN) {
        if (!['SSE_S3', 'SSE_KMS', 'CSE_KMS'].includes(String(option))) {
          out.push({
            property: 'configuration.resultConfiguration.encryptionConfiguration.encryptionOption',
            reason: `InvalidRequestException: expected encryptionOption to be one of [SSE_S3 SSE_KMS CSE_KMS], got ${option}`,
          });
        } else if (option !== 'SSE_S3' && !enc?.kmsKeyArn) {
          out.push({
            property: 'configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn',
            reason: `InvalidRequestException: ${option} requires a KMS key`,
          });
        }
      }
      return out;
    },
  },
  {
    // A KMS key is regional; Athena in one Region cannot use a key of another.
    id: 'athena.workgroup-kms-key',
    resource: T.workgroup,
    api: 'CreateWorkGroup, UpdateWorkGroup',
    error: 'InvalidRequestException',
    message: 'The KMS key {key} does not exist in {region}.',
    doc: DOCS.athenaEncryption,
    ...refusedBy('Athena', 'CreateWorkGroup', 'UpdateWorkGroup'),
    check: (i, ctx) => {
      const rc = (i.configuration as Props | undefined)?.resultConfiguration as Props | undefined;
      const k = str((rc?.encryptionConfiguration as Props | undefined)?.kmsKeyArn);
      return k && !keyInRegion(ctx, k) ? `The KMS key ${k} does not exist in ${ctx.region}.` : undefined;
    },
  },
];

/** SNS calls go to the topic's Region: a topic ARN of another Region is not a topic here. */
function topicInOtherRegion(ctx: Ctx, arn: unknown) {
  const region = arnParts(String(arn))?.region;
  return Boolean(region) && region !== ctx.region;
}

function topicOf(ctx: Ctx, arn: string) {
  const parts = arnParts(arn);
  return ctx.state.get(parts?.account || ctx.accountId, T.topic, arn, parts?.region || ctx.region);
}

export function validateBucketName(inputs: Props, prop = 'bucket'): Failure[] {
  return nameRule(prop, 'S3 bucket name', 'InvalidBucketName', [
    [len(3, 63), 'must be between 3 and 63 characters long'],
    [/^[a-z0-9.-]+$/, 'only lowercase letters, numbers, dots (.) and hyphens (-) are allowed'],
    [/^[a-z0-9].*[a-z0-9]$/, 'must begin and end with a letter or number'],
    [(s) => !s.includes('..'), 'must not contain two adjacent periods'],
    [(s) => !isIp(s), 'must not be formatted as an IP address'],
    [(s) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(s), 'must not start with xn--, sthree- or amzn-s3-demo-'],
    [(s) => !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(s), 'must not end with a reserved suffix'],
  ])(inputs);
}

function validateTopicName(inputs: Props): Failure[] {
  const v = str(inputs.name);
  if (v === undefined) return [];
  const fifo = inputs.fifoTopic === true;
  const base = fifo ? v.replace(/\.fifo$/, '') : v;
  const bad = (reason: string) => [
    { property: 'name', reason: `InvalidParameter: invalid SNS topic name ${JSON.stringify(v)}: ${reason}` },
  ];
  if (fifo && !v.endsWith('.fifo')) return bad('a FIFO topic name must end with .fifo');
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(base) || v.length > 256)
    return bad('must be 1 to 256 alphanumeric characters, hyphens (-) or underscores (_)');
  return [];
}

/** The check-stage failures of a resource's inputs. */
export function checkFailures(token: string, inputs: Props): Failure[] {
  return RULES.filter((r): r is CheckRule => r.resource === token && r.stage === 'check').flatMap((r) =>
    r.validate(inputs),
  );
}

/**
 * Runs the apply-stage rules of a resource in table order and throws AWS's error for the first
 * one broken. `label` and `name` word the operation as the Terraform provider does.
 */
export function enforceRules(
  token: string,
  label: string,
  name: string,
  inputs: Props,
  ctx: Ctx,
  op: Op,
  id?: string,
): void {
  for (const rule of RULES) {
    if (rule.resource !== token || rule.stage !== 'apply') continue;
    if (rule.ops && !rule.ops.includes(op)) continue;
    if (
      op === 'update' &&
      rule.fields?.length &&
      !rule.fields.some((k) => JSON.stringify(ctx.prev?.[k]) !== JSON.stringify(inputs[k]))
    )
      continue;
    const message = rule.check(inputs, ctx, op, id);
    if (message !== undefined) {
      const verb = op === 'create' ? 'creating' : 'updating';
      const err = new AwsApiError(
        `${verb} ${label} (${name})`,
        rule.service,
        rule.calls[op],
        rule.error,
        message,
        rule.status,
      );
      err.ruleId = rule.id;
      throw err;
    }
  }
}
