// The whole program under the mock runtime over the request matrix (all regions, listed regions
// with and without us-east-1, us-east-1 and other home regions, organization trails), asserting
// for every mode what AWS requires of the layout:
// - every trail delivers to a log group in its own region, encrypted with a key of that region,
//   with the alarm set on it notifying a topic of that region;
// - global service events are recorded exactly once, and reach a log group with alarms on them;
// - the watch rules exist where their events happen (EventBridge is regional).
import t from 'tap';
import { InvalidTrailRequestError, resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { filterPatternOf, getAlarmSet } from '../../stacks/alarms/catalog.ts';
import { declareAccountTrail } from '../../stacks/program.ts';
import { GLOBAL_SERVICE_EVENTS_REGION, type TrailPlan } from '../../stacks/trail.ts';
import { matchesFilterPattern } from '../helpers/filter-pattern.ts';
import { apiCall, type CloudTrailEvent, consoleLogin } from './fixtures/cloudtrail-events.ts';
import { ACCOUNT, type Registered, run } from './harness.ts';

const T = {
  key: 'aws:kms/key:Key',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  filter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  topic: 'aws:sns/topic:Topic',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
} as const;

const regionOf = (x: Registered) => /aws-([a-z0-9-]+)::/.exec(x.provider ?? '')?.[1] ?? 'none';
const arnRegion = (arn: string) => arn.split(':')[3];

/** Which trails record an event, as CloudTrail decides (CloudTrail User Guide, global service events). */
function recordedBy(plans: TrailPlan[], event: { region: string; global: boolean }): TrailPlan[] {
  return plans.filter((p) =>
    event.global
      ? p.includeGlobalServiceEvents && (p.isMultiRegionTrail || p.region === GLOBAL_SERVICE_EVENTS_REGION)
      : p.recordsRegions === 'all' || p.recordsRegions.includes(event.region),
  );
}

const GLOBAL_EVENTS: [string, string, CloudTrailEvent][] = [
  [
    'root-account-usage',
    'root console sign-in',
    consoleLogin({
      success: true,
      mfa: 'Yes',
      identity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
    }),
  ],
  ['console-signin-without-mfa', 'console sign-in without MFA', consoleLogin({ success: true, mfa: 'No' })],
  ['console-authentication-failures', 'failed console sign-in', consoleLogin({ success: false, mfa: 'No' })],
  ['iam-policy-changes', 'IAM policy change', apiCall('iam.amazonaws.com', 'PutRolePolicy')],
];

interface Mode {
  name: string;
  request: Record<string, unknown>;
  managementAccountId?: string;
}

const MODES: Mode[] = [
  { name: 'all regions, home us-east-1', request: { homeRegion: 'us-east-1' } },
  { name: 'all regions, home eu-west-1', request: { homeRegion: 'eu-west-1' } },
  { name: 'us-east-1 only', request: { homeRegion: 'us-east-1', regions: ['us-east-1'] } },
  {
    name: 'listed regions, home us-east-1',
    request: { homeRegion: 'us-east-1', regions: ['us-east-1', 'eu-central-1', 'ap-southeast-2'] },
  },
  {
    name: 'listed regions with us-east-1, home eu-west-1',
    request: { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1', 'ap-south-1'] },
  },
  {
    name: 'organization trail, all regions, home eu-central-1',
    request: { homeRegion: 'eu-central-1', organizationTrail: true, organizationId: 'o-abcdefghij' },
    managementAccountId: ACCOUNT,
  },
  {
    name: 'organization trail, listed regions, home us-west-2',
    request: {
      homeRegion: 'us-west-2',
      regions: ['us-west-2', 'us-east-1'],
      organizationTrail: true,
      organizationId: 'o-abcdefghij',
    },
    managementAccountId: ACCOUNT,
  },
];

for (const mode of MODES) {
  for (const insights of [false, true]) {
    t.test(`${mode.name}${insights ? ', Insights on' : ''}`, async (t) => {
      const request = resolveTrailRequest({
        ...mode.request,
        alarms: { set: 'cis' },
        ...(insights ? { insights: ['ApiCallRateInsight'] } : {}),
      });
      const r = await run((parent) =>
        declareAccountTrail(
          { accountId: ACCOUNT, request, managementAccountId: mode.managementAccountId },
          { parent },
        ),
      );
      const plans = r.result.baseline.plans;
      const home = request.homeRegion;
      const trails = r.ofType(T.trail);
      const trailRegions = trails.map(regionOf);
      const logGroups = r.ofType(T.logGroup);
      const keyIn = (region: string) => r.ofType(T.key).filter((k) => regionOf(k) === region);
      const groupIn = (region: string) => logGroups.filter((g) => regionOf(g) === region);

      t.test('every trail delivers to a log group in its own region', async (t) => {
        t.equal(trails.length, plans.length);
        for (const trail of trails) {
          const region = regionOf(trail);
          const arn = String(trail.inputs.cloudWatchLogsGroupArn);
          t.equal(arnRegion(arn), region, `trail in ${region} delivers to ${arn}`);
          const [group] = groupIn(region);
          t.ok(group, `a log group exists in ${region}`);
          t.equal(arn, `arn:aws:logs:${region}:${ACCOUNT}:log-group:${group?.inputs.name}:*`);
          t.equal(
            arnRegion(String(trail.inputs.kmsKeyId)),
            home,
            'log files use the key of the bucket region',
          );
        }
        t.same(
          logGroups.map(regionOf).sort(),
          [...new Set(trailRegions)].sort(),
          'a log group exactly where a trail is',
        );
        for (const g of logGroups) {
          t.equal(keyIn(regionOf(g)).length, 1, `one key in ${regionOf(g)}`);
          t.equal(arnRegion(String(g.inputs.kmsKeyId)), regionOf(g), 'log group key in its region');
          t.equal(g.inputs.retentionInDays, 365);
        }
        const resources = statementsOf(r.one(T.rolePolicy))[0]!.Resource as string[];
        for (const g of logGroups)
          t.ok(
            resources.some((x) =>
              x.startsWith(`arn:aws:logs:${regionOf(g)}:${ACCOUNT}:log-group:${g.inputs.name}:`),
            ),
            `the delivery role may write to the ${regionOf(g)} log group`,
          );
      });

      t.test('the alarm set is on every log group and notifies a topic of its region', async (t) => {
        const n = getAlarmSet('cis').entries.length + (insights ? 1 : 0);
        for (const g of logGroups) {
          const region = regionOf(g);
          const filters = r.ofType(T.filter).filter((f) => regionOf(f) === region);
          const alarms = r.ofType(T.alarm).filter((a) => regionOf(a) === region);
          t.equal(filters.length, n, `${region} filters`);
          t.equal(alarms.length, n, `${region} alarms`);
          t.ok(filters.every((f) => f.inputs.logGroupName === g.inputs.name));
          const topics = r.ofType(T.topic).filter((x) => regionOf(x) === region);
          t.equal(topics.length, 1, `one topic in ${region}`);
          t.equal(arnRegion(String(topics[0]?.inputs.kmsMasterKeyId)), region, 'topic key in its region');
          for (const a of alarms)
            t.same(
              (a.inputs.alarmActions as string[]).map(arnRegion),
              [region],
              `${a.inputs.name} notifies a topic of ${region}`,
            );
        }
      });

      t.test('global service events are recorded exactly once and reach alarms', async (t) => {
        const carriers = plans.filter((p) => p.includeGlobalServiceEvents);
        t.equal(carriers.length, 1, 'one trail includes global service events');
        const carrier = carriers[0]!;
        t.ok(
          carrier.isMultiRegionTrail || carrier.region === GLOBAL_SERVICE_EVENTS_REGION,
          'the carrier receives them: multi-region, or in us-east-1',
        );
        const declaredCarrier = trails.filter((x) => x.inputs.includeGlobalServiceEvents === true);
        t.same(declaredCarrier.map(regionOf), [carrier.region], 'the declared trails agree with the plan');
        for (const [entryId, what, event] of GLOBAL_EVENTS) {
          const by = recordedBy(plans, { region: GLOBAL_SERVICE_EVENTS_REGION, global: true });
          t.equal(by.length, 1, `${what} recorded once`);
          const region = by[0]!.logGroupRegion;
          const entry = getAlarmSet('cis').entries.find((e) => e.id === entryId)!;
          const pattern = filterPatternOf(entry, request.alarms.profile);
          t.ok(matchesFilterPattern(pattern, event), `${entryId} matches the ${what}`);
          t.ok(
            r.ofType(T.filter).some((f) => regionOf(f) === region && f.inputs.pattern === pattern),
            `${what} reaches the ${entryId} filter in ${region}`,
          );
        }
      });

      t.test("each region's events are recorded once, into the recording trail's log group", async (t) => {
        for (const region of trailRegions) {
          const by = recordedBy(plans, { region, global: false });
          t.equal(by.length, 1, `a ${region} event is recorded once`);
          t.equal(by[0]!.logGroupRegion, by[0]!.region, "into the recording trail's own region");
          t.equal(groupIn(by[0]!.logGroupRegion).length, 1, 'where a log group is');
        }
      });

      t.test('watch rules exist where their events happen', async (t) => {
        const rulesIn = (region: string) =>
          r
            .ofType(T.rule)
            .filter((x) => regionOf(x) === region)
            .map((x) => String(x.inputs.name));
        // Calls on a trail happen in its own region (it is only updated or stopped from there).
        for (const region of trailRegions) {
          t.ok(
            rulesIn(region).includes('trailwarden-trail-tampering'),
            `trail tampering watched in ${region}`,
          );
          t.equal(
            rulesIn(region).includes('trailwarden-insights'),
            insights,
            `Insights watched in ${region} iff Insights are on`,
          );
        }
        // The key and the bucket are in the home region, and so are the calls that change them.
        for (const id of ['trailwarden-key-tampering', 'trailwarden-log-bucket-tampering']) {
          const where = r
            .ofType(T.rule)
            .filter((x) => x.inputs.name === id)
            .map(regionOf);
          t.same(where, [home], `${id} in the home region only`);
        }
        t.same(
          [...new Set(r.ofType(T.rule).map(regionOf))].sort(),
          [...new Set(trailRegions)].sort(),
          'no rules in regions without a trail',
        );
        for (const target of r.ofType(T.target)) {
          t.equal(arnRegion(String(target.inputs.arn)), regionOf(target), 'targets a topic of its region');
          t.notOk(target.inputs.roleArn, 'nothing is forwarded across regions');
        }
        if (plans[0]!.isMultiRegionTrail && insights)
          t.ok(
            r.ofType(T.filter).some((f) => String(f.inputs.pattern).includes('AwsCloudTrailInsight')),
            "a multi-region trail's Insights from every region reach its log group filter",
          );
      });
    });
  }
}

const statementsOf = (x: Registered) =>
  JSON.parse(String(x.inputs.policy)).Statement as { Resource: string | string[] }[];

t.test('listed regions without us-east-1 are refused with the reason', async (t) => {
  for (const request of [
    { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'eu-central-1'] },
    { homeRegion: 'ap-south-1', regions: ['ap-south-1'] },
  ]) {
    const err = await run((parent) =>
      declareAccountTrail({ accountId: ACCOUNT, request: resolveTrailRequest(request) }, { parent }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, InvalidTrailRequestError, request.regions.join(', '));
    t.ok(
      (err as InvalidTrailRequestError).issues.some(
        (i) => i.path === '/regions' && /us-east-1: global service events/.test(i.message),
      ),
      'names /regions and why',
    );
  }
});

t.test(
  'an organization trail of another management account is refused; its ARN names that owner',
  async (t) => {
    const request = resolveTrailRequest({
      homeRegion: 'us-east-1',
      organizationTrail: true,
      organizationId: 'o-abcdefghij',
    });
    await t.rejects(
      run((parent) =>
        declareAccountTrail({ accountId: ACCOUNT, request, managementAccountId: '999988887777' }, { parent }),
      ),
      /owned by the management account 999988887777/,
    );
  },
);
