// The replay: labelled CloudTrail records go through what the program really declares (under
// Pulumi's mock runtime): which trail records each one (its region, global or not, the trail's
// event selectors, multi-Region and global-events flags), which log group that trail delivers to,
// which metric filters sit on that log group in its region, and whether an alarm watches the
// filter's metric. Every alarm the coverage report calls `covered` must fire for every record; for a
// `blind` one, exactly the records its gaps say are lost must not fire, and the others must.
import t from 'tap';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { getAlarmSet } from '../../stacks/alarms/catalog.ts';
import { type CoverageGap, coverageReport, recordingPlan } from '../../stacks/coverage.ts';
import { declareAccountTrail } from '../../stacks/program.ts';
import { matchesFilterPattern } from '../helpers/filter-pattern.ts';
import { apiCall, type CloudTrailEvent, ENTRY_FIXTURES } from '../stacks/fixtures/cloudtrail-events.ts';
import { ACCOUNT, type Json, type Registered, run } from '../stacks/harness.ts';

const root = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };

/**
 * Extra records so that every kind of loss has a record to lose: refused calls and root calls on
 * the two sources CloudTrail lets a trail exclude, and a refused write.
 */
const EXTRA: Record<string, CloudTrailEvent[]> = {
  'unauthorized-api-calls': [
    apiCall('kms.amazonaws.com', 'Decrypt', { errorCode: 'AccessDenied', readOnly: true }),
    apiCall('rds-data.amazonaws.com', 'ExecuteStatement', { errorCode: 'AccessDeniedException' }),
  ],
  'authorization-failures': [
    apiCall('kms.amazonaws.com', 'ScheduleKeyDeletion', { errorCode: 'AccessDenied' }),
    apiCall('iam.amazonaws.com', 'GetUser', { errorCode: 'AccessDenied', readOnly: true }),
  ],
  'root-account-usage': [
    apiCall('kms.amazonaws.com', 'ScheduleKeyDeletion', { userIdentity: root }),
    apiCall('ec2.amazonaws.com', 'TerminateInstances', { userIdentity: root }),
    apiCall('rds-data.amazonaws.com', 'ExecuteStatement', { userIdentity: root }),
  ],
};

/** The request's rdsdata source is spelled rdsdata.amazonaws.com in ExcludeManagementEventSources. */
const sourceOf = (e: CloudTrailEvent) =>
  e.eventSource === 'rds-data.amazonaws.com' ? 'rdsdata.amazonaws.com' : String(e.eventSource);

/**
 * Global service events (recorded in us-east-1 only since Nov 2021): IAM, STS, sign-in,
 * CloudFront; AWS Organizations also has its endpoint in us-east-1 only.
 */
const GLOBAL_SOURCES = new Set([
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'signin.amazonaws.com',
  'cloudfront.amazonaws.com',
  'organizations.amazonaws.com',
]);

interface Replayed {
  record: CloudTrailEvent;
  global: boolean;
}

function recordsFor(entryId: string, region: string): Replayed[] {
  const fixtures = ENTRY_FIXTURES[entryId];
  if (!fixtures) throw new Error(`no fixtures for ${entryId}`);
  return [...fixtures.match, ...(EXTRA[entryId] ?? [])].map((e) => {
    const global = GLOBAL_SOURCES.has(String(e.eventSource));
    return { record: { ...e, awsRegion: global ? 'us-east-1' : region }, global };
  });
}

const regionOf = (r: Registered) => /aws-([a-z0-9-]+)::/.exec(r.provider ?? '')?.[1] ?? 'unknown';

/** An advanced event selector admits the record when every field selector does. */
function selectorAdmits(selector: Json, e: CloudTrailEvent): boolean {
  return (selector.fieldSelectors as Json[]).every((f) => {
    const value =
      f.field === 'readOnly'
        ? String(e.readOnly)
        : f.field === 'eventSource'
          ? sourceOf(e)
          : f.field === 'eventCategory'
            ? String(e.eventCategory)
            : undefined;
    if (value === undefined) return false;
    if (f.equals && !f.equals.includes(value)) return false;
    if (f.notEquals?.includes(value)) return false;
    if (f.startsWith && !f.startsWith.some((p: string) => value.startsWith(p))) return false;
    return true;
  });
}

type Declared = Awaited<ReturnType<typeof declare>>;

async function declare(input: Record<string, unknown>) {
  const request = resolveTrailRequest(input);
  const r = await run((parent) => declareAccountTrail({ accountId: ACCOUNT, request }, { parent }));
  return { request, r };
}

/** Whether the entry's alarm fires for the record, through trails, log groups, filters, alarms. */
function fires(d: Declared, entryId: string, { record, global }: Replayed): boolean {
  const entry = getAlarmSet(d.request.alarms.set).entries.find((e) => e.id === entryId)!;
  const trails = d.r.ofType('aws:cloudtrail/trail:Trail').filter((trail) => {
    const region = regionOf(trail);
    const inScope = global
      ? trail.inputs.includeGlobalServiceEvents === true &&
        (trail.inputs.isMultiRegionTrail === true || region === 'us-east-1')
      : trail.inputs.isMultiRegionTrail === true || region === record.awsRegion;
    return inScope && (trail.inputs.advancedEventSelectors as Json[]).some((s) => selectorAdmits(s, record));
  });
  const filters = d.r.ofType('aws:cloudwatch/logMetricFilter:LogMetricFilter');
  const alarms = d.r.ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
  return trails.some((trail) => {
    // arn:aws:logs:<region>:<account>:log-group:<name>:*
    const [, , , lgRegion, , , ...rest] = String(trail.inputs.cloudWatchLogsGroupArn).split(':');
    const lgName = rest.join(':').replace(/:\*$/, '');
    return filters.some(
      (f) =>
        f.inputs.logGroupName === lgName &&
        regionOf(f) === lgRegion &&
        f.inputs.metricTransformation.name === entry.metricName &&
        f.inputs.metricTransformation.namespace === entry.namespace &&
        matchesFilterPattern(f.inputs.pattern, record) &&
        alarms.some(
          (a) =>
            regionOf(a) === lgRegion &&
            a.inputs.metricName === entry.metricName &&
            a.inputs.namespace === entry.namespace,
        ),
    );
  });
}

function lostBy(gaps: CoverageGap[], { record, global }: Replayed): CoverageGap | undefined {
  return gaps.find(
    (g) =>
      (g.loses.readOnly !== undefined && g.loses.readOnly === record.readOnly) ||
      (g.loses.eventSource !== undefined && g.loses.eventSource === sourceOf(record)) ||
      (g.loses.globalServiceEvents === true && global),
  );
}

const MATRIX: { name: string; request: Record<string, unknown>; expectBlind: boolean; allBlind?: boolean }[] =
  [
    { name: 'all regions', request: { homeRegion: 'eu-west-1', alarms: { set: 'cis' } }, expectBlind: false },
    {
      name: 'all regions, home us-east-1, essentials',
      request: { homeRegion: 'us-east-1', alarms: { set: 'essentials' } },
      expectBlind: false,
    },
    {
      name: 'per-region with us-east-1 as home',
      request: { homeRegion: 'us-east-1', regions: ['us-east-1', 'eu-west-1'], alarms: { set: 'cis' } },
      expectBlind: false,
    },
    {
      name: 'per-region with us-east-1, home elsewhere',
      request: { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'], alarms: { set: 'cis' } },
      // Blind or not depends on whether the us-east-1 trail carries the global events; the report
      // and the replay must agree either way.
      expectBlind: false,
    },
    {
      name: 'per-region without us-east-1',
      request: { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'eu-central-1'], alarms: { set: 'cis' } },
      expectBlind: true,
    },
    {
      name: 'per-region without us-east-1, essentials',
      request: { homeRegion: 'eu-central-1', regions: ['eu-central-1'], alarms: { set: 'essentials' } },
      expectBlind: true,
    },
    {
      name: 'kms excluded',
      request: {
        homeRegion: 'eu-west-1',
        managementEvents: { excludedSources: ['kms.amazonaws.com'] },
        alarms: { set: 'cis' },
      },
      expectBlind: true,
    },
    {
      name: 'rdsdata excluded',
      request: {
        homeRegion: 'eu-west-1',
        managementEvents: { excludedSources: ['rdsdata.amazonaws.com'] },
        alarms: { set: 'cis' },
      },
      expectBlind: true,
    },
    {
      name: 'read: false',
      request: { homeRegion: 'eu-west-1', managementEvents: { read: false }, alarms: { set: 'cis' } },
      expectBlind: true,
    },
    {
      name: 'read: false, essentials',
      request: { homeRegion: 'eu-west-1', managementEvents: { read: false }, alarms: { set: 'essentials' } },
      expectBlind: true,
    },
    {
      name: 'write: false',
      request: { homeRegion: 'eu-west-1', managementEvents: { write: false }, alarms: { set: 'cis' } },
      expectBlind: true,
      // Every CIS alarm needs write events.
      allBlind: true,
    },
    {
      name: 'organization trail',
      request: {
        homeRegion: 'us-east-1',
        organizationTrail: true,
        organizationId: 'o-abcdefghij',
        alarms: { set: 'cis' },
      },
      expectBlind: false,
    },
  ];

for (const c of MATRIX) {
  t.test(c.name, async (t) => {
    const refused = recordingPlan(resolveTrailRequest(c.request)).refused;
    if (refused) {
      // A program that refuses the request (e.g. no trail could record global service events)
      // declares nothing, and the report must not call anything covered.
      await t.rejects(declare(c.request), 'the program refuses it');
      const report = coverageReport(resolveTrailRequest(c.request));
      t.ok(
        report.entries.every((e) => e.status === 'blind'),
        `every alarm blind: ${refused}`,
      );
      return;
    }
    const d = await declare(c.request);
    const report = coverageReport(d.request);
    t.equal(report.entries.length, getAlarmSet(d.request.alarms.set).entries.length, 'one verdict per alarm');
    if (c.expectBlind)
      t.ok(
        report.entries.some((e) => e.status === 'blind'),
        'the report finds the gap',
      );
    else if (c.name !== 'per-region with us-east-1, home elsewhere')
      t.notOk(
        report.entries.some((e) => e.status === 'blind'),
        'nothing blind',
      );
    if (c.allBlind)
      t.ok(
        report.entries.every((e) => e.status === 'blind'),
        'every alarm is blind',
      );
    else
      t.ok(
        report.entries.some((e) => e.status === 'covered'),
        'something is still covered (the replay is not vacuous)',
      );

    const home = d.request.homeRegion;
    for (const entry of report.entries) {
      const replayed = recordsFor(entry.id, home);
      for (const rec of replayed) {
        const what = `${entry.id}: ${rec.record.eventSource} ${rec.record.eventName} (${rec.global ? 'global' : rec.record.awsRegion}, readOnly ${rec.record.readOnly})`;
        const lost = entry.status === 'blind' ? lostBy(entry.gaps, rec) : undefined;
        if (lost) t.notOk(fires(d, entry.id, rec), `${what} is lost (${lost.option})`);
        else t.ok(fires(d, entry.id, rec), `${what} fires`);
      }
      if (entry.status === 'blind')
        t.ok(
          replayed.some((rec) => !fires(d, entry.id, rec)),
          `${entry.id} is really blind: some record of it does not fire`,
        );
      // Per-region: regional events of a region without a trail reach nothing, as `regions` says.
      if (entry.regions !== 'all') {
        const outside = 'ap-southeast-2';
        t.notOk(entry.regions.includes(outside));
        for (const rec of recordsFor(entry.id, outside).filter((x) => !x.global))
          t.notOk(fires(d, entry.id, rec), `${entry.id}: ${rec.record.eventName} in ${outside} is not seen`);
      }
    }
  });
}
