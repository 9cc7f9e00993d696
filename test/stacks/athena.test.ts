// The Athena component under Pulumi's mock runtime: what the program declares when a request asks
// for Athena (and that it declares nothing when it does not).
import t from 'tap';
import { RESOURCE_SPECS } from '../../src/sandbox/resources/index.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import type { TrailRequest } from '../../src/trail-request/schema.ts';
import { athenaNames, type CloudTrailAthena, cloudTrailTableLayout } from '../../stacks/athena.ts';
import { declareAccountTrail } from '../../stacks/program.ts';
import { ACCOUNT, type Json, resolve, run } from './harness.ts';

const T = {
  key: 'aws:kms/key:Key',
  bucket: 'aws:s3/bucket:Bucket',
  sse: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  pab: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  ownership: 'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  database: 'aws:glue/catalogDatabase:CatalogDatabase',
  table: 'aws:glue/catalogTable:CatalogTable',
  workgroup: 'aws:athena/workgroup:Workgroup',
} as const;

async function declare(request: TrailRequest) {
  return run((parent) =>
    declareAccountTrail({ accountId: ACCOUNT, request: resolveTrailRequest(request) }, { parent }),
  );
}

const names = athenaNames(ACCOUNT, 'eu-west-1');

t.test('disabled (the default): no Athena resources', async (t) => {
  const r = await declare({ homeRegion: 'eu-west-1' });
  t.equal(r.ofType(T.database).length, 0);
  t.equal(r.ofType(T.table).length, 0);
  t.equal(r.ofType(T.workgroup).length, 0);
  t.equal(r.ofType(T.bucket).length, 1, 'only the log bucket');
  t.same(resolveTrailRequest({ homeRegion: 'eu-west-1' }).athena, { enabled: false });
});

t.test('enabled: database, table over the log bucket with partition projection, workgroup', async (t) => {
  const r = await declare({
    homeRegion: 'eu-west-1',
    regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
    athena: { enabled: true },
  });
  const logBucket = r.ofType(T.bucket).find((b) => b.inputs.bucket !== names.resultsBucket)!;
  // The account key: the one the log bucket is encrypted with (home region).
  const keyArn = r.ofType(T.sse).find((x) => x.inputs.bucket === logBucket.inputs.bucket)!.inputs.rules[0]
    .applyServerSideEncryptionByDefault.kmsMasterKeyId;
  t.match(keyArn, new RegExp(`^arn:aws:kms:eu-west-1:${ACCOUNT}:key/`));

  const db = r.one(T.database);
  t.equal(db.inputs.name, 'trailwarden_audit');
  t.equal(db.inputs.catalogId, ACCOUNT);

  const table = r.one(T.table).inputs;
  t.equal(table.name, 'cloudtrail_logs');
  t.equal(table.databaseName, 'trailwarden_audit');
  t.equal(table.tableType, 'EXTERNAL_TABLE');
  const sd = table.storageDescriptor;
  t.equal(sd.location, `s3://${logBucket.inputs.bucket}/AWSLogs/${ACCOUNT}/`, 'the account layout');
  t.equal(sd.inputFormat, 'com.amazon.emr.cloudtrail.CloudTrailInputFormat');
  t.equal(sd.outputFormat, 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
  t.equal(sd.serDeInfo.serializationLibrary, 'org.apache.hive.hcatalog.data.JsonSerDe');
  const columns = sd.columns.map((c: Json) => c.name);
  for (const c of ['eventtime', 'eventsource', 'eventname', 'useridentity', 'sourceipaddress', 'errorcode'])
    t.ok(columns.includes(c), `column ${c}`);
  t.same(
    table.partitionKeys.map((k: Json) => k.name),
    ['region', 'timestamp'],
  );
  const p = table.parameters;
  t.equal(p['projection.enabled'], 'true');
  t.equal(p['projection.region.type'], 'enum');
  t.equal(p['projection.region.values'], 'eu-west-1,us-east-1,eu-central-1', 'the trail regions');
  t.equal(p['projection.timestamp.type'], 'date');
  t.equal(p['projection.timestamp.format'], 'yyyy/MM/dd');
  t.equal(p['projection.timestamp.interval.unit'], 'DAYS');
  t.match(p['projection.timestamp.range'], /^\d{4}\/\d{2}\/\d{2},NOW$/);
  t.equal(
    p['storage.location.template'],
    `s3://${logBucket.inputs.bucket}/AWSLogs/${ACCOUNT}/CloudTrail/\${region}/\${timestamp}`,
    'CloudTrail writes AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/',
  );

  const wg = r.one(T.workgroup).inputs;
  t.equal(wg.name, 'trailwarden-cloudtrail');
  t.equal(wg.state, 'ENABLED');
  t.equal(
    wg.configuration.enforceWorkgroupConfiguration,
    true,
    'clients cannot override the results location',
  );
  t.equal(wg.configuration.resultConfiguration.outputLocation, `s3://${names.resultsBucket}/results/`);
  t.same(wg.configuration.resultConfiguration.encryptionConfiguration, {
    encryptionOption: 'SSE_KMS',
    kmsKeyArn: keyArn,
  });

  // The results bucket: SSE-KMS with the account key, private, TLS only, results expire.
  const results = r.ofType(T.bucket).find((b) => b.inputs.bucket === names.resultsBucket);
  t.ok(results, 'a results bucket of its own');
  const of = (type: string) => r.ofType(type).find((x) => x.inputs.bucket === `${names.resultsBucket}`)!;
  const sse = of(T.sse).inputs.rules[0];
  t.same(sse.applyServerSideEncryptionByDefault, { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keyArn });
  t.equal(sse.bucketKeyEnabled, true);
  t.match(of(T.pab).inputs, {
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  t.equal(of(T.ownership).inputs.rule.objectOwnership, 'BucketOwnerEnforced');
  const policy = JSON.parse(of(T.bucketPolicy).inputs.policy);
  t.same(
    policy.Statement.map((s: Json) => [s.Sid, s.Effect]),
    [['DenyInsecureTransport', 'Deny']],
  );
  t.equal(of(T.lifecycle).inputs.rules[0].expiration.days, 30);

  // Children of one component, in the home region.
  const athena = r.declared.find((d) => d.type === 'trailwarden:baseline:CloudTrailAthena');
  t.ok(athena, 'a CloudTrailAthena component');
  for (const type of [T.database, T.table, T.workgroup]) {
    const d = r.declared.find((x) => x.type === type)!;
    t.equal(d.parent, athena!.resource, `${type} is a child of the component`);
  }
  const regionOf = (type: string) => /aws-([a-z0-9-]+)::/.exec(r.one(type).provider ?? '')?.[1];
  t.equal(regionOf(T.workgroup), 'eu-west-1', 'home region (with the key and the bucket)');
  t.equal(regionOf(T.database), 'eu-west-1');
  // Every type it declares is one the sandbox provider implements.
  for (const x of r.registered) if (x.type.startsWith('aws:')) t.ok(RESOURCE_SPECS.has(x.type), x.type);
  const outputs = await resolve((athena!.resource as CloudTrailAthena).workgroupName);
  t.equal(outputs, 'trailwarden-cloudtrail');
});

t.test('organization trail: the organization layout, account given per query', async (t) => {
  const r = await declare({
    homeRegion: 'us-east-1',
    organizationTrail: true,
    organizationId: 'o-abcdefghij',
    athena: { enabled: true },
  });
  const table = r.one(T.table).inputs;
  const bucket = r.ofType(T.bucket).find((b) => !String(b.inputs.bucket).startsWith('trailwarden-athena'))!;
  t.equal(table.storageDescriptor.location, `s3://${bucket.inputs.bucket}/AWSLogs/o-abcdefghij/`);
  t.same(
    table.partitionKeys.map((k: Json) => k.name),
    ['account', 'region', 'timestamp'],
  );
  t.equal(table.parameters['projection.account.type'], 'injected');
  t.equal(
    table.parameters['storage.location.template'],
    `s3://${bucket.inputs.bucket}/AWSLogs/o-abcdefghij/\${account}/CloudTrail/\${region}/\${timestamp}`,
  );
  t.ok(
    table.parameters['projection.region.values'].split(',').length > 20,
    "regions 'all': every region is projected",
  );
});

t.test('the layout honours a key prefix', async (t) => {
  const l = cloudTrailTableLayout('b', { accountId: ACCOUNT, regions: ['eu-west-1'], s3KeyPrefix: 'ct/' });
  t.equal(l.location, `s3://b/ct/AWSLogs/${ACCOUNT}/`);
  t.equal(
    l.parameters['storage.location.template'],
    `s3://b/ct/AWSLogs/${ACCOUNT}/CloudTrail/\${region}/\${timestamp}`,
  );
  t.throws(() => athenaNames(ACCOUNT, 'ap-southeast-4-much-too-long-for-a-bucket-name-xx'), /longer than 63/);
});
