import t from 'tap';
import { AWS_REGIONS } from '../../src/trail-request/schema.ts';
import {
  baselineNames,
  markerTags,
  partitionOf,
  slug,
  trailArns,
  trailRegions,
} from '../../stacks/naming.ts';

const ACCOUNT = '123456789012';

t.test('names are deterministic and differ by account and home region', async (t) => {
  const a = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' });
  const b = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' });
  t.same(a.bucket, b.bucket);
  t.same(a.trailArn('eu-west-1'), b.trailArn('eu-west-1'));
  t.not(
    baselineNames('210987654321', { homeRegion: 'eu-west-1' }).bucket,
    a.bucket,
    'bucket names are global',
  );
  t.not(baselineNames(ACCOUNT, { homeRegion: 'us-east-1' }).bucket, a.bucket);
  t.not(
    baselineNames(ACCOUNT, { homeRegion: 'us-east-1' }).logDeliveryRole,
    a.logDeliveryRole,
    'IAM is global',
  );
});

t.test('every region yields names within AWS limits', async (t) => {
  for (const region of AWS_REGIONS) {
    const n = baselineNames(ACCOUNT, { homeRegion: region });
    t.ok(n.bucket.length >= 3 && n.bucket.length <= 63, `${region} bucket length`);
    t.match(n.bucket, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/, `${region} bucket characters`);
    t.notMatch(n.bucket, /--|\.\.|^xn--|-s3alias$/, `${region} bucket reserved forms`);
    t.ok(n.logDeliveryRole.length <= 64, `${region} role length`);
    t.match(n.logDeliveryRole, /^[\w+=,.@-]+$/);
    t.ok(n.topic.length <= 256);
    t.match(n.keyAlias, /^alias\/[a-zA-Z0-9/_-]+$/);
    t.notMatch(n.keyAlias, /^alias\/aws\//, 'alias/aws/ is reserved');
    t.ok(n.trail.length >= 3 && n.trail.length <= 128);
    t.ok(n.eventRule('key-tampering').length <= 64);
  }
});

t.test('ARNs are built in the partition of the region', async (t) => {
  t.equal(partitionOf('eu-west-1'), 'aws');
  t.equal(partitionOf('cn-north-1'), 'aws-cn');
  t.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
  const n = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' });
  t.equal(n.trailArn('ap-south-1'), `arn:aws:cloudtrail:ap-south-1:${ACCOUNT}:trail/${n.trail}`);
  t.equal(n.bucketArn, `arn:aws:s3:::${n.bucket}`);
  t.equal(n.logGroupArn, `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${n.logGroup}`);
  t.equal(
    n.logGroupArnIn('ap-south-1'),
    `arn:aws:logs:ap-south-1:${ACCOUNT}:log-group:${n.logGroup}`,
    'each trail Region has its log group',
  );
  t.equal(n.topicArnIn('ap-south-1'), `arn:aws:sns:ap-south-1:${ACCOUNT}:${n.topic}`);
});

t.test('an organization trail ARN names the management account that owns it', async (t) => {
  const n = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' }, '999988887777');
  t.equal(n.trailArn('eu-west-1'), `arn:aws:cloudtrail:eu-west-1:999988887777:trail/${n.trail}`);
  t.match(n.logGroupArn, `:${ACCOUNT}:`, 'the log group stays in the account');
  t.throws(() => baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' }, '42'));
});

t.test('rule and alarm names are slugged and bounded', async (t) => {
  const n = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' });
  t.equal(slug(' Foo__Bar--baz! '), 'foo-bar-baz');
  t.match(n.alarm('cis', 'root-account-usage'), /^[^:*]+$/);
  t.throws(() => n.eventRule('x'.repeat(80)), /longer than 64/);
});

t.test('bad account ids are refused', async (t) => {
  t.throws(() => baselineNames('12345', { homeRegion: 'eu-west-1' }));
  t.throws(() => baselineNames('12345678901a', { homeRegion: 'eu-west-1' }));
});

t.test('trail regions', async (t) => {
  t.same(trailRegions({ homeRegion: 'eu-west-1', regions: 'all' }), ['eu-west-1']);
  t.same(trailRegions({ homeRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'] }), [
    'eu-west-1',
    'us-east-1',
  ]);
  const n = baselineNames(ACCOUNT, { homeRegion: 'eu-west-1' });
  t.equal(new Set(trailArns(n, { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'] })).size, 2);
});

t.test('marker tags name the account', async (t) => {
  t.same(Object.values(markerTags(ACCOUNT)).includes(ACCOUNT), true);
});
