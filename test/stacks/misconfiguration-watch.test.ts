import t from 'tap';
import { watchRules } from '../../stacks/misconfiguration-watch.ts';
import { apiCall } from './fixtures/cloudtrail-events.ts';

// Enough of EventBridge's matching for these patterns: exact values in arrays, nested objects,
// $or, and arrays of objects in the event (any element may match).
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => pattern.includes(v));
  }
  if (pattern && typeof pattern === 'object') {
    if (Array.isArray(value)) return value.some((v) => matches(pattern, v));
    if (!value || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([k, p]) =>
      k === '$or'
        ? (p as unknown[]).some((alt) => matches(alt, value))
        : matches(p, (value as Record<string, unknown>)[k]),
    );
  }
  return false;
}

const ACCOUNT = '123456789012';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1111-2222`;
const targets = {
  trailName: 'trailwarden',
  trailArns: [`arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/trailwarden`],
  bucketName: 'trailwarden-logs',
  keyArn: KEY_ARN,
  keyId: '1111-2222',
  insights: false,
};
const envelope = (source: string, detail: Record<string, unknown>, type = 'AWS API Call via CloudTrail') => ({
  version: '0',
  id: 'e1',
  'detail-type': type,
  source,
  account: ACCOUNT,
  region: 'eu-west-1',
  resources: [],
  detail,
});
const rule = (id: string, insights = false) =>
  watchRules({ ...targets, insights }).find((r) => r.id === id)!.pattern;

t.test('trail tampering on this trail is caught, on other trails not', async (t) => {
  const p = rule('trail-tampering');
  for (const name of ['StopLogging', 'DeleteTrail', 'UpdateTrail'])
    t.ok(
      matches(
        p,
        envelope(
          'aws.cloudtrail',
          apiCall('cloudtrail.amazonaws.com', name, { requestParameters: { name: 'trailwarden' } }),
        ),
      ),
      name,
    );
  t.ok(
    matches(
      p,
      envelope(
        'aws.cloudtrail',
        apiCall('cloudtrail.amazonaws.com', 'PutEventSelectors', {
          requestParameters: { trailName: targets.trailArns[0] },
        }),
      ),
    ),
  );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.cloudtrail',
        apiCall('cloudtrail.amazonaws.com', 'StopLogging', { requestParameters: { name: 'other' } }),
      ),
    ),
  );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.cloudtrail',
        apiCall('cloudtrail.amazonaws.com', 'StartLogging', { requestParameters: { name: 'trailwarden' } }),
      ),
    ),
  );
});

t.test('log bucket changes are caught only for the log bucket', async (t) => {
  const p = rule('log-bucket-tampering');
  for (const name of ['DeleteBucketPolicy', 'PutBucketPolicy', 'PutBucketLifecycle'])
    t.ok(
      matches(
        p,
        envelope(
          'aws.s3',
          apiCall('s3.amazonaws.com', name, { requestParameters: { bucketName: 'trailwarden-logs' } }),
        ),
      ),
      name,
    );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.s3',
        apiCall('s3.amazonaws.com', 'PutBucketPolicy', { requestParameters: { bucketName: 'other' } }),
      ),
    ),
  );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.s3',
        apiCall('s3.amazonaws.com', 'GetBucketPolicy', {
          requestParameters: { bucketName: 'trailwarden-logs' },
        }),
      ),
    ),
  );
});

t.test('key disable or deletion is caught by resource ARN or key id', async (t) => {
  const p = rule('key-tampering');
  t.ok(
    matches(
      p,
      envelope(
        'aws.kms',
        apiCall('kms.amazonaws.com', 'ScheduleKeyDeletion', {
          requestParameters: { keyId: 'alias/whatever', pendingWindowInDays: 7 },
          resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KEY_ARN }],
        }),
      ),
    ),
  );
  t.ok(
    matches(
      p,
      envelope(
        'aws.kms',
        apiCall('kms.amazonaws.com', 'DisableKey', { requestParameters: { keyId: '1111-2222' } }),
      ),
    ),
  );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.kms',
        apiCall('kms.amazonaws.com', 'DisableKey', {
          requestParameters: { keyId: '9999' },
          resources: [{ ARN: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/9999` }],
        }),
      ),
    ),
  );
  t.notOk(
    matches(
      p,
      envelope(
        'aws.kms',
        apiCall('kms.amazonaws.com', 'EnableKey', { requestParameters: { keyId: '1111-2222' } }),
      ),
    ),
  );
});

t.test('an Insights rule only when Insights is on', async (t) => {
  t.notOk(watchRules(targets).some((r) => r.id === 'insights'));
  const p = rule('insights', true);
  t.ok(
    matches(
      p,
      envelope('aws.cloudtrail', { eventType: 'AwsCloudTrailInsight' }, 'AWS Insight via CloudTrail'),
    ),
  );
  t.notOk(matches(p, envelope('aws.cloudtrail', {}, 'AWS API Call via CloudTrail')));
});
