// Every rule of the sandbox's rule table (src/sandbox/rules.ts) broken on purpose: the provider
// answers with AWS's error name. A valid set-up goes through first, so each case shows that exactly
// the one broken property is what AWS (and so the sandbox) refuses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/sandbox/cli.ts';
import { SandboxAwsProvider } from '../../src/sandbox/provider/provider.ts';
import { RULES } from '../../src/sandbox/rules.ts';
import { normalizeTable, README, readmeWithRules } from '../../src/sandbox/rules-doc.ts';
import { SandboxState } from '../../src/sandbox/state.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const HOME = 'eu-west-1';
const FAR = 'us-east-1';
const T = {
  bucket: 'aws:s3/bucket:Bucket',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  logging: 'aws:s3/bucketLogging:BucketLogging',
  key: 'aws:kms/key:Key',
  alias: 'aws:kms/alias:Alias',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  filter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  topic: 'aws:sns/topic:Topic',
  topicPolicy: 'aws:sns/topicPolicy:TopicPolicy',
  subscription: 'aws:sns/topicSubscription:TopicSubscription',
  database: 'aws:glue/catalogDatabase:CatalogDatabase',
  table: 'aws:glue/catalogTable:CatalogTable',
  workgroup: 'aws:athena/workgroup:Workgroup',
};
type Props = Record<string, unknown>;
const urn = (type: string, name: string) => `urn:pulumi:dev::trailwarden::${type}::${name}`;

function world() {
  const dir = mkdtempSync(join(tmpdir(), 'tw-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = new SandboxState(dir);
  const provider = (region: string, account = ACCOUNT) => {
    const p = new SandboxAwsProvider({ state, version: '7.48.0', env: {} });
    p.configure({
      'aws:config:region': region,
      'aws:config:allowedAccountIds': JSON.stringify([account]),
    });
    return p;
  };
  return { dir, state, home: provider(HOME), far: provider(FAR), other: provider(HOME, OTHER) };
}

let n = 0;
/** check then create, as the engine does; a check failure is thrown with its reasons. */
async function make(p: SandboxAwsProvider, type: string, news: Props) {
  const u = urn(type, `r${++n}`);
  const checked = await p.check(u, {}, news);
  if (checked.failures?.length) throw new Error(checked.failures.map((f) => f.reason).join('; '));
  const created = await p.create(u, checked.inputs);
  return { id: created.id, outs: created.outs as Props, inputs: checked.inputs as Props, urn: u };
}

/** The check-stage failures of some inputs. */
async function failures(p: SandboxAwsProvider, type: string, news: Props) {
  const checked = await p.check(urn(type, 'x'), {}, news);
  return (checked.failures ?? []).map((f) => f.reason).join('; ');
}

const doc = (...Statement: Props[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const root = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};
const cloudTrailUses = (actions: string[]) => ({
  Effect: 'Allow',
  Principal: { Service: 'cloudtrail.amazonaws.com' },
  Action: actions,
  Resource: '*',
});
const logsUses = (region: string) => ({
  Effect: 'Allow',
  Principal: { Service: `logs.${region}.amazonaws.com` },
  Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
  Resource: '*',
});
const goodKeyPolicy = (region = HOME) =>
  doc(root, cloudTrailUses(['kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:Decrypt']), logsUses(region));

const bucketPolicyFor = (bucket: string, owners = [ACCOUNT]) =>
  doc(
    {
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Resource: `arn:aws:s3:::${bucket}`,
    },
    {
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: owners.map((o) => `arn:aws:s3:::${bucket}/AWSLogs/${o}/*`),
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    },
  );

const trustCloudTrail = doc({
  Effect: 'Allow',
  Principal: { Service: 'cloudtrail.amazonaws.com' },
  Action: 'sts:AssumeRole',
});

/**
 * A valid CloudTrail set-up in the home region: key (with the Decrypt grant a Bucket Key needs),
 * bucket with SSE-KMS and a Bucket Key, bucket policy, encrypted log group, delivery role. Options
 * change one part; `trail` returns valid trail inputs.
 */
async function setUp(
  w: ReturnType<typeof world>,
  o: { bucket?: string; keyPolicy?: string; bucketKey?: boolean; role?: string; rolePolicy?: Props } = {},
) {
  const bucket = o.bucket ?? `tw-rules-${++n}`;
  const key = await make(w.home, T.key, { policy: o.keyPolicy ?? goodKeyPolicy() });
  await make(w.home, T.bucket, { bucket });
  await make(w.home, T.encryption, {
    bucket,
    rules: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.outs.arn },
        bucketKeyEnabled: o.bucketKey ?? true,
      },
    ],
  });
  await make(w.home, T.bucketPolicy, { bucket, policy: bucketPolicyFor(bucket) });
  const lg = await make(w.home, T.logGroup, { name: `/tw/${bucket}` });
  const roleName = o.role ?? `ct-${bucket}`;
  const role = await make(w.home, T.role, { name: roleName, assumeRolePolicy: trustCloudTrail });
  await make(w.home, T.rolePolicy, {
    name: 'deliver',
    role: roleName,
    policy: doc(
      o.rolePolicy ?? {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${lg.outs.arn}:log-stream:*`,
      },
    ),
  });
  const trail = (extra: Props = {}): Props => ({
    name: `trail-${bucket}`,
    s3BucketName: bucket,
    kmsKeyId: key.outs.arn,
    cloudWatchLogsGroupArn: `${lg.outs.arn}:*`,
    cloudWatchLogsRoleArn: role.outs.arn,
    ...extra,
  });
  return { bucket, key, lg, role, trail };
}

/** Each case breaks one rule; the key is the rule id. Returns the error text. */
type Case = (w: ReturnType<typeof world>) => Promise<unknown>;
const expectRejection = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    // The rule that refused travels on the error (not in AWS's text).
    return `[${(err as { ruleId?: string }).ruleId}] ${(err as Error).message}`;
  }
  return 'no error';
};

const cases: Record<string, Case> = {
  'cloudtrail.trail-name': (w) => failures(w.home, T.trail, { name: 'a..b', s3BucketName: 'x-bucket' }),
  'cloudtrail.trail-exists': async (w) => {
    const s = await setUp(w);
    await make(w.home, T.trail, s.trail());
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'cloudtrail.five-trails-per-region': async (w) => {
    const s = await setUp(w);
    for (let i = 1; i <= 5; i++) await make(w.home, T.trail, s.trail({ name: `five-${i}` }));
    return expectRejection(make(w.home, T.trail, s.trail({ name: 'five-6' })));
  },
  'cloudtrail.organization-trail-needs-organization': async (w) => {
    const s = await setUp(w);
    return expectRejection(make(w.home, T.trail, s.trail({ isOrganizationTrail: true })));
  },
  'cloudtrail.organization-trail-from-management-account': async (w) => {
    const s = await setUp(w);
    runCli(
      ['organization', '--management-account', OTHER, '--member', ACCOUNT, '--id', 'o-abcdefghij'],
      {
        TRAILWARDEN_SANDBOX_DIR: w.dir,
      },
      () => {},
    );
    return expectRejection(make(w.home, T.trail, s.trail({ isOrganizationTrail: true })));
  },
  'cloudtrail.bucket-exists': async (w) => {
    const s = await setUp(w);
    return expectRejection(make(w.home, T.trail, s.trail({ s3BucketName: 'no-such-bucket-here' })));
  },
  'cloudtrail.bucket-policy': async (w) => {
    const s = await setUp(w);
    w.state.remove(ACCOUNT, T.bucketPolicy, s.bucket);
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'cloudtrail.kms-key-exists': async (w) => {
    const s = await setUp(w);
    const missing = `arn:aws:kms:${HOME}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
    return expectRejection(make(w.home, T.trail, s.trail({ kmsKeyId: missing })));
  },
  'cloudtrail.kms-key-in-bucket-region': async (w) => {
    const s = await setUp(w);
    const farKey = await make(w.far, T.key, { policy: goodKeyPolicy(FAR) });
    return expectRejection(make(w.home, T.trail, s.trail({ kmsKeyId: farKey.outs.arn })));
  },
  'cloudtrail.kms-key-policy-encrypt': async (w) => {
    const s = await setUp(w, { keyPolicy: doc(root, logsUses(HOME)), bucketKey: false });
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'cloudtrail.kms-key-policy-decrypt-bucket-key': async (w) => {
    const noDecrypt = doc(root, cloudTrailUses(['kms:GenerateDataKey*', 'kms:DescribeKey']), logsUses(HOME));
    // Without a Bucket Key the same policy is enough …
    const plain = await setUp(w, { keyPolicy: noDecrypt, bucketKey: false });
    await make(w.home, T.trail, plain.trail());
    // … with one, CloudTrail needs kms:Decrypt, in the bucket's encryption context: a grant
    // pinned to the trail's context does not apply.
    const trailContextOnly = doc(
      root,
      cloudTrailUses(['kms:GenerateDataKey*', 'kms:DescribeKey']),
      {
        ...cloudTrailUses(['kms:Decrypt']),
        Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
      },
      logsUses(HOME),
    );
    const s = await setUp(w, { keyPolicy: trailContextOnly, bucketKey: true });
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'cloudtrail.log-group-exists': async (w) => {
    const s = await setUp(w);
    const missing = `arn:aws:logs:${HOME}:${ACCOUNT}:log-group:/no/such/group:*`;
    return expectRejection(make(w.home, T.trail, s.trail({ cloudWatchLogsGroupArn: missing })));
  },
  'cloudtrail.log-group-same-region': async (w) => {
    // The per-region layout done wrong: a us-east-1 trail delivering to the eu-west-1 log group.
    const s = await setUp(w);
    return expectRejection(make(w.far, T.trail, s.trail()));
  },
  'cloudtrail.log-role-exists': async (w) => {
    const s = await setUp(w);
    return expectRejection(
      make(w.home, T.trail, s.trail({ cloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` })),
    );
  },
  'cloudtrail.log-role-trust': async (w) => {
    const s = await setUp(w);
    w.state.drift(ACCOUNT, T.role, s.role.id, {
      assumeRolePolicy: doc({
        Effect: 'Allow',
        Principal: { Service: 'ec2.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
    });
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'cloudtrail.log-role-permissions': async (w) => {
    const s = await setUp(w, {
      rolePolicy: { Effect: 'Allow', Action: 'logs:CreateLogStream', Resource: '*' },
    });
    return expectRejection(make(w.home, T.trail, s.trail()));
  },
  'logs.log-group-name': (w) => failures(w.home, T.logGroup, { name: 'bad name!' }),
  'logs.log-group-exists': async (w) => {
    await make(w.home, T.logGroup, { name: '/dup' });
    return expectRejection(make(w.home, T.logGroup, { name: '/dup' }));
  },
  'logs.kms-key-exists': async (w) => {
    const key = await make(w.home, T.key, { policy: doc(root, logsUses(HOME), logsUses(FAR)) });
    // The home-region key given to a log group in another region.
    return expectRejection(make(w.far, T.logGroup, { name: '/far', kmsKeyId: key.outs.arn }));
  },
  'logs.kms-key-policy': async (w) => {
    const key = await make(w.home, T.key, { policy: doc(root) });
    return expectRejection(make(w.home, T.logGroup, { name: '/enc', kmsKeyId: key.outs.arn }));
  },
  'logs.metric-filter-log-group-exists': async (w) => {
    // The log group exists, but in another region.
    await make(w.far, T.logGroup, { name: '/only-far' });
    return expectRejection(
      make(w.home, T.filter, {
        name: 'f',
        logGroupName: '/only-far',
        pattern: '{ $.eventName = "x" }',
        metricTransformation: { name: 'm', namespace: 'n', value: '1' },
      }),
    );
  },
  'logs.metric-filters-per-log-group': async (w) => {
    await make(w.home, T.logGroup, { name: '/busy' });
    const filter = (i: number) => ({
      name: `f${i}`,
      logGroupName: '/busy',
      pattern: '{ $.eventName = "x" }',
      metricTransformation: { name: `m${i}`, namespace: 'n', value: '1' },
    });
    for (let i = 0; i < 100; i++) await make(w.home, T.filter, filter(i));
    return expectRejection(make(w.home, T.filter, filter(100)));
  },
  's3.bucket-name': (w) => failures(w.home, T.bucket, { bucket: 'Bad_Bucket' }),
  's3.bucket-name-taken': async (w) => {
    await make(w.other, T.bucket, { bucket: 'taken-by-someone' });
    return expectRejection(make(w.home, T.bucket, { bucket: 'taken-by-someone' }));
  },
  's3.bucket-owned': async (w) => {
    await make(w.home, T.bucket, { bucket: 'mine-already' });
    return expectRejection(make(w.home, T.bucket, { bucket: 'mine-already' }));
  },
  's3.access-log-target': async (w) => {
    await make(w.home, T.bucket, { bucket: 'source-logs' });
    await make(w.far, T.bucket, { bucket: 'far-access-logs' });
    return expectRejection(
      make(w.home, T.logging, { bucket: 'source-logs', targetBucket: 'far-access-logs', targetPrefix: 'x/' }),
    );
  },
  'kms.alias-name': (w) => failures(w.home, T.alias, { name: 'alias/aws/mine', targetKeyId: 'k' }),
  'kms.alias-exists': async (w) => {
    const key = await make(w.home, T.key, {});
    await make(w.home, T.alias, { name: 'alias/dup', targetKeyId: key.id });
    return expectRejection(make(w.home, T.alias, { name: 'alias/dup', targetKeyId: key.id }));
  },
  'kms.alias-target-exists': async (w) => {
    const key = await make(w.home, T.key, {});
    // The key exists, in eu-west-1; an alias in us-east-1 cannot point at it.
    return expectRejection(make(w.far, T.alias, { name: 'alias/far', targetKeyId: key.id }));
  },
  'kms.key-policy-lockout': (w) =>
    expectRejection(make(w.home, T.key, { policy: doc(cloudTrailUses(['kms:GenerateDataKey*'])) })),
  'iam.role-name': (w) =>
    failures(w.home, T.role, { name: 'r'.repeat(65), assumeRolePolicy: trustCloudTrail }),
  'iam.role-exists': async (w) => {
    await make(w.home, T.role, { name: 'twice', assumeRolePolicy: trustCloudTrail });
    // IAM is global: the same name from another region's provider is the same role.
    return expectRejection(make(w.far, T.role, { name: 'twice', assumeRolePolicy: trustCloudTrail }));
  },
  'iam.role-policy-name': (w) =>
    failures(w.home, T.rolePolicy, { name: 'bad name', role: 'r', policy: doc() }),
  'iam.role-policy-role-exists': (w) =>
    expectRejection(make(w.home, T.rolePolicy, { name: 'p', role: 'nobody', policy: doc() })),
  'sns.topic-name': (w) => failures(w.home, T.topic, { name: 'bad.name' }),
  'sns.subscription-topic-exists': (w) =>
    expectRejection(
      make(w.home, T.subscription, {
        topic: `arn:aws:sns:${HOME}:${ACCOUNT}:nothing`,
        protocol: 'email',
        endpoint: 'a@example.com',
      }),
    ),
  'sns.subscription-topic-region': async (w) => {
    // A us-east-1 topic subscribed to through the eu-west-1 endpoint.
    const topic = await make(w.far, T.topic, { name: 'alarms' });
    return expectRejection(
      make(w.home, T.subscription, { topic: topic.id, protocol: 'email', endpoint: 'a@example.com' }),
    );
  },
  'sns.topic-policy-topic-region': async (w) => {
    const topic = await make(w.far, T.topic, { name: 'alarms' });
    return expectRejection(make(w.home, T.topicPolicy, { arn: topic.id, policy: doc() }));
  },
  'cloudwatch.alarm-actions-same-region': async (w) => {
    // The per-region layout done wrong: a us-east-1 alarm notifying the eu-west-1 topic.
    const topic = await make(w.home, T.topic, { name: 'alarms' });
    return expectRejection(
      make(w.far, 'aws:cloudwatch/metricAlarm:MetricAlarm', {
        name: 'root-usage',
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        evaluationPeriods: 1,
        metricName: 'RootUsage',
        namespace: 'Trailwarden',
        period: 300,
        statistic: 'Sum',
        threshold: 1,
        alarmActions: [topic.id],
      }),
    );
  },
  'sns.subscription-endpoint': (w) =>
    failures(w.home, T.subscription, {
      topic: `arn:aws:sns:${HOME}:${ACCOUNT}:t`,
      protocol: 'email',
      endpoint: 'not-an-email',
    }),
  'sns.topic-policy-topic-exists': async (w) => {
    // The topic exists in us-east-1; the policy is set on the eu-west-1 ARN.
    await make(w.far, T.topic, { name: 'alerts' });
    return expectRejection(
      make(w.home, T.topicPolicy, { arn: `arn:aws:sns:${HOME}:${ACCOUNT}:alerts`, policy: doc() }),
    );
  },
  'events.rule-name': (w) => failures(w.home, T.rule, { name: 'bad name', eventPattern: '{}' }),
  'events.target-rule-exists': async (w) => {
    await make(w.far, T.rule, { name: 'watch', eventPattern: '{"source":["aws.cloudtrail"]}' });
    return expectRejection(
      make(w.home, T.target, { rule: 'watch', targetId: 't', arn: `arn:aws:sns:${HOME}:${ACCOUNT}:a` }),
    );
  },
  'glue.athena-compatible-names': (w) => failures(w.home, T.database, { name: 'Bad-Name' }),
  'glue.database-exists': async (w) => {
    await make(w.home, T.database, { name: 'logs' });
    return expectRejection(make(w.home, T.database, { name: 'logs' }));
  },
  'glue.table-name': (w) => failures(w.home, T.table, { name: 'CloudTrail-Logs', databaseName: 'logs' }),
  'glue.table-database-exists': async (w) => {
    // The database exists in another region.
    await make(w.far, T.database, { name: 'logs' });
    return expectRejection(make(w.home, T.table, { name: 'cloudtrail', databaseName: 'logs' }));
  },
  'glue.table-exists': async (w) => {
    await make(w.home, T.database, { name: 'logs' });
    await make(w.home, T.table, { name: 'cloudtrail', databaseName: 'logs' });
    return expectRejection(make(w.home, T.table, { name: 'cloudtrail', databaseName: 'logs' }));
  },
  'athena.workgroup-name': (w) => failures(w.home, T.workgroup, { name: 'bad name' }),
  'athena.workgroup-exists': async (w) => {
    await make(w.home, T.workgroup, { name: 'audit' });
    return expectRejection(make(w.home, T.workgroup, { name: 'audit' }));
  },
  'athena.workgroup-result-configuration': (w) =>
    failures(w.home, T.workgroup, {
      name: 'audit',
      configuration: {
        resultConfiguration: {
          outputLocation: 's3://results-bucket/athena/',
          encryptionConfiguration: { encryptionOption: 'SSE_KMS' },
        },
      },
    }),
  'athena.workgroup-kms-key': async (w) => {
    const farKey = await make(w.far, T.key, {});
    return expectRejection(
      make(w.home, T.workgroup, {
        name: 'audit',
        configuration: {
          resultConfiguration: {
            outputLocation: 's3://results-bucket/athena/',
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: farKey.outs.arn },
          },
        },
      }),
    );
  },
};

// The bucket sub-resources share one rule shape: a Put* on a bucket that does not exist.
for (const rule of RULES.filter((r) => r.id.startsWith('s3.bucket-exists.'))) {
  cases[rule.id] = (w) =>
    expectRejection(
      make(w.home, rule.resource, {
        bucket: 'no-such-bucket',
        policy: doc(),
        rules: [],
        rule: { objectOwnership: 'BucketOwnerEnforced' },
        versioningConfiguration: { status: 'Enabled' },
        targetBucket: 'x-target',
        targetPrefix: 'x/',
      }),
    );
}

t.test('every rule of the table has a case here, and no case names a rule that is not there', async (t) => {
  t.same(Object.keys(cases).sort(), RULES.map((r) => r.id).sort());
  t.equal(new Set(RULES.map((r) => r.id)).size, RULES.length, 'rule ids are unique');
  for (const r of RULES)
    t.match(r.doc.url, /^https:\/\/docs\.aws\.amazon\.com\//, `${r.id} cites an AWS page`);
});

for (const rule of RULES) {
  t.test(`${rule.id}: broken on purpose, the sandbox answers ${rule.error}`, async (t) => {
    const w = world();
    const text = String(await cases[rule.id]!(w));
    t.match(text, new RegExp(`\\b${rule.error}\\b`), text);
    if (rule.stage === 'apply') t.match(text, `[${rule.id}]`, 'refused by this rule, not another');
  });
}

t.test('the valid set-up passes every trail rule (the rules do not refuse what AWS accepts)', async (t) => {
  const w = world();
  const s = await setUp(w);
  const trail = await make(w.home, T.trail, s.trail());
  t.equal(trail.id, `arn:aws:cloudtrail:${HOME}:${ACCOUNT}:trail/${s.trail().name}`);
  // The same trail set-up in us-east-1, with a log group of its own region, is accepted.
  const farLg = await make(w.far, T.logGroup, { name: `/tw/${s.bucket}` });
  await make(w.home, T.rolePolicy, {
    name: 'deliver-far',
    role: s.role.id,
    policy: doc({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${farLg.outs.arn}:log-stream:*`,
    }),
  });
  const far = await make(w.far, T.trail, s.trail({ cloudWatchLogsGroupArn: `${farLg.outs.arn}:*` }));
  t.equal(far.id, `arn:aws:cloudtrail:${FAR}:${ACCOUNT}:trail/${s.trail().name}`);
  // The management account of an organization may create an organization trail.
  runCli(
    ['organization', '--management-account', ACCOUNT, '--id', 'o-abcdefghij'],
    { TRAILWARDEN_SANDBOX_DIR: w.dir },
    () => {},
  );
  w.state.put({
    ...w.state.get(ACCOUNT, T.bucketPolicy, s.bucket)!,
    inputs: { bucket: s.bucket, policy: bucketPolicyFor(s.bucket, [ACCOUNT, 'o-abcdefghij']) },
  });
  const org = await make(w.home, T.trail, s.trail({ name: 'org-trail', isOrganizationTrail: true }));
  t.equal(org.outs.isOrganizationTrail, true);
});

t.test('regional resources with one name in two regions are two resources', async (t) => {
  const w = world();
  const a = await make(w.home, T.logGroup, { name: '/aws/cloudtrail/trailwarden' });
  const b = await make(w.far, T.logGroup, { name: '/aws/cloudtrail/trailwarden' });
  t.equal(a.id, b.id, 'the same id (the name) …');
  t.not(a.outs.arn, b.outs.arn, '… but two ARNs');
  t.equal(w.state.list({ accountId: ACCOUNT, type: T.logGroup }).length, 2, 'two records');
  t.equal(w.state.get(ACCOUNT, T.logGroup, a.id, HOME)?.outputs.arn, a.outs.arn);
  t.equal(w.state.get(ACCOUNT, T.logGroup, b.id, FAR)?.outputs.arn, b.outs.arn);
  t.throws(
    () => w.state.get(ACCOUNT, T.logGroup, a.id),
    /several regions/,
    'a lookup without region is ambiguous',
  );
  // Read, update and delete find each by the region recorded in its outputs.
  const readA = await w.home.read(a.id, a.urn, a.outs);
  const readB = await w.far.read(b.id, b.urn, b.outs);
  t.equal((readA.props as Props).arn, a.outs.arn);
  t.equal((readB.props as Props).arn, b.outs.arn);
  await w.far.update(b.id, b.urn, b.outs, { ...b.inputs, retentionInDays: 365 });
  t.equal(
    w.state.get(ACCOUNT, T.logGroup, a.id, HOME)?.outputs.retentionInDays,
    0,
    'the other region is untouched',
  );
  t.equal(w.state.get(ACCOUNT, T.logGroup, b.id, FAR)?.outputs.retentionInDays, 365);
  await w.far.delete(b.id, b.urn, b.outs);
  t.ok(w.state.get(ACCOUNT, T.logGroup, a.id, HOME), 'deleting one leaves the other');
  // Global names stay global: a bucket name taken in one region is taken in all.
  await make(w.home, T.bucket, { bucket: 'one-global-name' });
  await t.rejects(make(w.far, T.bucket, { bucket: 'one-global-name' }), /BucketAlreadyOwnedByYou/);
});

t.test('SNS subscriptions: email and https stay pending until confirmed, like Subscribe', async (t) => {
  const w = world();
  const topic = await make(w.home, T.topic, { name: 'alarms' });
  const email = await make(w.home, T.subscription, {
    topic: topic.id,
    protocol: 'email',
    endpoint: 'sec@example.com',
  });
  const https = await make(w.home, T.subscription, {
    topic: topic.id,
    protocol: 'https',
    endpoint: 'https://hooks.example.com/x',
  });
  const sqs = await make(w.home, T.subscription, {
    topic: topic.id,
    protocol: 'sqs',
    endpoint: `arn:aws:sqs:${HOME}:${ACCOUNT}:q`,
  });
  t.equal(email.outs.pendingConfirmation, true, 'email: pending');
  t.equal(https.outs.pendingConfirmation, true, 'https: pending');
  t.equal(sqs.outs.pendingConfirmation, false, 'same-account sqs: confirmed at once');
  const lines: string[] = [];
  const code = runCli(
    ['confirm-subscription', '--account', ACCOUNT, '--id', email.id],
    { DATA_DIR: join(w.dir, 'elsewhere'), TRAILWARDEN_SANDBOX_DIR: w.dir },
    (s) => lines.push(s),
  );
  t.equal(code, 0);
  t.match(lines.join('\n'), /confirmed email subscription/);
  const read = await w.home.read(email.id, email.urn, email.outs);
  t.equal((read.props as Props).pendingConfirmation, false, 'a refresh reads it confirmed');
  t.equal((read.props as Props).confirmationWasAuthenticated, true);
  // An update of the subscription keeps the confirmation.
  const updated = await w.home.update(email.id, email.urn, read.props as Props, {
    ...email.inputs,
    rawMessageDelivery: true,
  });
  t.equal((updated.outs as Props).pendingConfirmation, false);
  t.equal(
    (await w.home.read(https.id, https.urn, https.outs)).props?.pendingConfirmation,
    true,
    'https still pending',
  );
  t.throws(
    () =>
      runCli(
        ['confirm-subscription', '--account', ACCOUNT, '--id', 'arn:nope'],
        { TRAILWARDEN_SANDBOX_DIR: w.dir },
        () => {},
      ),
    /no SNS subscription/,
  );
});

t.test('src/sandbox/README.md shows the current rule table', async (t) => {
  const text = readFileSync(README, 'utf8');
  t.equal(
    normalizeTable(text),
    normalizeTable(readmeWithRules(text)),
    'regenerate with: npx node src/sandbox/rules-doc.ts --write',
  );
});
