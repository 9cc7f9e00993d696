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
  homeRegion: string;
  trailArns: string[];
  logGroupArn: string;
  securityReaders: string[];
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
    {
      Sid: 'CloudTrailEncryptThisTrail',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: ctIsThisTrail,
    },
    {
      Sid: 'CloudTrailDescribeKey',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:DescribeKey',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceArn': i.trailArns } },
    },
    {
      // CloudWatch Logs encrypts the log group with the key; the context pins it to that group.
      Sid: 'CloudWatchLogsEncryptLogGroup',
      Effect: 'Allow',
      Principal: { Service: `logs.${i.homeRegion}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': i.logGroupArn } },
    },
    {
      // Alarms (CloudWatch) and rules (EventBridge) publish to the KMS-encrypted topic.
      Sid: 'AlarmPublishersUseTopicKey',
      Effect: 'Allow',
      Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    },
  ];
  if (i.securityReaders.length > 0) {
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

export function cloudTrailAssumeRolePolicy(i: { accountId: string; trailArns: string[] }) {
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'CloudTrailForThisTrailOnly',
        Effect: 'Allow' as const,
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceArn': i.trailArns, 'aws:SourceAccount': i.accountId } },
      },
    ],
  };
}

export function logDeliveryPolicy(i: { logGroupArn: string }) {
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'WriteTrailLogStreams',
        Effect: 'Allow' as const,
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${i.logGroupArn}:log-stream:*`,
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

/** Trust for the role EventBridge uses to forward events from a trail region to the home bus. */
export function eventsAssumeRolePolicy(i: { accountId: string }) {
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'EventBridgeOfThisAccount',
        Effect: 'Allow' as const,
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': i.accountId } },
      },
    ],
  };
}

export function eventsForwardPolicy(i: { homeBusArn: string }) {
  return {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Sid: 'PutEventsOnHomeBus',
        Effect: 'Allow' as const,
        Action: 'events:PutEvents',
        Resource: i.homeBusArn,
      } satisfies IdentityStatement,
    ],
  };
}
