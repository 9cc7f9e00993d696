// S3: buckets and their one-per-bucket sub-resources.
import { T } from '../core.ts';
import { validateBucketName } from '../rules.ts';
import { all, oneOf, type ResourceSpec } from './spec.ts';

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

/** S3 bucket sub-resources: one per bucket, id = bucket name, written with an idempotent Put* call. */
function bucketScoped(token: string, label: string, extra: Partial<ResourceSpec> = {}): ResourceSpec {
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

export const S3: ResourceSpec[] = [
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
  // PutBucketVersioning
  bucketScoped('aws:s3/bucketVersioning:BucketVersioning', 'S3 Bucket Versioning', {
    required: ['bucket', 'versioningConfiguration'],
    validate: all(
      (i) => validateBucketName(i),
      oneOf('versioningConfiguration.status', ['Enabled', 'Suspended', 'Disabled']),
    ),
  }),
  // PutBucketEncryption
  bucketScoped(T.bucketEncryption, 'S3 Bucket Server-side Encryption Configuration', {
    required: ['bucket', 'rules'],
  }),
  // PutPublicAccessBlock
  bucketScoped('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'S3 Bucket Public Access Block', {
    forceNew: ['bucket', 'region'],
    defaults: {
      blockPublicAcls: false,
      blockPublicPolicy: false,
      ignorePublicAcls: false,
      restrictPublicBuckets: false,
    },
  }),
  // PutBucketOwnershipControls
  bucketScoped('aws:s3/bucketOwnershipControls:BucketOwnershipControls', 'S3 Bucket Ownership Controls', {
    required: ['bucket', 'rule'],
    forceNew: ['bucket', 'region'],
    validate: all(
      (i) => validateBucketName(i),
      oneOf('rule.objectOwnership', ['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced']),
    ),
  }),
  // PutBucketPolicy
  bucketScoped(T.bucketPolicy, 'S3 Bucket Policy', {
    required: ['bucket', 'policy'],
    forceNew: ['bucket', 'region'],
    jsonProps: ['policy'],
  }),
  // PutBucketLifecycleConfiguration
  bucketScoped(
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
    'S3 Bucket Lifecycle Configuration',
    { defaults: { transitionDefaultMinimumObjectSize: 'all_storage_classes_128K' } },
  ),
  // PutObjectLockConfiguration
  bucketScoped(T.bucketObjectLock, 'S3 Bucket Object Lock Configuration', {
    defaults: { objectLockEnabled: 'Enabled' },
  }),
  // PutBucketLogging
  bucketScoped(T.bucketLogging, 'S3 Bucket Logging', {
    required: ['bucket', 'targetBucket', 'targetPrefix'],
  }),
];
