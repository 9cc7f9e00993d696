// The whole program under Pulumi's mock runtime, over a matrix of requests, asserting the
// security properties of what it declares.
import * as pulumi from '@pulumi/pulumi';
import t from 'tap';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { filterPatternOf, getAlarmSet } from '../../stacks/alarms/catalog.ts';
import { accountTrailProgram, declareAccountTrail } from '../../stacks/program.ts';
import { ACCOUNT, type Json, type Registered, resolve, run } from './harness.ts';

const T = {
  provider: 'pulumi:providers:aws',
  key: 'aws:kms/key:Key',
  alias: 'aws:kms/alias:Alias',
  bucket: 'aws:s3/bucket:Bucket',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  sse: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  pab: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  ownership: 'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  objectLock: 'aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration',
  logging: 'aws:s3/bucketLogging:BucketLogging',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  filter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  topic: 'aws:sns/topic:Topic',
  topicPolicy: 'aws:sns/topicPolicy:TopicPolicy',
  subscription: 'aws:sns/topicSubscription:TopicSubscription',
} as const;

/** The only resource types the sandbox provider supports. */
const ALLOWED_TYPES = new Set<string>(Object.values(T));

type Stmt = {
  Sid: string;
  Effect: string;
  Principal: Json;
  Action: string | string[];
  Condition?: Json;
  Resource: Json;
};
const statements = (r: Registered, field = 'policy'): Stmt[] => JSON.parse(r.inputs[field]).Statement;
const sid = (r: Registered, s: string, field = 'policy') => {
  const found = statements(r, field).find((x) => x.Sid === s);
  if (!found) throw new Error(`${r.name}: no statement ${s}`);
  return found;
};

const allOf = (o: Record<string, unknown>) => pulumi.all(o as Record<string, pulumi.Input<unknown>>);

async function declare(
  input: Record<string, unknown>,
  assumeRole?: { roleArn: string; externalId?: string },
) {
  const request = resolveTrailRequest(input);
  const r = await run((parent) =>
    declareAccountTrail({ accountId: ACCOUNT, request, assumeRole }, { parent }),
  );
  const outputs = (await resolve(allOf(r.result.outputs))) as Record<string, Json>;
  return { ...r, request, outputs };
}

t.test('single account, all regions (defaults)', async (t) => {
  const r = await declare({ homeRegion: 'eu-west-1', tags: { team: 'security' } });

  t.test('only supported resource types', async (t) => {
    for (const x of r.registered.filter((x) => !x.type.startsWith('trailwarden:')))
      t.ok(ALLOWED_TYPES.has(x.type), x.type);
  });

  t.test('provider pinned to the account, tagged', async (t) => {
    const p = r.one(T.provider);
    t.equal(p.inputs.region, 'eu-west-1');
    t.same(JSON.parse(p.inputs.allowedAccountIds), [ACCOUNT]);
    const tags = JSON.parse(p.inputs.defaultTags).tags;
    t.equal(tags.team, 'security');
    t.ok(Object.values(tags).includes(ACCOUNT), 'marker tag names the account');
    t.notOk(p.inputs.assumeRoles, 'no role to assume unless asked');
  });

  const trail = r.one(T.trail);
  const key = r.one(T.key);
  const keyArn = r.outputs.keyArn as string;
  const trailArn = r.outputs.trailArns['eu-west-1'] as string;

  t.test('one multi-region trail with validation, encryption, CloudWatch delivery', async (t) => {
    t.same(Object.keys(r.outputs.trailArns), ['eu-west-1']);
    t.equal(trail.inputs.isMultiRegionTrail, true);
    t.equal(trail.inputs.enableLogFileValidation, true);
    t.equal(trail.inputs.includeGlobalServiceEvents, true);
    t.equal(trail.inputs.isOrganizationTrail, false);
    t.equal(trail.inputs.enableLogging, true);
    t.equal(trail.inputs.kmsKeyId, keyArn);
    t.equal(trail.inputs.s3BucketName, r.outputs.bucketName);
    t.equal(trail.inputs.cloudWatchLogsGroupArn, `${r.outputs.logGroupArn}:*`);
    t.equal(trail.inputs.cloudWatchLogsRoleArn, `arn:aws:iam::${ACCOUNT}:role/${r.one(T.role).inputs.name}`);
    t.notOk(trail.inputs.eventSelectors, 'basic selectors are never mixed with advanced ones');
    t.same(trail.inputs.advancedEventSelectors, [
      { name: 'management-events', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] },
    ]);
    t.notOk(trail.inputs.insightSelectors, 'no Insights unless asked');
  });

  t.test('trail depends on bucket policy, key and delivery role policy', async (t) => {
    const trailRes = r.result.baseline.trails[0]!.trail;
    const deps = r.declaredOf(trailRes).dependsOn;
    t.ok(deps.includes(r.result.baseline.bucket.policy), 'bucket policy');
    t.ok(deps.includes(r.result.baseline.key.key), 'key (and so its policy)');
    t.ok(deps.includes(r.result.baseline.delivery.rolePolicy!), 'role policy');
  });

  t.test('key: rotation, policy bound to the real trail ARN and log group', async (t) => {
    t.equal(key.inputs.enableKeyRotation, true);
    t.equal(key.inputs.deletionWindowInDays, 30);
    t.match(key.inputs.description, /CloudTrail/);
    const ct = sid(key, 'CloudTrailEncryptThisTrail');
    t.same(
      ct.Condition.StringEquals['aws:SourceArn'],
      [trailArn],
      'the ARN the policy names is the trail the program creates',
    );
    t.same(ct.Condition.StringLike['kms:EncryptionContext:aws:cloudtrail:arn'], [trailArn]);
    const logs = sid(key, 'CloudWatchLogsEncryptLogGroup');
    t.equal(logs.Principal.Service, 'logs.eu-west-1.amazonaws.com');
    t.equal(logs.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'], r.outputs.logGroupArn);
    t.equal(sid(key, 'AccountAdministration').Principal.AWS, `arn:aws:iam::${ACCOUNT}:root`);
    t.equal(r.one(T.alias).inputs.targetKeyId, key.name + '-id');
  });

  t.test(
    'bucket: versioned, KMS with bucket keys, private, owner-enforced, TLS only, lifecycle',
    async (t) => {
      const bucket = r.one(T.bucket);
      t.equal(bucket.inputs.bucket, r.outputs.bucketName);
      t.equal(bucket.inputs.objectLockEnabled, false);
      t.equal(bucket.inputs.forceDestroy, false);
      t.equal(r.one(T.versioning).inputs.versioningConfiguration.status, 'Enabled');
      const sse = r.one(T.sse).inputs.rules[0];
      t.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, 'aws:kms');
      t.equal(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, keyArn);
      t.equal(sse.bucketKeyEnabled, true);
      // CloudTrail needs kms:Decrypt to create or update an SSE-KMS trail on a Bucket Key bucket.
      const decrypt = sid(key, 'CloudTrailDecryptForBucketKey');
      t.same(decrypt.Principal, { Service: 'cloudtrail.amazonaws.com' });
      t.equal(decrypt.Action, 'kms:Decrypt');
      t.same(decrypt.Condition.StringEquals['aws:SourceArn'], [trailArn]);
      const pab = r.one(T.pab).inputs;
      for (const k of ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'])
        t.equal(pab[k], true, k);
      t.equal(r.one(T.ownership).inputs.rule.objectOwnership, 'BucketOwnerEnforced');
      const policy = r.one(T.bucketPolicy);
      const write = sid(policy, 'CloudTrailWrite');
      t.same(write.Resource, [`${r.outputs.bucketArn}/AWSLogs/${ACCOUNT}/*`]);
      t.same(write.Condition.StringEquals['aws:SourceArn'], [trailArn]);
      t.equal(sid(policy, 'CloudTrailAclCheck').Resource, r.outputs.bucketArn);
      const tls = sid(policy, 'DenyInsecureTransport');
      t.equal(tls.Effect, 'Deny');
      t.equal(tls.Condition.Bool['aws:SecureTransport'], 'false');
      const rule = r.one(T.lifecycle).inputs.rules[0];
      t.equal(rule.expiration.days, 2557);
      t.equal(rule.transitions[0].days, 90);
      t.ok(['GLACIER', 'DEEP_ARCHIVE'].includes(rule.transitions[0].storageClass));
      t.equal(rule.noncurrentVersionExpiration.noncurrentDays, 2557);
      t.equal(r.ofType(T.objectLock).length, 0);
      t.equal(r.ofType(T.logging).length, 0);
    },
  );

  t.test(
    'CloudWatch Logs: encrypted group kept a year, role trusted as AWS documents, two actions',
    async (t) => {
      const lg = r.one(T.logGroup);
      t.equal(lg.inputs.kmsKeyId, keyArn);
      t.equal(lg.inputs.retentionInDays, 365, 'Security Hub CloudWatch.16 wants at least a year');
      const role = r.one(T.role);
      t.ok(role.inputs.name.length <= 64);
      const trust = sid(role, 'CloudTrailDeliversToLogs', 'assumeRolePolicy');
      t.same(trust.Principal, { Service: 'cloudtrail.amazonaws.com' });
      // AWS: "The role policy doesn't support the use of aws:SourceArn and aws:SourceAccount".
      t.notOk(trust.Condition, 'no confused-deputy conditions on this trust');
      const rp = r.one(T.rolePolicy);
      const st = statements(rp);
      t.equal(st.length, 1);
      t.same([...(st[0]!.Action as string[])].sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
      t.same(st[0]!.Resource, [
        `${r.outputs.logGroupArn}:log-stream:${ACCOUNT}_CloudTrail_${r.outputs.logGroupArn.split(':')[3]}*`,
      ]);
    },
  );

  t.test('alarm set essentials: one filter and one alarm per entry, to the encrypted topic', async (t) => {
    const entries = getAlarmSet('essentials').entries;
    const filters = r.ofType(T.filter);
    const alarms = r.ofType(T.alarm);
    t.equal(filters.length, entries.length);
    t.equal(alarms.length, entries.length);
    t.same(new Set(r.outputs.alarmNames), new Set(alarms.map((a) => a.inputs.name)));
    for (const e of entries) {
      const f = filters.find((x) => x.inputs.pattern === filterPatternOf(e, 'securityhub'));
      t.ok(f, `filter for ${e.id}`);
      t.equal(f?.inputs.logGroupName, r.outputs.logGroupName);
      t.same(f?.inputs.metricTransformation, { name: e.metricName, namespace: e.namespace, value: '1' });
      const a = alarms.find(
        (x) => x.inputs.metricName === e.metricName && x.inputs.namespace === e.namespace,
      );
      t.ok(a, `alarm for ${e.id}`);
      t.equal(a?.inputs.treatMissingData, 'notBreaching');
      t.same(a?.inputs.alarmActions, [r.outputs.topicArn]);
      t.equal(a?.inputs.threshold, e.threshold);
      t.equal(a?.inputs.comparisonOperator, 'GreaterThanOrEqualToThreshold');
    }
    const topic = r.one(T.topic);
    t.equal(topic.inputs.kmsMasterKeyId, keyArn);
    const tp = r.one(T.topicPolicy);
    t.equal(tp.inputs.arn, r.outputs.topicArn);
    const publishers = statements(tp)
      .filter((s) => s.Effect === 'Allow')
      .map((s) => s.Principal.Service)
      .sort();
    t.same(publishers, ['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    for (const s of statements(tp).filter((s) => s.Effect === 'Allow'))
      t.equal(s.Condition.StringEquals['aws:SourceAccount'], ACCOUNT);
    // Every alarm's ARN is admitted by the topic policy's SourceArn pattern.
    const cw = sid(tp, 'CloudWatchAlarmsPublish').Condition.ArnLike['aws:SourceArn'] as string;
    const re = new RegExp(`^${cw.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    for (const a of alarms) t.match(`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:${a.inputs.name}`, re);
    const ev = sid(tp, 'EventBridgeRulesPublish').Condition.ArnLike['aws:SourceArn'] as string;
    const reEv = new RegExp(`^${ev.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    for (const rule of r.ofType(T.rule))
      t.match(`arn:aws:events:eu-west-1:${ACCOUNT}:rule/${rule.inputs.name}`, reEv);
    t.equal(r.ofType(T.subscription).length, 0);
  });

  t.test('misconfiguration watch: trail, bucket and key rules to the topic', async (t) => {
    const rules = r.ofType(T.rule);
    t.equal(rules.length, 3);
    t.same(new Set(r.outputs.eventRuleNames), new Set(rules.map((x) => x.inputs.name)));
    const patterns = rules.map((x) => JSON.parse(x.inputs.eventPattern));
    const trailRule = patterns.find((p) => p.detail.eventSource?.[0] === 'cloudtrail.amazonaws.com');
    t.ok(trailRule.detail.eventName.includes('StopLogging'));
    const bucketRule = patterns.find((p) => p.detail.eventSource?.[0] === 's3.amazonaws.com');
    t.same(bucketRule.detail.requestParameters.bucketName, [r.outputs.bucketName]);
    const keyRule = patterns.find((p) => p.detail.eventSource?.[0] === 'kms.amazonaws.com');
    t.same(keyRule.detail.$or[0].resources.ARN, [keyArn], 'key rule names the real key');
    for (const target of r.ofType(T.target)) t.equal(target.inputs.arn, r.outputs.topicArn);
    t.equal(r.ofType(T.target).length, 3);
  });

  t.test('every child is parented to its component', async (t) => {
    const expected: Record<string, string> = {
      [T.key]: 'AuditKey',
      [T.alias]: 'AuditKey',
      [T.bucket]: 'LogBucket',
      [T.versioning]: 'LogBucket',
      [T.sse]: 'LogBucket',
      [T.pab]: 'LogBucket',
      [T.ownership]: 'LogBucket',
      [T.bucketPolicy]: 'LogBucket',
      [T.lifecycle]: 'LogBucket',
      [T.trail]: 'AccountTrail',
      [T.logGroup]: 'LogDelivery',
      [T.rolePolicy]: 'LogDelivery',
      [T.role]: 'LogDelivery',
      [T.filter]: 'AlarmSet',
      [T.alarm]: 'AlarmSet',
      [T.topic]: 'AlarmTopic',
      [T.topicPolicy]: 'AlarmTopic',
      [T.rule]: 'MisconfigurationWatch',
      [T.target]: 'MisconfigurationWatch',
    };
    const typeOf = (res?: pulumi.Resource) => r.declared.find((d) => d.resource === res)?.type ?? 'none';
    for (const d of r.declared.filter((x) => x.resource !== r.harness)) {
      const parentType = typeOf(d.parent);
      if (
        d.type.startsWith('trailwarden:baseline:') &&
        d.type !== 'trailwarden:baseline:AccountTrailBaseline'
      )
        t.equal(parentType, 'trailwarden:baseline:AccountTrailBaseline', `${d.name} under the baseline`);
      else if (expected[d.type]) t.equal(parentType, `trailwarden:baseline:${expected[d.type]}`, d.name);
      else t.equal(parentType, 'test:index:Harness', `${d.name} (${d.type}) at the top`);
    }
  });
});

// Before issue 10 every listed-region trail delivered to the home Region's log group (CloudTrail
// refuses that) and only the home trail carried global service events (lost outside us-east-1).
t.test(
  'listed regions: each trail delivers and alarms in its own region; global events in us-east-1',
  async (t) => {
    const regions = ['eu-west-1', 'us-east-1', 'ap-south-1'];
    const r = await declare({ homeRegion: 'eu-west-1', regions });
    const regionOf = (x: Registered) => /aws-([a-z0-9-]+)::/.exec(x.provider ?? '')?.[1];
    const providers = r.ofType(T.provider);
    t.same(providers.map((p) => p.inputs.region).sort(), [...regions].sort());
    const trails = r.ofType(T.trail);
    t.equal(trails.length, 3);
    for (const trail of trails) {
      const region = regionOf(trail)!;
      t.equal(trail.inputs.isMultiRegionTrail, false);
      t.ok(regions.includes(region), `trail uses a regional provider (${region})`);
      t.equal(
        trail.inputs.includeGlobalServiceEvents,
        region === 'us-east-1',
        `global service events only in us-east-1 (${region})`,
      );
      t.equal(trail.inputs.cloudWatchLogsGroupArn, `${r.outputs.logGroupArns[region]}:*`);
      t.match(
        trail.inputs.cloudWatchLogsGroupArn,
        `:logs:${region}:`,
        `log group in the trail's region (${region})`,
      );
      t.equal(trail.inputs.kmsKeyId, r.outputs.keyArn, 'log files encrypted with the home key');
    }
    t.equal(new Set(trails.map((x) => x.provider)).size, 3, 'three different providers');
    t.same(Object.keys(r.outputs.trailArns).sort(), [...regions].sort());
    t.same(Object.keys(r.outputs.logGroupArns).sort(), [...regions].sort());
    for (const type of [T.bucket, T.bucketPolicy, T.role])
      t.match(r.one(type).provider, /aws-eu-west-1::/, type);
    // One key per region: a log group and a topic can only use a key of their own region.
    const keys = r.ofType(T.key);
    t.same(keys.map(regionOf).sort(), [...regions].sort());
    for (const lg of r.ofType(T.logGroup)) {
      const key = keys.find((k) => regionOf(k) === regionOf(lg))!;
      t.equal(
        lg.inputs.kmsKeyId,
        `arn:aws:kms:${regionOf(lg)}:${ACCOUNT}:key/${key.name}-id`,
        'same-region key',
      );
    }
    for (const topic of r.ofType(T.topic)) t.match(topic.inputs.kmsMasterKeyId, `:kms:${regionOf(topic)}:`);
    const arns = Object.values(r.outputs.trailArns).sort();
    const homeKey = keys.find((k) => regionOf(k) === 'eu-west-1')!;
    t.same(
      [...sid(homeKey, 'CloudTrailEncryptThisTrail').Condition.StringEquals['aws:SourceArn']].sort(),
      arns,
      'the home key admits exactly the created trails',
    );
    for (const k of keys.filter((k) => k !== homeKey))
      t.notOk(
        statements(k).some((x) => JSON.stringify(x.Principal).includes('cloudtrail')),
        'region keys grant CloudTrail nothing',
      );
    t.same(
      [...sid(r.one(T.bucketPolicy), 'CloudTrailWrite').Condition.StringEquals['aws:SourceArn']].sort(),
      arns,
    );
    t.same(
      [...(statements(r.one(T.rolePolicy))[0]!.Resource as string[])].sort(),
      regions.map((x) => `${r.outputs.logGroupArns[x]}:log-stream:${ACCOUNT}_CloudTrail_${x}*`).sort(),
      'the delivery role writes to every trail log group',
    );
    // The alarm set in every region, notifying that region's topic.
    const n = getAlarmSet('essentials').entries.length;
    for (const region of regions) {
      const alarms = r.ofType(T.alarm).filter((a) => regionOf(a) === region);
      t.equal(alarms.length, n, `${region} alarms`);
      for (const a of alarms) t.same(a.inputs.alarmActions, [r.outputs.topicArns[region]]);
      t.equal(r.ofType(T.filter).filter((f) => regionOf(f) === region).length, n, `${region} filters`);
    }
    // Trail tampering is watched in each trail's region; key and bucket at home; no forwarding.
    const rulesIn = (region: string) =>
      r
        .ofType(T.rule)
        .filter((x) => regionOf(x) === region)
        .map((x) => x.inputs.name)
        .sort();
    t.same(rulesIn('eu-west-1'), [
      'trailwarden-key-tampering',
      'trailwarden-log-bucket-tampering',
      'trailwarden-trail-tampering',
    ]);
    t.same(rulesIn('us-east-1'), ['trailwarden-trail-tampering']);
    t.same(rulesIn('ap-south-1'), ['trailwarden-trail-tampering']);
    for (const target of r.ofType(T.target))
      t.equal(target.inputs.arn, r.outputs.topicArns[regionOf(target)!]);
    t.notOk(
      r.ofType(T.target).some((x) => x.inputs.roleArn),
      'nothing forwarded across regions',
    );

    t.test('the guard refuses listed regions without the home region or us-east-1', async (t) => {
      await t.rejects(declare({ homeRegion: 'eu-west-1', regions: ['us-east-1'] }), /home region/);
      await t.rejects(
        declare({ homeRegion: 'eu-west-1', regions: ['eu-west-1', 'ap-south-1'] }),
        /us-east-1/,
      );
    });
  },
);

t.test('organization trail', async (t) => {
  const r = await declare({
    homeRegion: 'us-east-1',
    organizationTrail: true,
    organizationId: 'o-abcdefghij',
  });
  t.equal(r.one(T.trail).inputs.isOrganizationTrail, true);
  t.same(sid(r.one(T.bucketPolicy), 'CloudTrailWrite').Resource, [
    `${r.outputs.bucketArn}/AWSLogs/${ACCOUNT}/*`,
    `${r.outputs.bucketArn}/AWSLogs/o-abcdefghij/*`,
  ]);
  await t.rejects(declare({ homeRegion: 'us-east-1', organizationTrail: true }), /organizationId/);
  t.same(
    statements(r.one(T.rolePolicy))[0]!.Resource,
    [
      `${r.outputs.logGroupArn}:log-stream:${ACCOUNT}_CloudTrail_${r.outputs.logGroupArn.split(':')[3]}*`,
      `${r.outputs.logGroupArn}:log-stream:o-abcdefghij_*`,
    ],
    'organization trail streams are named after the organization',
  );
  const notOrg = await declare({ homeRegion: 'us-east-1', organizationId: 'o-abcdefghij' });
  t.equal(
    sid(notOrg.one(T.bucketPolicy), 'CloudTrailWrite').Resource.length,
    1,
    'org path only for org trails',
  );
});

for (const [kind, type, arn] of [
  ['s3-object', 'AWS::S3::Object', 'arn:aws:s3:::customer-data'],
  ['lambda', 'AWS::Lambda::Function', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:billing`],
  ['dynamodb', 'AWS::DynamoDB::Table', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`],
] as const) {
  t.test(`data events: ${kind}`, async (t) => {
    const r = await declare({
      homeRegion: 'us-east-1',
      dataEvents: [
        { kind, resources: 'all', access: 'read-only' },
        { kind, resources: [arn] },
      ],
    });
    const selectors = r.one(T.trail).inputs.advancedEventSelectors as { fieldSelectors: Json[] }[];
    t.equal(selectors.length, 3, 'management + two data selectors');
    const data = selectors.slice(1);
    for (const s of data) {
      t.same(s.fieldSelectors.find((f) => f.field === 'eventCategory').equals, ['Data']);
      t.same(s.fieldSelectors.find((f) => f.field === 'resources.type').equals, [type]);
    }
    t.same(data[0]!.fieldSelectors.find((f) => f.field === 'readOnly').equals, ['true']);
    t.notOk(data[0]!.fieldSelectors.find((f) => f.field === 'resources.ARN'));
    t.notOk(
      data[1]!.fieldSelectors.find((f) => f.field === 'readOnly'),
      'both read and write',
    );
    const arnSel = data[1]!.fieldSelectors.find((f) => f.field === 'resources.ARN');
    const values: string[] = arnSel.startsWiths ?? arnSel.equals;
    t.ok(
      values.every((v) => v.startsWith(arn)),
      'scoped to the listed resource',
    );
  });
}

t.test('Insights on', async (t) => {
  const r = await declare({
    homeRegion: 'us-east-1',
    insights: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
  });
  t.same(r.one(T.trail).inputs.insightSelectors, [
    { insightType: 'ApiCallRateInsight' },
    { insightType: 'ApiErrorRateInsight' },
  ]);
  const insight = r
    .ofType(T.rule)
    .map((x) => JSON.parse(x.inputs.eventPattern))
    .filter((p) => p['detail-type']?.includes('AWS Insight via CloudTrail'));
  t.equal(insight.length, 1);
});

t.test('alarm set cis', async (t) => {
  const r = await declare({
    homeRegion: 'us-east-1',
    alarms: { set: 'cis', notify: { emails: ['sec@example.com'], https: ['https://hooks.example.com/x'] } },
  });
  const n = getAlarmSet('cis').entries.length;
  t.equal(r.ofType(T.filter).length, n);
  t.equal(r.ofType(T.alarm).length, n);
  t.equal(new Set(r.ofType(T.alarm).map((a) => a.inputs.name)).size, n, 'alarm names are unique');
  const subs = r.ofType(T.subscription).map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]);
  t.same(subs.sort(), [
    ['email', 'sec@example.com', r.outputs.topicArn],
    ['https', 'https://hooks.example.com/x', r.outputs.topicArn],
  ]);
  await t.rejects(declare({ homeRegion: 'us-east-1', alarms: { set: 'nope' } }), /unknown alarm set/);
});

t.test('Object Lock, access logging, security readers, retention', async (t) => {
  const reader = `arn:aws:iam::${ACCOUNT}:role/security-audit`;
  const r = await declare({
    homeRegion: 'us-east-1',
    objectLock: { mode: 'COMPLIANCE', days: 365 },
    accessLogBucket: 'access-logs-bucket',
    securityReaders: [reader],
    retention: { archiveAfterDays: 30, expireAfterDays: 400, cloudWatchLogsDays: 365 },
  });
  t.equal(r.one(T.bucket).inputs.objectLockEnabled, true);
  const lock = r.one(T.objectLock).inputs;
  t.equal(lock.objectLockEnabled, 'Enabled');
  t.same(lock.rule.defaultRetention, { mode: 'COMPLIANCE', days: 365 });
  const logging = r.one(T.logging).inputs;
  t.equal(logging.targetBucket, 'access-logs-bucket');
  t.equal(logging.bucket, r.outputs.bucketName);
  t.same(sid(r.one(T.key), 'SecurityReadersDecryptLogs').Principal.AWS, [reader]);
  t.equal(r.one(T.logGroup).inputs.retentionInDays, 365);
  const rule = r.one(T.lifecycle).inputs.rules[0];
  t.same([rule.transitions[0].days, rule.expiration.days], [30, 400]);
});

t.test('assume role and tag markers on every provider', async (t) => {
  const r = await declare(
    {
      homeRegion: 'us-east-1',
      regions: ['us-east-1', 'eu-central-1'],
      // A request cannot even name a marker key (the API refuses `trailwarden:` keys, test/hardening/tag-keys).
      tags: { team: 'security' },
    },
    { roleArn: `arn:aws:iam::${ACCOUNT}:role/trailwarden-deployer`, externalId: 'ext-1' },
  );
  for (const p of r.ofType(T.provider)) {
    const roles = JSON.parse(p.inputs.assumeRoles);
    t.equal(roles[0].roleArn, `arn:aws:iam::${ACCOUNT}:role/trailwarden-deployer`);
    t.equal(roles[0].externalId, 'ext-1');
    t.ok(roles[0].sessionName);
    t.same(JSON.parse(p.inputs.allowedAccountIds), [ACCOUNT]);
    t.equal(
      JSON.parse(p.inputs.defaultTags).tags['trailwarden:account'],
      ACCOUNT,
      'the markers are on every provider',
    );
  }
});

t.test('accountTrailProgram returns the outputs the engine stores', async (t) => {
  const fn = accountTrailProgram({
    accountId: ACCOUNT,
    request: resolveTrailRequest({ homeRegion: 'sa-east-1' }),
  });
  const outputs = (await resolve(allOf(await fn()))) as Record<string, Json>;
  t.same(Object.keys(outputs).sort(), [
    'alarmNames',
    'alarmSubscriptions',
    'bucketArn',
    'bucketName',
    'eventRuleNames',
    'keyArn',
    'logGroupArn',
    'logGroupArns',
    'logGroupName',
    'topicArn',
    'topicArns',
    'trailArns',
  ]);
  t.match(outputs.trailArns['sa-east-1'], /^arn:aws:cloudtrail:sa-east-1:123456789012:trail\//);
  t.match(outputs.keyArn, /^arn:aws:kms:sa-east-1:/);
  t.equal(outputs.alarmNames.length, getAlarmSet('essentials').entries.length);
});
