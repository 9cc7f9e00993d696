// Policy documents as plain functions of plain strings: the components feed them resolved
// values, and the tests read the statements directly.

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** IAM identity policies have no Principal. */
export interface IdentityStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

const doc = (statements: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

export interface KeyPolicyInput {
  partition: string;
  accountId: string;
  /** The key's Region: its log group and alarm topic are in the same Region. */
  homeRegion: string;
  /** Trails that encrypt log files with this key; empty for a Region's monitoring-only key. */
  trailArns: string[];
  logGroupArn: string;
  securityReaders: string[];
  /** Name prefix of the alarms that publish to the topic the key encrypts. */
  alarmNamePrefix: string;
}

export function keyPolicy(i: KeyPolicyInput): PolicyDocument {
  const ctIsThisTrail = {
    StringEquals: { 'aws:SourceArn': i.trailArns },
    StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': i.trailArns },
  };
  const statements: Statement[] = [
    {
      // AWS's default key policy: the account (its IAM administrators) keeps control of the key,
      // otherwise it becomes unmanageable.
      Sid: 'AccountAdministration',
      Effect: 'Allow',
      Principal: { AWS: `arn:${i.partition}:iam::${i.accountId}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ];
  if (i.trailArns.length > 0) {
    statements.push(
      {
        Sid: 'CloudTrailEncryptThisTrail',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: ctIsThisTrail,
      },
      {
        // The log bucket uses an S3 Bucket Key: "If you are using an existing S3 bucket with an S3
        // Bucket Key, kms:Decrypt permissions are required to create or update a trail with SSE-KMS
        // encryption enabled" (CloudTrail User Guide, "Configure AWS KMS key policies for
        // CloudTrail", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html,
        // whose example "Allow CloudTrail to decrypt a trail" grants it to the CloudTrail service
        // principal). Bound to our trails by aws:SourceArn, which that page recommends for trail
        // key policies; with a Bucket Key the encryption context is the bucket's, not the trail's.
        Sid: 'CloudTrailDecryptForBucketKey',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceArn': i.trailArns } },
      },
      {
        Sid: 'CloudTrailDescribeKey',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:DescribeKey',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceArn': i.trailArns } },
      },
    );
  }
  statements.push(
    {
      // CloudWatch Logs encrypts the log group with the key; the context pins it to that group.
      // CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
      // Service" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html):
      // grant logs.<region>.amazonaws.com, where <region> is the log group's, and "This service
      // principal must be in the same region as where the CMK is stored"; the condition is the
      // page's kms:EncryptionContext:aws:logs:arn. Hence one key per monitored Region.
      Sid: 'CloudWatchLogsEncryptLogGroup',
      Effect: 'Allow',
      Principal: { Service: `logs.${i.homeRegion}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': i.logGroupArn } },
    },
    {
      // Alarms publish to the KMS-encrypted topic. SNS Developer Guide, "Enable compatibility
      // between event sources from AWS services and encrypted topics"
      // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): grant the service
      // principal (cloudwatch.amazonaws.com for CloudWatch) kms:GenerateDataKey* and kms:Decrypt,
      // and add aws:SourceAccount and aws:SourceArn against confused deputies (step 3; only
      // EventBridge is excepted).
      Sid: 'CloudWatchAlarmsUseTopicKey',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': i.accountId },
        ArnLike: {
          'aws:SourceArn': `arn:${i.partition}:cloudwatch:${i.homeRegion}:${i.accountId}:alarm:${i.alarmNamePrefix}-*`,
        },
      },
    },
    {
      // Unconditioned on purpose. SNS Developer Guide, "Managing Amazon SNS encryption keys and
      // costs", section "Enable compatibility between event sources from AWS services and
      // encrypted topics" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html):
      // "Adding the aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to a AWS KMS policy is
      // not supported for EventBridge-to-encrypted topics." The topic policy (topicPolicy below)
      // is what binds EventBridge publishers to our rules.
      Sid: 'EventBridgeRulesUseTopicKey',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
  );
  if (i.securityReaders.length > 0 && i.trailArns.length > 0) {
    statements.push({
      // Readers decrypt CloudTrail log files only: the context must name a trail of this account.
      Sid: 'SecurityReadersDecryptLogs',
      Effect: 'Allow',
      Principal: { AWS: i.securityReaders },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: {
        Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' },
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${i.partition}:cloudtrail:*:${i.accountId}:trail/*`,
        },
      },
    });
  }
  return doc(statements);
}

export interface BucketPolicyInput {
  bucketArn: string;
  accountId: string;
  organizationId?: string;
  trailArns: string[];
}

export function bucketPolicy(i: BucketPolicyInput): PolicyDocument {
  const logPrefixes = [`${i.bucketArn}/AWSLogs/${i.accountId}/*`];
  if (i.organizationId) logPrefixes.push(`${i.bucketArn}/AWSLogs/${i.organizationId}/*`);
  return doc([
    {
      Sid: 'CloudTrailAclCheck',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Resource: i.bucketArn,
      Condition: { StringEquals: { 'aws:SourceArn': i.trailArns } },
    },
    {
      Sid: 'CloudTrailWrite',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: logPrefixes,
      Condition: {
        StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': i.trailArns },
      },
    },
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [i.bucketArn, `${i.bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}

/**
 * Trust of the role CloudTrail delivers to CloudWatch Logs with, exactly as AWS documents it
 * (CloudTrail User Guide, "Sending events to CloudWatch Logs", "Creating a role": principal
 * cloudtrail.amazonaws.com, sts:AssumeRole, no condition). "Confused deputy prevention is not
 * applicable to the role policy for CloudWatch Logs monitoring. The role policy doesn't support
 * the use of aws:SourceArn and aws:SourceAccount" (CloudTrail User Guide, "Role policy document
 * for CloudTrail to use CloudWatch Logs for monitoring",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html).
 */
export function cloudTrailAssumeRolePolicy() {
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'CloudTrailDeliversToLogs',
        Effect: 'Allow' as const,
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'sts:AssumeRole',
      },
    ],
  };
}

/**
 * CreateLogStream and PutLogEvents on the trails' streams only. CloudTrail names a stream
 * `<account>_CloudTrail_<trail region>` (with a `_<number>` suffix when there are several: CloudTrail
 * User Guide, "CloudWatch log group and log stream naming for CloudTrail"), and the same page's
 * policies grant `<account>_CloudTrail_<region>*` and, for an organization trail, `<o-id>_*`. Each
 * log group is in its trail's Region, so that Region is the one in its streams' names.
 */
export function logDeliveryPolicy(i: { logGroupArns: string[]; accountId: string; organizationId?: string }) {
  const streams = i.logGroupArns.flatMap((g) => {
    const region = g.split(':')[3];
    if (!region) throw new Error(`not a log group ARN: ${g}`);
    return [
      `${g}:log-stream:${i.accountId}_CloudTrail_${region}*`,
      ...(i.organizationId ? [`${g}:log-stream:${i.organizationId}_*`] : []),
    ];
  });
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'WriteTrailLogStreams',
        Effect: 'Allow' as const,
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: streams,
      } satisfies IdentityStatement,
    ],
  };
}

export interface TopicPolicyInput {
  partition: string;
  accountId: string;
  region: string;
  topicArn: string;
  /** Name prefix of the alarms and event rules that may publish. */
  namePrefix: string;
}

export function topicPolicy(i: TopicPolicyInput): PolicyDocument {
  return doc([
    {
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: i.topicArn,
      Condition: {
        StringEquals: { 'aws:SourceAccount': i.accountId },
        ArnLike: {
          'aws:SourceArn': `arn:${i.partition}:cloudwatch:${i.region}:${i.accountId}:alarm:${i.namePrefix}-*`,
        },
      },
    },
    {
      Sid: 'EventBridgeRulesPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: i.topicArn,
      Condition: {
        StringEquals: { 'aws:SourceAccount': i.accountId },
        ArnLike: {
          'aws:SourceArn': `arn:${i.partition}:events:${i.region}:${i.accountId}:rule/${i.namePrefix}-*`,
        },
      },
    },
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: i.topicArn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}
