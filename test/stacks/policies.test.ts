import t from 'tap';
import {
  bucketPolicy,
  cloudTrailAssumeRolePolicy,
  keyPolicy,
  logDeliveryPolicy,
  type Statement,
  topicPolicy,
} from '../../stacks/policies.ts';

const ACCOUNT = '123456789012';
const TRAILS = [
  `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/tw`,
  `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/tw`,
];
const LOG_GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/tw`;
const BUCKET = 'arn:aws:s3:::tw-logs';

const bySid = (statements: Statement[], sid: string) => {
  const s = statements.find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid}`);
  return s;
};
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const principals = (s: Statement) =>
  s.Principal === '*' ? ['*'] : [...list(s.Principal.AWS ?? []), ...list(s.Principal.Service ?? [])];

t.test('key policy', async (t) => {
  const base = {
    partition: 'aws',
    accountId: ACCOUNT,
    homeRegion: 'eu-west-1',
    trailArns: TRAILS,
    logGroupArn: LOG_GROUP,
    alarmNamePrefix: 'tw',
  };
  const doc = keyPolicy({ ...base, securityReaders: [] });
  const s = doc.Statement;
  t.equal(new Set(s.map((x) => x.Sid)).size, s.length, 'statement ids are unique');
  t.ok(s.every((x) => x.Effect === 'Allow'));

  const admin = bySid(s, 'AccountAdministration');
  t.same(principals(admin), [`arn:aws:iam::${ACCOUNT}:root`]);
  t.equal(admin.Action, 'kms:*');

  const ct = bySid(s, 'CloudTrailEncryptThisTrail');
  t.same(principals(ct), ['cloudtrail.amazonaws.com']);
  t.same(list(ct.Action), ['kms:GenerateDataKey*'], 'CloudTrail may only generate data keys');
  t.same(ct.Condition?.StringEquals?.['aws:SourceArn'], TRAILS);
  t.same(ct.Condition?.StringLike?.['kms:EncryptionContext:aws:cloudtrail:arn'], TRAILS);

  const logs = bySid(s, 'CloudWatchLogsEncryptLogGroup');
  t.same(principals(logs), ['logs.eu-west-1.amazonaws.com']);
  t.same(logs.Condition?.ArnEquals?.['kms:EncryptionContext:aws:logs:arn'], LOG_GROUP);

  const decrypt = bySid(s, 'CloudTrailDecryptForBucketKey');
  t.same(principals(decrypt), ['cloudtrail.amazonaws.com']);
  t.same(list(decrypt.Action), ['kms:Decrypt'], 'the bucket uses an S3 Bucket Key');
  t.same(decrypt.Condition?.StringEquals?.['aws:SourceArn'], TRAILS);

  const cw = bySid(s, 'CloudWatchAlarmsUseTopicKey');
  t.same(principals(cw), ['cloudwatch.amazonaws.com']);
  t.same(list(cw.Action).sort(), ['kms:Decrypt', 'kms:GenerateDataKey*']);
  t.equal(cw.Condition?.StringEquals?.['aws:SourceAccount'], ACCOUNT, 'only alarms of this account');
  t.equal(
    cw.Condition?.ArnLike?.['aws:SourceArn'],
    `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:tw-*`,
    'only our alarms, in the key region',
  );
  const eb = bySid(s, 'EventBridgeRulesUseTopicKey');
  t.same(principals(eb), ['events.amazonaws.com']);
  t.same(list(eb.Action).sort(), ['kms:Decrypt', 'kms:GenerateDataKey*']);
  t.notOk(
    eb.Condition,
    'SNS DG: aws:Source* keys in a KMS policy are not supported for EventBridge-to-encrypted topics',
  );

  t.notOk(
    s.some((x) => x.Sid === 'SecurityReadersDecryptLogs'),
    'no reader statement without readers',
  );

  // Only the account root holds kms:* or any admin action.
  for (const x of s.filter((x) => x.Sid !== 'AccountAdministration')) {
    for (const a of list(x.Action))
      t.notMatch(a, /^kms:(\*|PutKeyPolicy|ScheduleKeyDeletion|Disable|Create)/, `${x.Sid} ${a}`);
    t.not(x.Principal, '*', `${x.Sid} names its principal`);
  }
});

t.test('a Region key without trails grants CloudTrail nothing', async (t) => {
  const doc = keyPolicy({
    partition: 'aws',
    accountId: ACCOUNT,
    homeRegion: 'us-east-1',
    trailArns: [],
    logGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/tw`,
    securityReaders: [`arn:aws:iam::${ACCOUNT}:role/security-audit`],
    alarmNamePrefix: 'tw',
  });
  t.notOk(doc.Statement.some((x) => principals(x).includes('cloudtrail.amazonaws.com')));
  t.notOk(
    doc.Statement.some((x) => x.Sid === 'SecurityReadersDecryptLogs'),
    'no log files to read',
  );
  t.same(principals(bySid(doc.Statement, 'CloudWatchLogsEncryptLogGroup')), ['logs.us-east-1.amazonaws.com']);
});

t.test('key policy with security readers', async (t) => {
  const readers = [`arn:aws:iam::${ACCOUNT}:role/security-audit`];
  const doc = keyPolicy({
    partition: 'aws',
    accountId: ACCOUNT,
    homeRegion: 'eu-west-1',
    trailArns: TRAILS,
    logGroupArn: LOG_GROUP,
    securityReaders: readers,
    alarmNamePrefix: 'tw',
  });
  const r = bySid(doc.Statement, 'SecurityReadersDecryptLogs');
  t.same(principals(r), readers);
  t.same(list(r.Action), ['kms:Decrypt']);
  t.equal(r.Condition?.Null?.['kms:EncryptionContext:aws:cloudtrail:arn'], 'false');
  t.match(
    String(r.Condition?.StringLike?.['kms:EncryptionContext:aws:cloudtrail:arn']),
    `:${ACCOUNT}:trail/`,
  );
});

t.test('bucket policy admits only CloudTrail and refuses plain HTTP', async (t) => {
  const doc = bucketPolicy({ bucketArn: BUCKET, accountId: ACCOUNT, trailArns: TRAILS });
  const acl = bySid(doc.Statement, 'CloudTrailAclCheck');
  t.same(list(acl.Action), ['s3:GetBucketAcl']);
  t.equal(acl.Resource, BUCKET);
  t.same(acl.Condition?.StringEquals?.['aws:SourceArn'], TRAILS);

  const write = bySid(doc.Statement, 'CloudTrailWrite');
  t.same(list(write.Action), ['s3:PutObject']);
  t.same(write.Resource, [`${BUCKET}/AWSLogs/${ACCOUNT}/*`]);
  t.equal(write.Condition?.StringEquals?.['s3:x-amz-acl'], 'bucket-owner-full-control');
  t.same(write.Condition?.StringEquals?.['aws:SourceArn'], TRAILS);

  const tls = bySid(doc.Statement, 'DenyInsecureTransport');
  t.equal(tls.Effect, 'Deny');
  t.equal(tls.Principal, '*');
  t.same(tls.Resource, [BUCKET, `${BUCKET}/*`]);
  t.equal(tls.Condition?.Bool?.['aws:SecureTransport'], 'false');

  const allows = doc.Statement.filter((x) => x.Effect === 'Allow');
  t.ok(
    allows.every((x) => principals(x).join() === 'cloudtrail.amazonaws.com'),
    'only CloudTrail is allowed',
  );
});

t.test('organization trails also write under the organization id', async (t) => {
  const doc = bucketPolicy({
    bucketArn: BUCKET,
    accountId: ACCOUNT,
    organizationId: 'o-abcdefghij',
    trailArns: TRAILS,
  });
  const write = bySid(doc.Statement, 'CloudTrailWrite');
  t.same(write.Resource, [`${BUCKET}/AWSLogs/${ACCOUNT}/*`, `${BUCKET}/AWSLogs/o-abcdefghij/*`]);
  // CloudTrail UG, "Amazon S3 bucket policy for CloudTrail" (organization trail): both paths,
  // bound to the management account's trail by aws:SourceArn, with the bucket-owner ACL.
  t.same(write.Condition?.StringEquals?.['aws:SourceArn'], TRAILS);
  t.equal(write.Condition?.StringEquals?.['s3:x-amz-acl'], 'bucket-owner-full-control');
  t.same(bySid(doc.Statement, 'CloudTrailAclCheck').Condition?.StringEquals?.['aws:SourceArn'], TRAILS);
});

t.test(
  'log delivery role: trust exactly as AWS documents it, two actions on the trail streams',
  async (t) => {
    const trust = cloudTrailAssumeRolePolicy();
    t.equal(trust.Statement.length, 1);
    const st = trust.Statement[0]!;
    t.same(st.Principal, { Service: 'cloudtrail.amazonaws.com' });
    t.equal(st.Action, 'sts:AssumeRole');
    t.notOk('Condition' in st, 'no aws:SourceArn/aws:SourceAccount: AWS says the role does not support them');

    const other = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/tw`;
    const policy = logDeliveryPolicy({ logGroupArns: [LOG_GROUP, other], accountId: ACCOUNT });
    t.equal(policy.Statement.length, 1);
    t.same([...policy.Statement[0]!.Action].sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Streams are named <account>_CloudTrail_<trail region>: each group's own Region only.
    t.same(policy.Statement[0]!.Resource, [
      `${LOG_GROUP}:log-stream:${ACCOUNT}_CloudTrail_${LOG_GROUP.split(':')[3]}*`,
      `${other}:log-stream:${ACCOUNT}_CloudTrail_us-east-1*`,
    ]);
    const org = logDeliveryPolicy({
      logGroupArns: [LOG_GROUP],
      accountId: ACCOUNT,
      organizationId: 'o-abcdefghij',
    });
    t.same(org.Statement[0]!.Resource, [
      `${LOG_GROUP}:log-stream:${ACCOUNT}_CloudTrail_${LOG_GROUP.split(':')[3]}*`,
      `${LOG_GROUP}:log-stream:o-abcdefghij_*`,
    ]);
  },
);

t.test('topic policy: only CloudWatch alarms and EventBridge rules of this account publish', async (t) => {
  const topicArn = `arn:aws:sns:eu-west-1:${ACCOUNT}:tw-alarms`;
  const doc = topicPolicy({
    partition: 'aws',
    accountId: ACCOUNT,
    region: 'eu-west-1',
    topicArn,
    namePrefix: 'tw',
  });
  const allows = doc.Statement.filter((s) => s.Effect === 'Allow');
  t.same(allows.flatMap(principals).sort(), ['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
  for (const s of allows) {
    t.same(list(s.Action), ['sns:Publish']);
    t.equal(s.Resource, topicArn);
    t.equal(s.Condition?.StringEquals?.['aws:SourceAccount'], ACCOUNT);
    t.match(String(s.Condition?.ArnLike?.['aws:SourceArn']), new RegExp(`:${ACCOUNT}:(alarm:|rule/)tw-`));
  }
});
