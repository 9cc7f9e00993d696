import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { policyAllowsService } from '../../src/sandbox/policy.ts';
import { SandboxAwsProvider } from '../../src/sandbox/provider/provider.ts';
import { SandboxState } from '../../src/sandbox/state.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const urn = (type: string, name: string) => `urn:pulumi:dev::trailwarden::${type}::${name}`;
const T = {
  bucket: 'aws:s3/bucket:Bucket',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  key: 'aws:kms/key:Key',
  alias: 'aws:kms/alias:Alias',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  role: 'aws:iam/role:Role',
  topic: 'aws:sns/topic:Topic',
};

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tw-sandbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = new SandboxState(dir);
  const p = new SandboxAwsProvider({ state, version: '7.48.0', env: {} });
  p.configure({
    'aws:config:region': REGION,
    'aws:config:allowedAccountIds': JSON.stringify([ACCOUNT]),
    'aws:config:defaultTags': JSON.stringify({ tags: { owner: 'portal' } }),
  });
  return { dir, state, p };
}

/** check then create, as the engine does. */
async function make(p: SandboxAwsProvider, type: string, name: string, news: Record<string, unknown>) {
  const checked = await p.check(urn(type, name), {}, news);
  if (checked.failures?.length) throw new Error(JSON.stringify(checked.failures));
  const created = await p.create(urn(type, name), checked.inputs);
  return { ...created, inputs: checked.inputs as Record<string, unknown> };
}

const bucketPolicy = (bucket: string, action = 's3:PutObject') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: `arn:aws:s3:::${bucket}`,
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: action,
        Resource: `arn:aws:s3:::${bucket}/AWSLogs/*`,
      },
    ],
  });

const keyPolicy = (actions: string[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: actions, Resource: '*' },
    ],
  });

t.test('configure reads account, region and default tags from the provider configuration', async (t) => {
  const { p } = setup();
  t.equal(p.configuration.accountId, ACCOUNT);
  t.equal(p.configuration.region, REGION);
  t.same(p.configuration.defaultTags, { owner: 'portal' });
  const q = new SandboxAwsProvider({ env: { TRAILWARDEN_SANDBOX_ACCOUNT_ID: '999988887777' } });
  q.configure({ 'aws:config:region': 'us-east-2' });
  t.equal(q.configuration.accountId, '999988887777', 'env fallback when allowedAccountIds is absent');
  const r = new SandboxAwsProvider({ env: {} });
  r.configure({});
  t.equal(r.configuration.accountId, '123456789012');
  t.throws(
    () =>
      r.configure({
        'aws:config:allowedAccountIds': '["111122223333"]',
        'aws:config:assumeRoles': JSON.stringify([{ roleArn: 'arn:aws:iam::444455556666:role/x' }]),
      }),
    /AWS account ID not allowed: 444455556666/,
  );
  const cc = await r.checkConfig('urn', {}, { region: 'eu-west-1', allowedAccountIds: '["12345"]' });
  t.match(cc.failures, [{ property: 'allowedAccountIds', reason: /12 digits/ }]);
  const dc = await r.diffConfig(
    'urn',
    { region: 'eu-west-1', allowedAccountIds: '["111122223333"]' },
    { region: 'eu-west-1', allowedAccountIds: '["222233334444"]' },
  );
  t.same(dc.replaces, ['allowedAccountIds']);
  const dr = await r.diffConfig('urn', { region: 'eu-west-1' }, { region: 'eu-west-2' });
  t.same([dr.changes, dr.replaces, dr.diffs], [true, [], ['region']]);
});

t.test('check rejects bad names, missing required inputs and unknown types', async (t) => {
  const { p } = setup();
  const bad = await p.check(urn(T.bucket, 'logs'), {}, { bucket: 'Bad_Bucket' });
  t.match(bad.failures, [{ property: 'bucket', reason: /lowercase/ }]);
  const ip = await p.check(urn(T.bucket, 'logs'), {}, { bucket: '192.168.1.1' });
  t.match(ip.failures, [{ property: 'bucket', reason: /IP address/ }]);
  const missing = await p.check(urn(T.trail, 'main'), {}, { name: 'main' });
  t.match(missing.failures, [{ property: 's3BucketName', reason: /Missing required property/ }]);
  const policyMissing = await p.check(urn(T.bucketPolicy, 'p'), {}, { bucket: 'ok-bucket' });
  t.match(policyMissing.failures, [{ property: 'policy' }]);
  const badJson = await p.check(urn(T.bucketPolicy, 'p'), {}, { bucket: 'ok-bucket', policy: '{nope' });
  t.match(badJson.failures, [{ property: 'policy', reason: /invalid JSON/ }]);
  const alias = await p.check(urn(T.alias, 'a'), {}, { name: 'alias/aws/mine', targetKeyId: 'k' });
  t.match(alias.failures, [{ property: 'name', reason: /reserved/ }]);
  const noPrefix = await p.check(urn(T.alias, 'a'), {}, { name: 'mine', targetKeyId: 'k' });
  t.match(noPrefix.failures, [{ property: 'name', reason: /alias\// }]);
  const trailName = await p.check(urn(T.trail, 't'), {}, { name: 'my--trail', s3BucketName: 'b' });
  t.match(trailName.failures, [{ property: 'name', reason: /adjacent/ }]);
  const role = await p.check(urn(T.role, 'r'), {}, { name: 'r'.repeat(65), assumeRolePolicy: '{}' });
  t.match(role.failures, [{ property: 'name', reason: /64/ }]);
  const lg = await p.check(urn(T.logGroup, 'l'), {}, { name: 'has space' });
  t.match(lg.failures, [{ property: 'name' }]);
  const topic = await p.check(urn(T.topic, 't'), {}, { name: 'a.b' });
  t.match(topic.failures, [{ property: 'name' }]);
  const unknownType = await p.check(urn('aws:ec2/vpc:Vpc', 'v'), {}, {});
  t.match(unknownType.failures, [{ reason: /does not implement resource type aws:ec2\/vpc:Vpc/ }]);
  const unknownValue = await p.check(
    urn(T.bucket, 'b'),
    {},
    { bucket: '04da6b54-80e4-46f7-96ec-b56ff0331ba9' },
  );
  t.same(unknownValue.failures, [], 'unknown (preview) values are not validated');
});

t.test('check autonames like the bridge and keeps the name on later checks', async (t) => {
  const { p } = setup();
  const first = await p.check(urn(T.bucket, 'AuditLogs'), {}, {});
  const name = (first.inputs as { bucket: string }).bucket;
  t.match(name, /^auditlogs-[0-9a-f]{7}$/);
  t.same((first.inputs as { __defaults: string[] }).__defaults.includes('bucket'), true);
  const again = await p.check(urn(T.bucket, 'AuditLogs'), first.inputs, { tags: { a: 'b' } });
  t.equal((again.inputs as { bucket: string }).bucket, name);
  const trail = await p.check(urn(T.trail, 'org'), {}, { s3BucketName: 'b' });
  t.match((trail.inputs as { name: string }).name, /^org-[0-9a-f]{7}$/);
  t.equal((trail.inputs as { enableLogging: boolean }).enableLogging, true, 'AWS default');
});

t.test('create returns AWS-shaped ids, ARNs and defaults', async (t) => {
  const { p, state } = setup();
  const key = await make(p, T.key, 'trail-key', {
    policy: keyPolicy(['kms:GenerateDataKey*', 'kms:DescribeKey']),
  });
  t.match(key.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(key.outs.arn, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${key.id}`);
  t.equal(key.outs.keyUsage, 'ENCRYPT_DECRYPT');
  t.same(key.outs.tagsAll, { owner: 'portal' });
  const alias = await make(p, T.alias, 'a', { name: 'alias/trail', targetKeyId: key.id });
  t.equal(alias.outs.arn, `arn:aws:kms:${REGION}:${ACCOUNT}:alias/trail`);
  t.equal(alias.outs.targetKeyArn, key.outs.arn);
  const bucket = await make(p, T.bucket, 'logs', { bucket: 'tw-logs', tags: { team: 'sec' } });
  t.equal(bucket.id, 'tw-logs');
  t.equal(bucket.outs.arn, 'arn:aws:s3:::tw-logs');
  t.equal(bucket.outs.bucketRegionalDomainName, `tw-logs.s3.${REGION}.amazonaws.com`);
  t.same(bucket.outs.tagsAll, { owner: 'portal', team: 'sec' });
  const lg = await make(p, T.logGroup, 'ct', { name: '/aws/cloudtrail/main', retentionInDays: 90 });
  t.equal(lg.outs.arn, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/cloudtrail/main`);
  // The role CloudTrail assumes to deliver: trusted by CloudTrail, allowed to write the streams.
  const role = await make(p, T.role, 'ct', {
    name: 'cloudtrail-logs',
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
  });
  t.equal(role.outs.arn, `arn:aws:iam::${ACCOUNT}:role/cloudtrail-logs`);
  t.match(role.outs.uniqueId, /^AROA[A-Z2-7]{17}$/);
  await make(p, 'aws:iam/rolePolicy:RolePolicy', 'ct', {
    name: 'write-streams',
    role: 'cloudtrail-logs',
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${lg.outs.arn}:log-stream:*`,
        },
      ],
    }),
  });
  const topic = await make(p, T.topic, 'alerts', { name: 'alerts' });
  t.equal(topic.id, `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`);
  await make(p, T.bucketPolicy, 'bp', { bucket: 'tw-logs', policy: bucketPolicy('tw-logs') });
  const trail = await make(p, T.trail, 'main', {
    name: 'main',
    s3BucketName: 'tw-logs',
    kmsKeyId: alias.outs.arn,
    cloudWatchLogsGroupArn: `${lg.outs.arn}:*`,
    cloudWatchLogsRoleArn: role.outs.arn,
    enableLogFileValidation: true,
  });
  t.equal(trail.id, `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`);
  t.equal(trail.outs.arn, trail.id);
  t.equal(trail.outs.homeRegion, REGION);
  t.equal(trail.outs.enableLogging, true);
  const onDisk = state.get(ACCOUNT, T.trail, trail.id);
  t.equal(onDisk?.outputs.enableLogFileValidation, true);
  t.equal(onDisk?.region, REGION);
  await t.rejects(
    make(p, T.logGroup, 'ct2', { name: '/aws/cloudtrail/main' }),
    /ResourceAlreadyExistsException/,
  );
  await t.rejects(make(p, T.bucket, 'dup', { bucket: 'tw-logs' }), /BucketAlreadyOwnedByYou/);
});

t.test('trail create needs the bucket policy and key policy first', async (t) => {
  const { p } = setup();
  await make(p, T.bucket, 'logs', { bucket: 'tw-trail-logs' });
  await t.rejects(
    make(p, T.trail, 'main', { name: 'main', s3BucketName: 'tw-trail-logs' }),
    /InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected for bucket: tw-trail-logs/,
    'no bucket policy yet',
  );
  await make(p, T.bucketPolicy, 'wrong', {
    bucket: 'tw-trail-logs',
    policy: bucketPolicy('tw-trail-logs', 's3:GetObject'),
  });
  await t.rejects(
    make(p, T.trail, 'main', { name: 'main', s3BucketName: 'tw-trail-logs' }),
    /InsufficientS3BucketPolicyException/,
  );
  await make(p, T.bucketPolicy, 'right', { bucket: 'tw-trail-logs', policy: bucketPolicy('tw-trail-logs') });
  const weakKey = await make(p, T.key, 'weak', {});
  await t.rejects(
    make(p, T.trail, 'main', { name: 'main', s3BucketName: 'tw-trail-logs', kmsKeyId: weakKey.outs.arn }),
    /InsufficientEncryptionPolicyException/,
    'default key policy does not let CloudTrail encrypt',
  );
  const key = await make(p, T.key, 'ok', { policy: keyPolicy(['kms:GenerateDataKey*']) });
  const created = await make(p, T.trail, 'main', {
    name: 'main',
    s3BucketName: 'tw-trail-logs',
    kmsKeyId: key.outs.arn,
  });
  t.ok(created.id);
  await t.rejects(
    make(p, T.trail, 'missing', { name: 'other', s3BucketName: 'no-such-bucket' }),
    /S3BucketDoesNotExistException/,
  );
  // UpdateTrail checks what changes: a new weak key fails, an unrelated change does not re-check the bucket.
  const trailUrn = urn(T.trail, 'main');
  await t.rejects(
    p.update(created.id, trailUrn, created.outs, { ...created.inputs, kmsKeyId: weakKey.outs.arn }),
    /updating CloudTrail Trail \(main\).*UpdateTrail.*InsufficientEncryptionPolicyException/,
  );
  p.state.remove(ACCOUNT, T.bucketPolicy, 'tw-trail-logs');
  const upd = await p.update(created.id, trailUrn, created.outs, { ...created.inputs, enableLogging: false });
  t.equal(upd.outs.enableLogging, false);
  await make(p, T.bucketPolicy, 'right', { bucket: 'tw-trail-logs', policy: bucketPolicy('tw-trail-logs') });
  for (const n of ['two', 'three', 'four', 'five'])
    await make(p, T.trail, n, { name: n, s3BucketName: 'tw-trail-logs' });
  await t.rejects(
    make(p, T.trail, 'six', { name: 'six', s3BucketName: 'tw-trail-logs' }),
    /MaximumNumberOfTrailsExceededException/,
  );
});

t.test('diff: property-level changes, replaces for force-new properties, unknowns', async (t) => {
  const { p } = setup();
  await make(p, T.bucket, 'logs', { bucket: 'tw-diff' });
  await make(p, T.bucketPolicy, 'bp', { bucket: 'tw-diff', policy: bucketPolicy('tw-diff') });
  const trail = await make(p, T.trail, 'main', { name: 'main', s3BucketName: 'tw-diff' });
  const same = await p.check(urn(T.trail, 'main'), trail.inputs, { name: 'main', s3BucketName: 'tw-diff' });
  const none = await p.diff(trail.id, urn(T.trail, 'main'), trail.outs, same.inputs, trail.inputs);
  t.same([none.changes, none.replaces, none.diffs], [false, [], []]);
  const renamed = await p.check(urn(T.trail, 'main'), trail.inputs, {
    name: 'main2',
    s3BucketName: 'tw-diff',
  });
  const d = await p.diff(trail.id, urn(T.trail, 'main'), trail.outs, renamed.inputs, trail.inputs);
  t.equal(d.changes, true);
  t.same(d.replaces, ['name']);
  t.same(d.detailedDiff, { name: { kind: 'UPDATE_REPLACE' } });
  t.equal(d.deleteBeforeReplace, true, 'fixed name: delete before replace');
  const flag = await p.check(urn(T.trail, 'main'), trail.inputs, {
    name: 'main',
    s3BucketName: 'tw-diff',
    enableLogFileValidation: true,
  });
  const u = await p.diff(trail.id, urn(T.trail, 'main'), trail.outs, flag.inputs, trail.inputs);
  t.same(
    [u.changes, u.replaces, u.detailedDiff],
    [true, [], { enableLogFileValidation: { kind: 'UPDATE' } }],
  );
  const unknown = await p.diff(
    trail.id,
    urn(T.trail, 'main'),
    trail.outs,
    { ...trail.inputs, name: '04da6b54-80e4-46f7-96ec-b56ff0331ba9' },
    trail.inputs,
  );
  t.same(unknown.replaces, ['name'], 'an unknown force-new input may change: replace');
  const ws = await p.diff(
    'tw-diff',
    urn(T.bucketPolicy, 'bp'),
    {},
    { bucket: 'tw-diff', policy: JSON.stringify(JSON.parse(bucketPolicy('tw-diff')), null, 4) },
    { bucket: 'tw-diff', policy: bucketPolicy('tw-diff') },
  );
  t.equal(ws.changes, false, 'policy JSON compared semantically');
});

t.test('diff: a default-tags change updates tagsAll', async (t) => {
  const { p } = setup();
  const b = await make(p, T.bucket, 'logs', { bucket: 'tw-tags', tags: { team: 'sec' } });
  const u = urn(T.bucket, 'logs');
  const same = await p.diff(b.id, u, b.outs, b.inputs, b.inputs);
  t.equal(same.changes, false);
  p.configure({
    'aws:config:region': REGION,
    'aws:config:allowedAccountIds': JSON.stringify([ACCOUNT]),
    'aws:config:defaultTags': JSON.stringify({ tags: { owner: 'platform' } }),
  });
  const d = await p.diff(b.id, u, b.outs, b.inputs, b.inputs);
  t.same([d.changes, d.replaces, d.detailedDiff], [true, [], { tagsAll: { kind: 'UPDATE' } }]);
  const upd = await p.update(b.id, u, b.outs, b.inputs);
  t.same(upd.outs.tagsAll, { owner: 'platform', team: 'sec' });
});

t.test('drift via SandboxState is seen by read; out-of-band delete reads as gone', async (t) => {
  const { p, state, dir } = setup();
  await make(p, T.bucket, 'logs', { bucket: 'tw-drift', tags: { team: 'sec' } });
  await make(p, T.bucketPolicy, 'bp', { bucket: 'tw-drift', policy: bucketPolicy('tw-drift') });
  const trail = await make(p, T.trail, 'main', {
    name: 'main',
    s3BucketName: 'tw-drift',
    enableLogFileValidation: true,
  });
  state.drift(ACCOUNT, T.trail, trail.id, { enableLogFileValidation: false });
  const read = await p.read(trail.id, urn(T.trail, 'main'), trail.outs);
  t.equal(read.id, trail.id);
  t.equal(read.props.enableLogFileValidation, false);
  t.equal(read.inputs.enableLogFileValidation, false);
  // The next program run asks for true again: diff against the refreshed inputs reports it.
  const want = await p.check(urn(T.trail, 'main'), read.inputs, {
    name: 'main',
    s3BucketName: 'tw-drift',
    enableLogFileValidation: true,
  });
  const d = await p.diff(trail.id, urn(T.trail, 'main'), read.props, want.inputs, read.inputs);
  t.same(d.detailedDiff, { enableLogFileValidation: { kind: 'UPDATE' } });
  const upd = await p.update(trail.id, urn(T.trail, 'main'), read.props, want.inputs);
  t.equal(upd.outs.enableLogFileValidation, true);
  t.equal(state.get(ACCOUNT, T.trail, trail.id)?.inputs.enableLogFileValidation, true, 'converged on disk');

  state.drift(ACCOUNT, T.bucket, 'tw-drift', { tags: { team: 'hacked' } });
  const b = await p.read('tw-drift', urn(T.bucket, 'logs'), {});
  t.same(b.inputs.tags, { team: 'hacked' });
  t.same(b.props.tagsAll, { owner: 'portal', team: 'hacked' }, 'tagsAll keeps default tags');

  t.equal(state.list({ accountId: ACCOUNT }).length, 3);
  t.same(
    state.list({ type: T.trail }).map((r) => r.id),
    [trail.id],
  );
  t.ok(state.remove(ACCOUNT, T.trail, trail.id));
  const gone = await p.read(trail.id, urn(T.trail, 'main'), trail.outs);
  t.equal(gone.id, '', 'removed out of band reads as gone');
  await t.rejects(
    p.update(trail.id, urn(T.trail, 'main'), trail.outs, want.inputs),
    /ResourceNotFoundException/,
  );
  await p.delete('tw-drift', urn(T.bucketPolicy, 'bp'), {});
  await p.delete('tw-drift', urn(T.bucket, 'logs'), {});
  t.same(readdirSync(join(dir, ACCOUNT, 's3.bucket')), []);
});

t.test('state writes are atomic files per resource and concurrent writers do not clash', async (t) => {
  const { state, dir } = setup();
  const writers = Array.from({ length: 20 }, (_, i) =>
    Promise.resolve().then(() =>
      state.put({
        type: T.trail,
        id: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/t${i}`,
        accountId: ACCOUNT,
        region: REGION,
        inputs: {},
        outputs: { i },
      }),
    ),
  );
  await Promise.all(writers);
  const files = readdirSync(join(dir, ACCOUNT, 'cloudtrail.trail', REGION));
  t.equal(files.length, 20);
  t.notOk(files.some((f) => f.endsWith('.tmp')));
  t.equal(state.get(ACCOUNT, T.trail, `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/t7`)?.outputs.i, 7);
});

t.test('invokes', async (t) => {
  const { p } = setup();
  const who = await p.invoke('aws:index/getCallerIdentity:getCallerIdentity', {});
  t.match(who.outputs, { accountId: ACCOUNT, id: ACCOUNT, arn: new RegExp(`^arn:aws:iam::${ACCOUNT}:`) });
  const region = await p.invoke('aws:index/getRegion:getRegion', {});
  t.match(region.outputs, {
    name: REGION,
    region: REGION,
    id: REGION,
    endpoint: `ec2.${REGION}.amazonaws.com`,
  });
  const part = await p.invoke('aws:index/getPartition:getPartition', {});
  t.match(part.outputs, { partition: 'aws', dnsSuffix: 'amazonaws.com', reverseDnsPrefix: 'com.amazonaws' });
  const tags = await p.invoke('aws:index/getDefaultTags:getDefaultTags', {});
  t.same(tags.outputs.tags, { owner: 'portal' });
  const doc = await p.invoke('aws:iam/getPolicyDocument:getPolicyDocument', {
    statements: [
      {
        sid: 'AWSCloudTrailWrite',
        actions: ['s3:PutObject'],
        principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
        resources: ['arn:aws:s3:::b/AWSLogs/*'],
        conditions: [
          { test: 'StringEquals', variable: 's3:x-amz-acl', values: ['bucket-owner-full-control'] },
        ],
      },
      {
        notActions: ['iam:*', 'kms:*'],
        resources: ['*'],
        effect: 'Deny',
        principals: [{ type: '*', identifiers: ['*'] }],
      },
    ],
  });
  const json = JSON.parse(doc.outputs.json as string);
  t.same(json, {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSCloudTrailWrite',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::b/AWSLogs/*',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      { Effect: 'Deny', NotAction: ['kms:*', 'iam:*'], Resource: '*', Principal: '*' },
    ],
  });
  t.equal(doc.outputs.minifiedJson, JSON.stringify(json));
  const obj = 'arn:aws:s3:::b/AWSLogs/1/x';
  t.notOk(
    policyAllowsService(doc.outputs.json, 'cloudtrail.amazonaws.com', 's3:PutObject', obj),
    'the Deny/NotAction statement takes s3:PutObject away',
  );
  const allowOnly = JSON.stringify({ ...json, Statement: [json.Statement[0]] });
  const acl = { 's3:x-amz-acl': 'bucket-owner-full-control' };
  t.ok(policyAllowsService(allowOnly, 'cloudtrail.amazonaws.com', 's3:PutObject', obj, acl));
  t.notOk(
    policyAllowsService(allowOnly, 'cloudtrail.amazonaws.com', 's3:PutObject', obj),
    'condition not met',
  );
  t.notOk(
    policyAllowsService(
      allowOnly,
      'cloudtrail.amazonaws.com',
      's3:PutObject',
      'arn:aws:s3:::other/AWSLogs/1/x',
      acl,
    ),
    'other bucket',
  );
  await t.rejects(
    p.invoke('aws:ec2/getVpc:getVpc', {}),
    /does not implement function aws:ec2\/getVpc:getVpc/,
  );
});

t.test('accounts share one state root: central log bucket, global bucket names', async (t) => {
  const { p: logArchive, state } = setup();
  const member = new SandboxAwsProvider({ state, env: {} });
  member.configure({ 'aws:config:region': REGION, 'aws:config:allowedAccountIds': '["444455556666"]' });
  await make(logArchive, T.bucket, 'central', { bucket: 'org-trail-logs' });
  await make(logArchive, T.bucketPolicy, 'central', {
    bucket: 'org-trail-logs',
    policy: bucketPolicy('org-trail-logs'),
  });
  await t.rejects(make(member, T.bucket, 'mine', { bucket: 'org-trail-logs' }), /BucketAlreadyExists:/);
  const trail = await make(member, T.trail, 'member', { name: 'member', s3BucketName: 'org-trail-logs' });
  t.equal(trail.id, `arn:aws:cloudtrail:${REGION}:444455556666:trail/member`);
  t.same(
    state.list({ type: T.trail }).map((r) => r.accountId),
    ['444455556666'],
  );
  t.equal(
    (await logArchive.read(trail.id, urn(T.trail, 'member'))).id,
    '',
    'not visible from the other account',
  );
});

t.test('policy conditions are evaluated against what CloudTrail sends', async (t) => {
  const { p } = setup();
  const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/conditioned`;
  const policyFor = (sourceArns: string[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudTrailWrite',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::tw-cond/AWSLogs/${ACCOUNT}/*`,
          Condition: {
            StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': sourceArns },
          },
        },
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::tw-cond', 'arn:aws:s3:::tw-cond/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  await make(p, T.bucket, 'b', { bucket: 'tw-cond' });
  await make(p, T.bucketPolicy, 'bp', { bucket: 'tw-cond', policy: policyFor([`${trailArn}-other`]) });
  await t.rejects(
    make(p, T.trail, 'c', { name: 'conditioned', s3BucketName: 'tw-cond' }),
    /InsufficientS3BucketPolicyException/,
    'aws:SourceArn names another trail',
  );
  await make(p, T.bucketPolicy, 'bp', { bucket: 'tw-cond', policy: policyFor([trailArn]) });
  const key = await make(p, T.key, 'k', {
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceArn': [trailArn] },
            StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': [trailArn] },
          },
        },
      ],
    }),
  });
  const created = await make(p, T.trail, 'c', {
    name: 'conditioned',
    s3BucketName: 'tw-cond',
    kmsKeyId: key.outs.arn,
  });
  t.equal(created.id, trailArn, 'the conditional Deny (insecure transport) does not apply; the Allow does');
});
