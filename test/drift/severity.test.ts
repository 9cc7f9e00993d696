import t from 'tap';
import { pathCovers } from '../../src/drift/property-paths.ts';
import {
  classify,
  type DriftFact,
  maxSeverity,
  ruleMatches,
  SEVERITY_RULES,
  type Severity,
  type SeverityRule,
  T,
} from '../../src/drift/severity.ts';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/abc';
const mod = (type: string, path: string, expected?: unknown, actual?: unknown): DriftFact => ({
  type,
  operation: 'modified',
  path,
  expected,
  actual,
});
const del = (type: string): DriftFact => ({ type, operation: 'deleted' });

// For every rule: facts it must classify (rule id, severity), and facts that must fall through to
// another rule or to the default.
const cases: { rule: string; severity: Severity; hits: DriftFact[]; misses?: DriftFact[] }[] = [
  {
    rule: 'tags',
    severity: 'low',
    hits: [
      mod(T.trail, 'tags.env', 'prod', 'dev'),
      mod(T.kmsKey, 'tagsAll["a:b"]', 'x', null),
      mod(T.bucketPolicy, 'tags'),
    ],
    misses: [mod(T.trail, 'tagsX', 1, 2)],
  },
  { rule: 'trail-deleted', severity: 'critical', hits: [del(T.trail)] },
  {
    rule: 'trail-logging-stopped',
    severity: 'critical',
    hits: [mod(T.trail, 'enableLogging', true, false), mod(T.trail, 'enableLogging', true, undefined)],
    misses: [mod(T.trail, 'enableLogging', false, true)],
  },
  {
    rule: 'trail-log-file-validation-off',
    severity: 'critical',
    hits: [mod(T.trail, 'enableLogFileValidation', true, false)],
    misses: [mod(T.trail, 'enableLogFileValidation', false, true)],
  },
  {
    rule: 'trail-kms-changed',
    severity: 'critical',
    hits: [
      mod(T.trail, 'kmsKeyId', KEY, ''),
      mod(T.trail, 'kmsKeyId', KEY, undefined),
      mod(T.trail, 'kmsKeyId', KEY, `${KEY}2`),
    ],
    misses: [mod(T.trail, 'kmsKeyId', '', KEY)],
  },
  {
    rule: 'trail-selectors-changed',
    severity: 'critical',
    hits: [
      mod(T.trail, 'advancedEventSelectors[0].fieldSelectors', [1, 2], [1]),
      mod(T.trail, 'advancedEventSelectors', [1], []),
      mod(T.trail, 'eventSelectors[0].readWriteType', 'All', 'WriteOnly'),
    ],
  },
  {
    rule: 'trail-multi-region-off',
    severity: 'critical',
    hits: [mod(T.trail, 'isMultiRegionTrail', true, false)],
    misses: [mod(T.trail, 'isMultiRegionTrail', false, true)],
  },
  {
    rule: 'trail-global-events-off',
    severity: 'critical',
    hits: [mod(T.trail, 'includeGlobalServiceEvents', true, false)],
    misses: [mod(T.trail, 'includeGlobalServiceEvents', false, true)],
  },
  {
    rule: 'trail-organization-off',
    severity: 'critical',
    hits: [mod(T.trail, 'isOrganizationTrail', true, false)],
    misses: [mod(T.trail, 'isOrganizationTrail', false, true)],
  },
  { rule: 'trail-destination-changed', severity: 'critical', hits: [mod(T.trail, 's3BucketName', 'a', 'b')] },
  { rule: 'trail-prefix-changed', severity: 'high', hits: [mod(T.trail, 's3KeyPrefix', '', 'x')] },
  {
    rule: 'trail-cloudwatch-delivery-changed',
    severity: 'high',
    hits: [
      mod(T.trail, 'cloudWatchLogsGroupArn', 'arn:x:*', ''),
      mod(T.trail, 'cloudWatchLogsRoleArn', 'a', 'b'),
    ],
  },
  {
    rule: 'trail-insights-changed',
    severity: 'high',
    hits: [mod(T.trail, 'insightSelectors[0].insightType', 'a', 'b')],
  },
  { rule: 'trail-sns-changed', severity: 'low', hits: [mod(T.trail, 'snsTopicName', 'a', '')] },
  {
    rule: 'bucket-deleted',
    severity: 'critical',
    hits: [del('aws:s3/bucket:Bucket'), del('aws:s3/bucketV2:BucketV2')],
  },
  {
    rule: 'bucket-inline-sse-changed',
    severity: 'critical',
    hits: [
      mod(
        'aws:s3/bucket:Bucket',
        'serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault',
        {},
        null,
      ),
    ],
  },
  {
    rule: 'bucket-inline-policy-changed',
    severity: 'critical',
    hits: [mod('aws:s3/bucketV2:BucketV2', 'policy', 'a', 'b')],
  },
  {
    rule: 'bucket-inline-versioning-changed',
    severity: 'high',
    hits: [mod('aws:s3/bucket:Bucket', 'versioning.enabled', true, false)],
  },
  {
    rule: 'bucket-inline-object-lock-changed',
    severity: 'high',
    hits: [mod('aws:s3/bucket:Bucket', 'objectLockConfiguration.rule.defaultRetention.days', 365, 1)],
  },
  {
    rule: 'bucket-sse-changed',
    severity: 'critical',
    hits: [
      mod(T.bucketSse[0], 'rules[0].applyServerSideEncryptionByDefault.sseAlgorithm', 'aws:kms', 'AES256'),
      del(T.bucketSse[0]),
      del(T.bucketSse[1]),
      { type: T.bucketSse[0], operation: 'modified' },
    ],
  },
  {
    rule: 'bucket-policy-changed',
    severity: 'critical',
    hits: [mod(T.bucketPolicy, 'policy', '{}', '{"x":1}'), del(T.bucketPolicy)],
  },
  {
    rule: 'public-access-block-deleted',
    severity: 'critical',
    hits: [del(T.publicAccessBlock[0]), del(T.publicAccessBlock[1])],
  },
  {
    rule: 'public-access-block-loosened',
    severity: 'critical',
    hits: [
      mod(T.publicAccessBlock[0], 'blockPublicAcls', true, false),
      mod(T.publicAccessBlock[0], 'blockPublicPolicy', true, false),
      mod(T.publicAccessBlock[1], 'ignorePublicAcls', true, false),
      mod(T.publicAccessBlock[1], 'restrictPublicBuckets', true, false),
    ],
    misses: [mod(T.publicAccessBlock[0], 'blockPublicAcls', false, true)],
  },
  {
    rule: 'bucket-versioning-changed',
    severity: 'high',
    hits: [
      mod(T.bucketVersioning[0], 'versioningConfiguration.status', 'Enabled', 'Suspended'),
      del(T.bucketVersioning[1]),
    ],
    misses: [mod(T.bucketVersioning[0], 'versioningConfiguration.status', 'Suspended', 'Enabled')],
  },
  {
    rule: 'bucket-object-lock-changed',
    severity: 'high',
    hits: [mod(T.bucketObjectLock[0], 'rule.defaultRetention.days', 365, 1), del(T.bucketObjectLock[0])],
  },
  {
    rule: 'bucket-lifecycle-changed',
    severity: 'high',
    hits: [mod(T.bucketLifecycle[0], 'rules[0].expiration.days', 2557, 1)],
  },
  { rule: 'bucket-access-logging-changed', severity: 'high', hits: [del(T.bucketLogging[0])] },
  { rule: 'kms-key-deleted', severity: 'critical', hits: [del(T.kmsKey)] },
  {
    rule: 'kms-key-disabled',
    severity: 'critical',
    hits: [mod(T.kmsKey, 'isEnabled', true, false)],
    misses: [mod(T.kmsKey, 'isEnabled', false, true)],
  },
  {
    rule: 'kms-key-deletion-scheduled',
    severity: 'critical',
    hits: [mod(T.kmsKey, 'deletionWindowInDays', 30, 7), mod(T.kmsKey, 'pendingDeletion', false, true)],
  },
  { rule: 'kms-key-policy-changed', severity: 'high', hits: [mod(T.kmsKey, 'policy', '{}', '{"x":1}')] },
  {
    rule: 'kms-key-rotation-off',
    severity: 'high',
    hits: [mod(T.kmsKey, 'enableKeyRotation', true, false)],
    misses: [mod(T.kmsKey, 'enableKeyRotation', false, true)],
  },
  {
    rule: 'kms-key-policy-resource-changed',
    severity: 'high',
    hits: [mod(T.kmsKeyPolicy, 'policy', 'a', 'b'), del(T.kmsKeyPolicy)],
  },
  { rule: 'log-group-deleted', severity: 'high', hits: [del(T.logGroup)] },
  {
    rule: 'log-group-kms-changed',
    severity: 'high',
    hits: [mod(T.logGroup, 'kmsKeyId', KEY, '')],
    misses: [mod(T.logGroup, 'kmsKeyId', '', KEY)],
  },
  { rule: 'log-group-retention-changed', severity: 'low', hits: [mod(T.logGroup, 'retentionInDays', 90, 1)] },
  { rule: 'metric-filter-deleted', severity: 'high', hits: [del(T.metricFilter)] },
  {
    rule: 'metric-filter-changed',
    severity: 'high',
    hits: [
      mod(T.metricFilter, 'pattern', 'a', 'b'),
      mod(T.metricFilter, 'metricTransformation.value', '1', '0'),
    ],
  },
  { rule: 'metric-alarm-deleted', severity: 'high', hits: [del(T.metricAlarm)] },
  {
    rule: 'metric-alarm-muted',
    severity: 'high',
    hits: [
      mod(T.metricAlarm, 'actionsEnabled', true, false),
      mod(T.metricAlarm, 'alarmActions[0]', 'arn:sns', null),
    ],
  },
  { rule: 'metric-alarm-changed', severity: 'high', hits: [mod(T.metricAlarm, 'threshold', 1, 1000)] },
  {
    rule: 'delivery-role-deleted',
    severity: 'high',
    hits: [del(T.iamRole), del(T.iamRolePolicy[0]), del(T.iamRolePolicy[1])],
  },
  {
    rule: 'delivery-role-changed',
    severity: 'high',
    hits: [mod(T.iamRole, 'assumeRolePolicy', 'a', 'b'), mod(T.iamRolePolicy[0], 'policy', 'a', 'b')],
  },
  {
    rule: 'notification-topic-deleted',
    severity: 'high',
    hits: [del(T.snsTopic), del(T.snsTopicPolicy), del(T.snsSubscription)],
  },
];

t.test('every rule in the table has cases', async (t) => {
  const ids = SEVERITY_RULES.map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'rule ids are unique');
  t.same(
    [...new Set(cases.map((c) => c.rule))].sort(),
    [...ids].sort(),
    'the cases cover exactly the rules of the table',
  );
});

for (const c of cases) {
  t.test(`rule ${c.rule}`, async (t) => {
    const rule = SEVERITY_RULES.find((r) => r.id === c.rule)!;
    t.equal(rule.severity, c.severity, 'severity in the table');
    for (const fact of c.hits) {
      t.match(classify(fact), { severity: c.severity, rule: c.rule }, `${fact.operation} ${fact.path ?? ''}`);
    }
    for (const fact of c.misses ?? []) {
      t.not(
        classify(fact).rule,
        c.rule,
        `not ${fact.path} ${String(fact.expected)} -> ${String(fact.actual)}`,
      );
    }
  });
}

t.test('default is low, without a rule id', async (t) => {
  t.same(classify(mod('aws:sns/topic:Topic', 'displayName', 'a', 'b')), { severity: 'low' });
  t.same(classify(del('aws:kms/alias:Alias')), { severity: 'low' });
  t.same(classify({ type: T.trail, operation: 'modified' }), { severity: 'low' });
});

t.test('first match wins', async (t) => {
  const rules: SeverityRule[] = [
    { id: 'first', reason: 'a', type: '*', path: 'x', severity: 'high' },
    { id: 'second', reason: 'b', type: '*', path: 'x', severity: 'critical' },
  ];
  t.match(classify(mod('any', 'x', 1, 2), rules), { rule: 'first', severity: 'high' });
});

t.test('path matching: prefix at segment boundaries, RegExp, "*", no path', async (t) => {
  t.ok(pathCovers('tags', 'tags'));
  t.ok(pathCovers('tags', 'tags.env'));
  t.ok(pathCovers('tags', 'tags["a.b"]'));
  t.ok(pathCovers('a', 'a[0].b'));
  t.notOk(pathCovers('tags', 'tagsAll'));
  t.notOk(pathCovers('tags.env', 'tags'));

  const re: SeverityRule = { id: 're', reason: '', type: '*', path: /^rules\[\d+\]\.x$/, severity: 'high' };
  t.ok(ruleMatches(re, mod('t', 'rules[3].x')));
  t.notOk(ruleMatches(re, mod('t', 'rules[3].xy')));

  const anyPath: SeverityRule = { id: 'any', reason: '', type: 't', path: '*', severity: 'high' };
  t.ok(ruleMatches(anyPath, mod('t', 'whatever')));
  t.ok(ruleMatches(anyPath, del('t')));
  t.ok(ruleMatches(anyPath, { type: 't', operation: 'modified' }));

  const noPath: SeverityRule = { id: 'none', reason: '', type: 't', severity: 'high' };
  t.ok(ruleMatches(noPath, del('t')));
  t.ok(ruleMatches(noPath, { type: 't', operation: 'modified' }));
  t.notOk(ruleMatches(noPath, mod('t', 'p')), 'a path-less rule does not match property changes');

  const pathRule: SeverityRule = { id: 'p', reason: '', type: 't', path: 'p', severity: 'high' };
  t.notOk(
    ruleMatches(pathRule, { type: 't', operation: 'deleted', path: 'p' }),
    'a deleted resource has no path',
  );
});

t.test('maxSeverity', async (t) => {
  t.equal(maxSeverity([]), null);
  t.equal(maxSeverity(['low', 'critical', 'high']), 'critical');
  t.equal(maxSeverity(['low', 'high', 'low']), 'high');
});
