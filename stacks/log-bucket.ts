import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { bucketPolicy } from './policies.ts';

export interface LogBucketArgs {
  bucketName: string;
  bucketArn: string;
  accountId: string;
  organizationId?: string;
  trailArns: string[];
  keyArn: pulumi.Input<string>;
  retention: ResolvedTrailRequest['retention'];
  objectLock?: ResolvedTrailRequest['objectLock'];
  accessLogBucket?: string;
}

/** S3 Glacier Deep Archive bills at least 180 days; shorter stays go to Glacier Flexible Retrieval. */
export function archiveStorageClass(
  retention: ResolvedTrailRequest['retention'],
): 'GLACIER' | 'DEEP_ARCHIVE' {
  return retention.expireAfterDays - retention.archiveAfterDays >= 180 ? 'DEEP_ARCHIVE' : 'GLACIER';
}

export function lifecycleRules(retention: ResolvedTrailRequest['retention']) {
  // Archiving on or after expiry would be a no-op that S3 rejects; leave it out then.
  const archive = retention.archiveAfterDays < retention.expireAfterDays;
  const storageClass = archiveStorageClass(retention);
  return [
    {
      id: 'archive-then-expire',
      status: 'Enabled',
      filter: { prefix: '' },
      transitions: archive ? [{ days: retention.archiveAfterDays, storageClass }] : [],
      expiration: { days: retention.expireAfterDays },
      // Overwritten or deleted log files are kept as long as current ones, so deleting a log
      // does not shorten how long it can be recovered.
      noncurrentVersionTransitions: archive
        ? [{ noncurrentDays: retention.archiveAfterDays, storageClass }]
        : [],
      noncurrentVersionExpiration: { noncurrentDays: retention.expireAfterDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
}

/** The bucket CloudTrail delivers to, in the key's region. */
export class LogBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly policy: aws.s3.BucketPolicy;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:LogBucket', name, {}, opts);
    const child = { parent: this };
    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: args.bucketName, objectLockEnabled: args.objectLock !== undefined, forceDestroy: false },
      child,
    );
    const bucket = this.bucket.id;
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      child,
    );
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: 'Enabled' } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.keyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      child,
    );
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: JSON.stringify(
          bucketPolicy({
            bucketArn: args.bucketArn,
            accountId: args.accountId,
            organizationId: args.organizationId,
            trailArns: args.trailArns,
          }),
        ),
      },
      { parent: this, dependsOn: [this.publicAccessBlock, ownership] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket, rules: lifecycleRules(args.retention) },
      { parent: this, dependsOn: [versioning] },
    );
    if (args.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        {
          bucket,
          objectLockEnabled: 'Enabled',
          rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
        },
        { parent: this, dependsOn: [versioning] },
      );
    }
    if (args.accessLogBucket) {
      new aws.s3.BucketLogging(
        `${name}-access-logging`,
        { bucket, targetBucket: args.accessLogBucket, targetPrefix: `${args.bucketName}/` },
        child,
      );
    }
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.name, bucketArn: this.arn });
  }
}
