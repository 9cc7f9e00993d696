// buildPlan folds the engine's preview steps into what a person reads: one entry per AWS resource,
// grouped by component (trail per region), counts from the same entries, old -> new per property.
import t from 'tap';
import { buildPlan, pathSegments } from '../../src/engine/plan.ts';

const S = 'urn:pulumi:organization/trailwarden/123456789012::trailwarden::';
const BASE = 'trailwarden:baseline:AccountTrailBaseline';
const baselineUrn = `${S}${BASE}::baseline`;
const trailComp = `${S}${BASE}$trailwarden:baseline:AccountTrail::baseline-trail-eu-west-1`;
const bucketComp = `${S}${BASE}$trailwarden:baseline:LogBucket::baseline-logs`;
const trailUrn = `${S}${BASE}$trailwarden:baseline:AccountTrail$aws:cloudtrail/trail:Trail::trail`;
const bucketUrn = `${S}${BASE}$trailwarden:baseline:LogBucket$aws:s3/bucket:Bucket::logs`;
const policyUrn = `${S}${BASE}$trailwarden:baseline:LogBucket$aws:s3/bucketPolicy:BucketPolicy::logs-policy`;
const groupUrn = `${S}${BASE}$trailwarden:baseline:LogDelivery$aws:cloudwatch/logGroup:LogGroup::lg`;
const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

function step(op: string, urn: string, type: string, parent: string, extra: Record<string, unknown> = {}) {
  const custom = !type.startsWith('trailwarden:') && !type.startsWith('pulumi:');
  return {
    resourcePreEvent: {
      metadata: {
        op,
        urn,
        type,
        provider: '',
        old:
          op === 'create'
            ? undefined
            : { type, urn, custom, parent, inputs: {}, outputs: {}, ...(extra.old as object) },
        new:
          op === 'delete'
            ? undefined
            : { type, urn, custom, parent, inputs: {}, outputs: {}, ...(extra.new as object) },
        ...(extra.meta as object),
      },
    },
  };
}

t.test('groups, counts that agree, old -> new values, replacements folded into one entry', async (t) => {
  const events = [
    { preludeEvent: { config: {} } },
    step('same', `${S}pulumi:pulumi:Stack::trailwarden-123456789012`, 'pulumi:pulumi:Stack', ''),
    step('create', `${S}pulumi:providers:aws::eu-west-1`, 'pulumi:providers:aws', ''),
    step('same', baselineUrn, BASE, ''),
    step('same', trailComp, 'trailwarden:baseline:AccountTrail', baselineUrn),
    step('same', bucketComp, 'trailwarden:baseline:LogBucket', baselineUrn),
    step('update', trailUrn, 'aws:cloudtrail/trail:Trail', trailComp, {
      old: { inputs: { enableLogging: false, tags: { env: 'dev' } } },
      new: { inputs: { enableLogging: true, tags: { env: 'prod' }, snsTopicName: UNKNOWN } },
      meta: {
        diffs: ['enableLogging', 'tags', 'snsTopicName'],
        detailedDiff: {
          enableLogging: { diffKind: 'update', inputDiff: true },
          'tags.env': { diffKind: 'update', inputDiff: true },
          snsTopicName: { diffKind: 'add', inputDiff: true },
        },
      },
    }),
    step('create', bucketUrn, 'aws:s3/bucket:Bucket', bucketComp),
    step('create-replacement', policyUrn, 'aws:s3/bucketPolicy:BucketPolicy', bucketComp, {
      old: { inputs: { bucket: 'a' } },
      new: { inputs: { bucket: 'b' } },
      meta: { keys: ['bucket'], detailedDiff: { bucket: { diffKind: 'update-replace', inputDiff: true } } },
    }),
    step('replace', policyUrn, 'aws:s3/bucketPolicy:BucketPolicy', bucketComp, {
      old: { inputs: { bucket: 'a' } },
      new: { inputs: { bucket: 'b' } },
    }),
    step('delete-replaced', policyUrn, 'aws:s3/bucketPolicy:BucketPolicy', bucketComp),
    step(
      'same',
      groupUrn,
      'aws:cloudwatch/logGroup:LogGroup',
      `${S}${BASE}$trailwarden:baseline:LogDelivery::d`,
    ),
  ];
  const plan = buildPlan(events);
  t.same(plan.counts, { create: 1, update: 1, replace: 1, delete: 0, same: 1 }, 'AWS resources only');
  t.same(
    plan.groups.map((g) => [g.key, g.title, g.counts]),
    [
      ['bucket', 'Log bucket (S3)', { create: 1, update: 0, replace: 1, delete: 0, same: 0 }],
      ['trail:eu-west-1', 'Trail in eu-west-1', { create: 0, update: 1, replace: 0, delete: 0, same: 0 }],
      ['delivery', 'Delivery to CloudWatch Logs', { create: 0, update: 0, replace: 0, delete: 0, same: 1 }],
    ],
  );
  const sum = plan.groups.reduce((n, g) => n + g.resources.length, 0);
  t.equal(sum, 4, 'every counted resource is listed once');
  const trail = plan.groups[1]!.resources[0]!;
  t.same(trail.properties, [
    { path: 'enableLogging', kind: 'update', replaces: false, old: false, new: true },
    { path: 'tags.env', kind: 'update', replaces: false, old: 'dev', new: 'prod' },
    { path: 'snsTopicName', kind: 'add', replaces: false, old: null, new: '[unknown]' },
  ]);
  const policy = plan.groups[0]!.resources.find((r) => r.type === 'aws:s3/bucketPolicy:BucketPolicy')!;
  t.equal(policy.change, 'replace');
  t.same(policy.properties, [{ path: 'bucket', kind: 'update', replaces: true, old: 'a', new: 'b' }]);
});

t.test('property paths', async (t) => {
  t.same(pathSegments('rules[0].expiration.days'), ['rules', '0', 'expiration', 'days']);
  t.same(pathSegments('tags["a.b"]'), ['tags', 'a.b']);
});
