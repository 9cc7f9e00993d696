import t from 'tap';
import { InvalidTrailRequestError, resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { assertBaselineRequest, baselineRequestIssues } from '../../stacks/request-rules.ts';

const ACCOUNT = '123456789012';
const issues = (input: Record<string, unknown>) =>
  baselineRequestIssues(ACCOUNT, resolveTrailRequest({ homeRegion: 'eu-west-1', ...input }));
const paths = (input: Record<string, unknown>) => issues(input).map((i) => i.path);

t.test('the defaults pass', async (t) => {
  t.same(issues({}), []);
  t.doesNotThrow(() => assertBaselineRequest(ACCOUNT, resolveTrailRequest({ homeRegion: 'eu-west-1' })));
});

t.test('each cross-field rule reports its path', async (t) => {
  t.same(paths({ organizationTrail: true }), ['/organizationId']);
  t.same(paths({ alarms: { set: 'unknown-set' } }), ['/alarms/set']);
  t.same(paths({ regions: ['us-east-1'] }), ['/regions']);
  t.same(
    paths({ regions: ['eu-west-1', 'eu-central-1'] }),
    ['/regions'],
    'global service events need us-east-1',
  );
  t.match(issues({ regions: ['eu-west-1'] })[0]?.message, /us-east-1: global service events/);
  t.same(paths({ managementEvents: { read: false, write: false } }), ['/managementEvents']);
  t.same(paths({ insights: ['ApiCallRateInsight'], managementEvents: { write: false } }), ['/insights']);
  t.same(paths({ dataEvents: [{ kind: 'lambda', resources: ['arn:aws:s3:::bucket'] }] }), [
    '/dataEvents/0/resources/0',
  ]);
  t.same(paths({ accessLogBucket: `trailwarden-${ACCOUNT}-eu-west-1-trail` }), ['/accessLogBucket']);
  t.same(paths({ accessLogBucket: `trailwarden-${ACCOUNT}-us-east-1-trail` }), ['/accessLogBucket']);
  const arns = Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::b-${i}`);
  t.same(
    paths({
      dataEvents: [
        { kind: 's3-object', resources: arns },
        { kind: 's3-object', resources: arns },
      ],
    }),
    ['/dataEvents'],
  );
});

t.test('an organization trail belongs to the management account', async (t) => {
  const request = resolveTrailRequest({
    homeRegion: 'eu-west-1',
    organizationTrail: true,
    organizationId: 'o-abcdefghij',
  });
  t.same(
    baselineRequestIssues(ACCOUNT, request, '999988887777').map((i) => i.path),
    ['/organizationTrail'],
  );
  t.same(baselineRequestIssues(ACCOUNT, request, ACCOUNT), []);
  t.same(baselineRequestIssues(ACCOUNT, request), [], 'unknown management account: the API checks it');
});

t.test('the same rules are fine when satisfied', async (t) => {
  t.same(issues({ organizationTrail: true, organizationId: 'o-abcdefghij' }), []);
  t.same(issues({ regions: ['eu-west-1', 'us-east-1'], insights: ['ApiErrorRateInsight'] }), []);
  t.same(issues({ accessLogBucket: 'access-logs-bucket' }), []);
  t.same(issues({ managementEvents: { read: false } }), []);
});

t.test('assert throws the schema error type with all issues', async (t) => {
  const request = resolveTrailRequest({
    homeRegion: 'eu-west-1',
    organizationTrail: true,
    regions: ['us-east-1'],
  });
  try {
    assertBaselineRequest(ACCOUNT, request);
    t.fail('should throw');
  } catch (err) {
    t.type(err, InvalidTrailRequestError);
    t.same((err as InvalidTrailRequestError).issues.map((i) => i.path).sort(), [
      '/organizationId',
      '/regions',
    ]);
  }
});
