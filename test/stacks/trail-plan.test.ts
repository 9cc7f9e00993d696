import t from 'tap';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { archiveStorageClass, lifecycleRules } from '../../stacks/log-bucket.ts';
import {
  advancedEventSelectors,
  GLOBAL_SERVICE_EVENTS_REGION,
  insightSelectors,
  MAX_SELECTOR_VALUES,
  monitoredRegions,
  planTrails,
} from '../../stacks/trail.ts';

const arnOf = (r: string) => `arn:aws:cloudtrail:${r}:123456789012:trail/tw`;
const req = (extra: Record<string, unknown> = {}) =>
  resolveTrailRequest({ homeRegion: 'eu-west-1', ...extra });

t.test("'all' is one multi-region trail in the home region", async (t) => {
  const plans = planTrails(req(), arnOf);
  t.same(plans, [
    {
      region: 'eu-west-1',
      arn: arnOf('eu-west-1'),
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      logGroupRegion: 'eu-west-1',
      recordsRegions: 'all',
    },
  ]);
  t.same(monitoredRegions(plans), ['eu-west-1']);
});

t.test('listed regions: one single-region trail each, its log group in its own region', async (t) => {
  const plans = planTrails(req({ regions: ['us-east-1', 'eu-west-1', 'ap-south-1'] }), arnOf);
  t.equal(plans.length, 3);
  t.ok(plans.every((p) => !p.isMultiRegionTrail));
  t.ok(plans.every((p) => p.logGroupRegion === p.region));
  t.same(
    plans.map((p) => p.recordsRegions),
    [['us-east-1'], ['eu-west-1'], ['ap-south-1']],
  );
  t.same(
    plans.filter((p) => p.includeGlobalServiceEvents).map((p) => p.region),
    [GLOBAL_SERVICE_EVENTS_REGION],
    'global service events once, by the only single-region trail that receives them',
  );
  t.same(monitoredRegions(plans), ['us-east-1', 'eu-west-1', 'ap-south-1']);
});

t.test('a us-east-1 home region lists the same way', async (t) => {
  const plans = planTrails(
    resolveTrailRequest({ homeRegion: 'us-east-1', regions: ['us-east-1', 'eu-central-1'] }),
    arnOf,
  );
  t.same(
    plans.map((p) => [p.region, p.includeGlobalServiceEvents]),
    [
      ['us-east-1', true],
      ['eu-central-1', false],
    ],
  );
});

t.test('listed regions must include the home region and us-east-1', async (t) => {
  t.throws(() => planTrails(req({ regions: ['us-east-1'] }), arnOf), /home region/);
  t.throws(() => planTrails(req({ regions: ['eu-west-1', 'eu-central-1'] }), arnOf), /us-east-1/);
});

t.test('management events selector', async (t) => {
  const [mgmt] = advancedEventSelectors(req());
  t.same(
    mgmt!.fieldSelectors,
    [{ field: 'eventCategory', equals: ['Management'] }],
    'read and write: no readOnly field',
  );
  const writeOnly = advancedEventSelectors(
    req({ managementEvents: { read: false, excludedSources: ['kms.amazonaws.com'] } }),
  );
  t.same(writeOnly[0]!.fieldSelectors, [
    { field: 'eventCategory', equals: ['Management'] },
    { field: 'readOnly', equals: ['false'] },
    { field: 'eventSource', notEquals: ['kms.amazonaws.com'] },
  ]);
  const readOnly = advancedEventSelectors(req({ managementEvents: { write: false } }));
  t.same(readOnly[0]!.fieldSelectors[1], { field: 'readOnly', equals: ['true'] });
  t.throws(
    () => advancedEventSelectors(req({ managementEvents: { read: false, write: false } })),
    /at least one/,
  );
});

t.test('data event selectors by kind, resources and access', async (t) => {
  const selectors = advancedEventSelectors(
    req({
      dataEvents: [
        { kind: 's3-object', resources: 'all' },
        {
          kind: 's3-object',
          resources: ['arn:aws:s3:::data', 'arn:aws:s3:::data2/prefix/'],
          access: 'write-only',
        },
        {
          kind: 'lambda',
          resources: ['arn:aws:lambda:eu-west-1:123456789012:function:f'],
          access: 'read-only',
        },
        { kind: 'dynamodb', resources: 'all' },
      ],
    }),
  ).slice(1);
  const field = (i: number, f: string) => selectors[i]!.fieldSelectors.find((x) => x.field === f);
  t.same(field(0, 'eventCategory'), { field: 'eventCategory', equals: ['Data'] });
  t.same(field(0, 'resources.type')?.equals, ['AWS::S3::Object']);
  t.notOk(field(0, 'resources.ARN'), 'all buckets: no ARN condition');
  t.notOk(field(0, 'readOnly'));
  t.same(
    field(1, 'resources.ARN')?.startsWiths,
    ['arn:aws:s3:::data/', 'arn:aws:s3:::data2/prefix/'],
    'a bucket ARN covers its objects',
  );
  t.same(field(1, 'readOnly')?.equals, ['false']);
  t.same(field(2, 'resources.type')?.equals, ['AWS::Lambda::Function']);
  t.same(field(2, 'resources.ARN')?.equals, ['arn:aws:lambda:eu-west-1:123456789012:function:f']);
  t.same(field(2, 'readOnly')?.equals, ['true']);
  t.same(field(3, 'resources.type')?.equals, ['AWS::DynamoDB::Table']);
  t.equal(new Set(selectors.map((s) => s.name)).size, selectors.length, 'selector names are unique');
});

t.test('ARNs of the wrong service are refused', async (t) => {
  t.throws(
    () =>
      advancedEventSelectors(
        req({
          dataEvents: [{ kind: 'lambda', resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/t'] }],
        }),
      ),
    /cannot name/,
  );
});

t.test('the selector value limit is guarded', async (t) => {
  const arns = Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::bucket-${i}`);
  t.throws(
    () =>
      advancedEventSelectors(
        req({
          dataEvents: [
            { kind: 's3-object', resources: arns },
            { kind: 's3-object', resources: arns },
          ],
        }),
      ),
    new RegExp(String(MAX_SELECTOR_VALUES)),
  );
});

t.test('insight selectors', async (t) => {
  t.same(insightSelectors(req()), []);
  t.same(insightSelectors(req({ insights: ['ApiCallRateInsight', 'ApiErrorRateInsight'] })), [
    { insightType: 'ApiCallRateInsight' },
    { insightType: 'ApiErrorRateInsight' },
  ]);
  t.throws(
    () => insightSelectors(req({ insights: ['ApiCallRateInsight'], managementEvents: { write: false } })),
    /write/,
  );
});

t.test('lifecycle archives, expires, and keeps noncurrent versions as long', async (t) => {
  const [rule] = lifecycleRules({ archiveAfterDays: 90, expireAfterDays: 2557, cloudWatchLogsDays: 365 });
  t.equal(rule!.status, 'Enabled');
  t.same(rule!.transitions, [{ days: 90, storageClass: 'DEEP_ARCHIVE' }]);
  t.same(rule!.expiration, { days: 2557 });
  t.same(rule!.noncurrentVersionExpiration, { noncurrentDays: 2557 });
  t.same(rule!.noncurrentVersionTransitions, [{ noncurrentDays: 90, storageClass: 'DEEP_ARCHIVE' }]);
  t.equal(
    archiveStorageClass({ archiveAfterDays: 30, expireAfterDays: 120, cloudWatchLogsDays: 365 }),
    'GLACIER',
  );
  const [noArchive] = lifecycleRules({
    archiveAfterDays: 400,
    expireAfterDays: 365,
    cloudWatchLogsDays: 365,
  });
  t.same(noArchive!.transitions, [], 'no transition at or after expiry');
  t.same(noArchive!.expiration, { days: 365 });
});
