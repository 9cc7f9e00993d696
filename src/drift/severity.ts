// The drift severity table, as data. A drifted property (or a deleted resource) is classified
// by the first rule that matches; nothing matching means `low`.
//
// The question each rule answers: does this out-of-band change blind the account (critical),
// weaken detection or evidence without blinding it (high), or is it cosmetic (low)?
//
// Facts the table relies on (see the report for sources):
// - A refresh reports a resource whose provider read finds nothing as op `delete`. The AWS
//   provider reads a KMS key in state PendingDeletion as not found, so "key scheduled for
//   deletion" arrives as a deleted `aws:kms/key:Key`.
// - Property paths are Pulumi property paths: `enableLogging`, `tags.env`,
//   `advancedEventSelectors[0].fieldSelectors[1].equals[0]`, `tags["a.b"]`.

import { isAbsent } from './property-diff.ts';
import { pathCovers } from './property-paths.ts';

export const SEVERITIES = ['low', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type DriftOperation = 'modified' | 'deleted';

/** What a rule looks at. `path` is absent for a deleted resource (and for a resource-level change). */
export interface DriftFact {
  type: string;
  operation: DriftOperation;
  path?: string;
  /** What the state recorded; undefined when the property was absent. */
  expected?: unknown;
  /** What the cloud has now; undefined when the property is gone. */
  actual?: unknown;
}

export interface SeverityRule {
  /** Stable id, reported with every classified change. */
  id: string;
  /** One line a human reads in the report / notification. */
  reason: string;
  /** Resource type token (exact), a list of them, or '*' for any type. */
  type: string | readonly string[];
  /** Restricts the rule to one operation; absent matches both. */
  operation?: DriftOperation;
  /**
   * Property path(s) the rule covers. A string covers that property and everything below it
   * (`tags` covers `tags.env`, `advancedEventSelectors` covers `advancedEventSelectors[0].name`).
   * A RegExp is tested against the whole path. Absent: the rule matches only facts without a path
   * (a deleted resource, or a modified resource whose changed properties are unknown).
   * '*' matches any path, and facts without one.
   */
  path?: string | readonly string[] | RegExp | '*';
  /** Extra condition on the values. */
  when?: (fact: DriftFact) => boolean;
  severity: Severity;
}

// ---- value predicates -------------------------------------------------------------------

/** The property no longer holds `true` (false, removed, or anything else). */
const notTrue = (f: DriftFact): boolean => f.actual !== true;
/** Was `true` in the state, is not `true` any more: a narrowing switch. */
const turnedOff = (f: DriftFact): boolean => f.expected === true && f.actual !== true;
/** The state had a value; the cloud now has a different one or none (adding one where none was is not a loss). */
const changedOrRemoved = (f: DriftFact): boolean => !isAbsent(f.expected);
/** S3 versioning status is no longer Enabled. */
const versioningNotEnabled = (f: DriftFact): boolean => f.actual !== 'Enabled';

// ---- type tokens (pulumi-aws 7.x) -----------------------------------------------------------

export const T = {
  trail: 'aws:cloudtrail/trail:Trail',
  bucket: ['aws:s3/bucket:Bucket', 'aws:s3/bucketV2:BucketV2'],
  bucketSse: [
    'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
  ],
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  publicAccessBlock: [
    'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
    'aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock',
  ],
  bucketVersioning: [
    'aws:s3/bucketVersioning:BucketVersioning',
    'aws:s3/bucketVersioningV2:BucketVersioningV2',
  ],
  bucketObjectLock: [
    'aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration',
    'aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2',
  ],
  bucketLifecycle: [
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
    'aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2',
  ],
  bucketLogging: ['aws:s3/bucketLogging:BucketLogging', 'aws:s3/bucketLoggingV2:BucketLoggingV2'],
  kmsKey: 'aws:kms/key:Key',
  kmsKeyPolicy: 'aws:kms/keyPolicy:KeyPolicy',
  kmsAlias: 'aws:kms/alias:Alias',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  metricFilter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  metricAlarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  iamRole: 'aws:iam/role:Role',
  iamRolePolicy: ['aws:iam/rolePolicy:RolePolicy', 'aws:iam/rolePolicyAttachment:RolePolicyAttachment'],
  snsTopic: 'aws:sns/topic:Topic',
  snsTopicPolicy: 'aws:sns/topicPolicy:TopicPolicy',
  snsSubscription: 'aws:sns/topicSubscription:TopicSubscription',
} as const;

const PAB_FLAGS = [
  'blockPublicAcls',
  'blockPublicPolicy',
  'ignorePublicAcls',
  'restrictPublicBuckets',
] as const;

/** First match wins. Order matters: put the narrow rules before the broad ones. */
export const SEVERITY_RULES: readonly SeverityRule[] = [
  // Tags never change what is logged; they are cosmetic wherever they are.
  {
    id: 'tags',
    reason: 'Tags changed',
    type: '*',
    operation: 'modified',
    path: ['tags', 'tagsAll'],
    severity: 'low',
  },

  // ---- the trail ----
  {
    id: 'trail-deleted',
    reason: 'Trail deleted: the account is no longer logged',
    type: T.trail,
    operation: 'deleted',
    severity: 'critical',
  },
  {
    id: 'trail-logging-stopped',
    reason: 'Trail logging stopped (StopLogging)',
    type: T.trail,
    path: 'enableLogging',
    when: notTrue,
    severity: 'critical',
  },
  {
    id: 'trail-log-file-validation-off',
    reason: 'Log file integrity validation turned off: tampering with delivered logs goes undetected',
    type: T.trail,
    path: 'enableLogFileValidation',
    when: notTrue,
    severity: 'critical',
  },
  {
    id: 'trail-kms-changed',
    reason: 'Trail KMS encryption removed or switched to another key',
    type: T.trail,
    path: 'kmsKeyId',
    when: changedOrRemoved,
    severity: 'critical',
  },
  {
    id: 'trail-selectors-changed',
    reason: 'Trail event selectors changed: events the baseline records may no longer be logged',
    type: T.trail,
    path: ['advancedEventSelectors', 'eventSelectors'],
    severity: 'critical',
  },
  {
    id: 'trail-multi-region-off',
    reason: 'Trail no longer multi-region: other regions are unlogged',
    type: T.trail,
    path: 'isMultiRegionTrail',
    when: turnedOff,
    severity: 'critical',
  },
  {
    id: 'trail-global-events-off',
    reason: 'Trail no longer includes global service events (IAM, STS, CloudFront)',
    type: T.trail,
    path: 'includeGlobalServiceEvents',
    when: turnedOff,
    severity: 'critical',
  },
  {
    id: 'trail-organization-off',
    reason: 'Trail no longer an organization trail: member accounts are unlogged',
    type: T.trail,
    path: 'isOrganizationTrail',
    when: turnedOff,
    severity: 'critical',
  },
  {
    id: 'trail-destination-changed',
    reason: 'Trail delivers to another bucket',
    type: T.trail,
    path: 's3BucketName',
    severity: 'critical',
  },
  {
    id: 'trail-prefix-changed',
    reason: 'Trail delivers under another key prefix',
    type: T.trail,
    path: 's3KeyPrefix',
    severity: 'high',
  },
  {
    id: 'trail-cloudwatch-delivery-changed',
    reason: 'Trail delivery to CloudWatch Logs removed or redirected: metric filters and alarms go blind',
    type: T.trail,
    path: ['cloudWatchLogsGroupArn', 'cloudWatchLogsRoleArn'],
    severity: 'high',
  },
  {
    id: 'trail-insights-changed',
    reason: 'Trail Insights selectors changed',
    type: T.trail,
    path: 'insightSelectors',
    severity: 'high',
  },
  {
    id: 'trail-sns-changed',
    reason: 'Trail delivery notifications changed',
    type: T.trail,
    path: ['snsTopicName', 'snsTopicArn'],
    severity: 'low',
  },

  // ---- the log bucket ----
  {
    id: 'bucket-deleted',
    reason: 'Log bucket deleted',
    type: T.bucket,
    operation: 'deleted',
    severity: 'critical',
  },
  {
    id: 'bucket-inline-sse-changed',
    reason: 'Log bucket default encryption changed or removed',
    type: T.bucket,
    path: 'serverSideEncryptionConfiguration',
    severity: 'critical',
  },
  {
    id: 'bucket-inline-policy-changed',
    reason: 'Log bucket policy changed',
    type: T.bucket,
    path: 'policy',
    severity: 'critical',
  },
  {
    id: 'bucket-inline-versioning-changed',
    reason: 'Log bucket versioning changed',
    type: T.bucket,
    path: 'versioning',
    severity: 'high',
  },
  {
    id: 'bucket-inline-object-lock-changed',
    reason: 'Log bucket object lock changed',
    type: T.bucket,
    path: 'objectLockConfiguration',
    severity: 'high',
  },
  {
    id: 'bucket-sse-changed',
    reason: 'Log bucket default encryption (SSE-KMS) changed or removed',
    type: T.bucketSse,
    path: '*',
    severity: 'critical',
  },
  {
    id: 'bucket-policy-changed',
    reason:
      'Log bucket policy changed or deleted: CloudTrail may be unable to deliver, or others may read or delete logs',
    type: T.bucketPolicy,
    path: '*',
    severity: 'critical',
  },
  {
    id: 'public-access-block-deleted',
    reason: 'Public access block removed',
    type: T.publicAccessBlock,
    operation: 'deleted',
    severity: 'critical',
  },
  {
    id: 'public-access-block-loosened',
    reason: 'Public access block loosened',
    type: T.publicAccessBlock,
    path: PAB_FLAGS,
    when: notTrue,
    severity: 'critical',
  },
  {
    id: 'bucket-versioning-changed',
    reason: 'Log bucket versioning suspended or removed: deleted or overwritten logs are unrecoverable',
    type: T.bucketVersioning,
    path: '*',
    when: (f) => f.operation === 'deleted' || f.path === undefined || versioningNotEnabled(f),
    severity: 'high',
  },
  {
    id: 'bucket-object-lock-changed',
    reason: 'Log bucket object lock retention changed or removed',
    type: T.bucketObjectLock,
    path: '*',
    severity: 'high',
  },
  {
    id: 'bucket-lifecycle-changed',
    reason: 'Log bucket lifecycle (retention) changed or removed',
    type: T.bucketLifecycle,
    path: '*',
    severity: 'high',
  },
  {
    id: 'bucket-access-logging-changed',
    reason: 'Log bucket server access logging changed or removed',
    type: T.bucketLogging,
    path: '*',
    severity: 'high',
  },

  // ---- the key ----
  {
    id: 'kms-key-deleted',
    reason:
      'KMS key deleted or scheduled for deletion (the provider reads a PendingDeletion key as gone): logs become undecryptable and delivery fails',
    type: T.kmsKey,
    operation: 'deleted',
    severity: 'critical',
  },
  {
    id: 'kms-key-disabled',
    reason: 'KMS key disabled: CloudTrail cannot encrypt, delivery stops',
    type: T.kmsKey,
    path: 'isEnabled',
    when: notTrue,
    severity: 'critical',
  },
  {
    id: 'kms-key-deletion-scheduled',
    reason: 'KMS key deletion window changed (key scheduled for deletion)',
    type: T.kmsKey,
    path: ['deletionWindowInDays', 'pendingDeletion', 'pendingWindowInDays'],
    severity: 'critical',
  },
  {
    id: 'kms-key-policy-changed',
    reason: 'KMS key policy changed: CloudTrail may lose encrypt rights, or others gain decrypt',
    type: T.kmsKey,
    path: 'policy',
    severity: 'high',
  },
  {
    id: 'kms-key-rotation-off',
    reason: 'KMS key rotation turned off',
    type: T.kmsKey,
    path: 'enableKeyRotation',
    when: notTrue,
    severity: 'high',
  },
  {
    id: 'kms-key-policy-resource-changed',
    reason: 'KMS key policy changed or removed',
    type: T.kmsKeyPolicy,
    path: '*',
    severity: 'high',
  },

  // ---- detection: log group, metric filters, alarms, the delivery role ----
  {
    id: 'log-group-deleted',
    reason: 'CloudWatch log group deleted: metric filters and alarms see nothing',
    type: T.logGroup,
    operation: 'deleted',
    severity: 'high',
  },
  {
    id: 'log-group-kms-changed',
    reason: 'CloudWatch log group encryption removed or changed',
    type: T.logGroup,
    path: 'kmsKeyId',
    when: changedOrRemoved,
    severity: 'high',
  },
  {
    id: 'log-group-retention-changed',
    reason: 'CloudWatch log group retention changed',
    type: T.logGroup,
    path: 'retentionInDays',
    severity: 'low',
  },
  {
    id: 'metric-filter-deleted',
    reason: 'Metric filter deleted: its alarm can no longer fire',
    type: T.metricFilter,
    operation: 'deleted',
    severity: 'high',
  },
  {
    id: 'metric-filter-changed',
    reason: 'Metric filter pattern or metric changed',
    type: T.metricFilter,
    path: ['pattern', 'metricTransformation', 'logGroupName'],
    severity: 'high',
  },
  {
    id: 'metric-alarm-deleted',
    reason: 'Alarm deleted',
    type: T.metricAlarm,
    operation: 'deleted',
    severity: 'high',
  },
  {
    id: 'metric-alarm-muted',
    reason: 'Alarm actions disabled or changed: nobody is notified',
    type: T.metricAlarm,
    path: ['actionsEnabled', 'alarmActions'],
    severity: 'high',
  },
  {
    id: 'metric-alarm-changed',
    reason: 'Alarm threshold or metric changed',
    type: T.metricAlarm,
    path: [
      'threshold',
      'comparisonOperator',
      'evaluationPeriods',
      'metricName',
      'namespace',
      'period',
      'statistic',
      'treatMissingData',
    ],
    severity: 'high',
  },
  {
    id: 'delivery-role-deleted',
    reason: 'IAM role or policy used for log delivery deleted',
    type: [T.iamRole, ...T.iamRolePolicy],
    operation: 'deleted',
    severity: 'high',
  },
  {
    id: 'delivery-role-changed',
    reason: 'IAM trust or permissions of the log delivery role changed',
    type: [T.iamRole, ...T.iamRolePolicy],
    path: ['assumeRolePolicy', 'policy', 'policyArn', 'inlinePolicies', 'managedPolicyArns'],
    severity: 'high',
  },
  {
    id: 'notification-topic-deleted',
    reason: 'Alarm notification topic, its policy or a subscription deleted: alarms notify nobody',
    type: [T.snsTopic, T.snsTopicPolicy, T.snsSubscription],
    operation: 'deleted',
    severity: 'high',
  },
];

function typeMatches(rule: SeverityRule, type: string): boolean {
  if (rule.type === '*') return true;
  if (typeof rule.type === 'string') return rule.type === type;
  return rule.type.includes(type);
}

/** `prefix` covers `path` when equal, or when path continues below it (`.x`, `[0]`, `["x"]`). */
function pathMatches(rule: SeverityRule, path: string | undefined): boolean {
  const p = rule.path;
  if (p === undefined) return path === undefined;
  if (p === '*') return true;
  if (path === undefined) return false;
  if (p instanceof RegExp) return p.test(path);
  if (typeof p === 'string') return pathCovers(p, path);
  return p.some((prefix) => pathCovers(prefix, path));
}

export function ruleMatches(rule: SeverityRule, fact: DriftFact): boolean {
  if (!typeMatches(rule, fact.type)) return false;
  if (rule.operation !== undefined && rule.operation !== fact.operation) return false;
  // A deleted resource has no property path; rules scoped to paths other than '*' never match it.
  if (!pathMatches(rule, fact.operation === 'deleted' ? undefined : fact.path)) return false;
  if (rule.when && !rule.when(fact)) return false;
  return true;
}

export interface Classification {
  severity: Severity;
  /** The id of the rule that matched; absent when the default applied. */
  rule?: string;
  reason?: string;
}

export const DEFAULT_SEVERITY: Severity = 'low';

export function classify(fact: DriftFact, rules: readonly SeverityRule[] = SEVERITY_RULES): Classification {
  for (const rule of rules) {
    if (ruleMatches(rule, fact)) return { severity: rule.severity, rule: rule.id, reason: rule.reason };
  }
  return { severity: DEFAULT_SEVERITY };
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function maxSeverity(values: Iterable<Severity>): Severity | null {
  let best: Severity | null = null;
  for (const v of values) if (best === null || severityRank(v) > severityRank(best)) best = v;
  return best;
}
