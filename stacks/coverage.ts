// What a resolved trail request lets the account see: for each Security Hub control
// (CloudTrail.1-7, CloudWatch.1-14) and each alarm of the chosen set, `covered`, `blind` (with
// the option that loses which events) or `not-applicable`. Pure: computed from the request, the
// trail plan (planTrails), the alarm catalog and, once the account is applied, the state of the
// alarm topic's subscriptions.
//
// AWS facts relied on:
// - Since 22 Nov 2021, events of the global services (IAM, STS, CloudFront, console sign-in) are
//   recorded in us-east-1 only; a single-Region trail outside us-east-1 no longer receives them,
//   only a multi-Region trail or a us-east-1 trail with IncludeGlobalServiceEvents does
//   (CloudTrail User Guide, "Using the update-trail command to update a trail", Important note;
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail-by-using-the-aws-cli-update-trail.html).
// - Security Hub CloudTrail.1 and its AWS Config rule multi-region-cloudtrail-enabled fail when
//   ExcludeManagementEventSources is not empty
//   (https://docs.aws.amazon.com/config/latest/developerguide/multi-region-cloudtrail-enabled.html;
//   Security Hub user guide, "Security Hub controls for CloudTrail").
// - Security Hub's CloudWatch.1-14 are custom rules over AWS::Logs::MetricFilter,
//   AWS::CloudWatch::Alarm, AWS::CloudTrail::Trail and AWS::SNS::Topic: the filter must sit on the
//   log group of a multi-Region trail that logs all management events, with the exact CIS pattern,
//   and the alarm's topic must have a subscriber (Security Hub user guide, "Security Hub controls
//   for Amazon CloudWatch", https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html;
//   CIS AWS Foundations Benchmark v1.4 4.x audit: "at least one subscription ... exists").
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { type AlarmEntry, filterPatternOf, getAlarmSet, hasAlarmSet } from './alarms/catalog.ts';
import { planTrails, type TrailPlan } from './trail.ts';

export const COVERAGE_STATUSES = ['covered', 'blind', 'not-applicable'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

/** The region global service events are recorded in (commercial partition). */
export const GLOBAL_EVENTS_REGION = 'us-east-1';
/** Event sources of the global services. */
export const GLOBAL_SERVICE_SOURCES = [
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'signin.amazonaws.com',
  'cloudfront.amazonaws.com',
] as const;

/** Which CloudTrail management events an alarm needs to see. */
export interface EventNeed {
  /** Event sources its pattern matches; 'any' when the pattern does not test the source. */
  sources: 'any' | readonly string[];
  /** Needs read-only events (readOnly: true), write events (readOnly: false), or both. */
  read: boolean;
  write: boolean;
  /**
   * regional: happen in the region of the call; global: global service events, recorded in
   * us-east-1 only; both: either (e.g. refused calls, root activity on any service).
   */
  where: 'regional' | 'global' | 'both';
  /** Examples named in a blind reason. */
  examples: string;
}

const EC2_WRITE: Omit<EventNeed, 'examples'> = {
  sources: ['ec2.amazonaws.com'],
  read: false,
  write: true,
  where: 'regional',
};
const SIGNIN: Omit<EventNeed, 'examples'> = {
  sources: ['signin.amazonaws.com'],
  read: false,
  // Sign-in records carry readOnly: false; a write-only trail logs them, a read-only one does not.
  write: true,
  where: 'global',
};
const ANY_CALL: Omit<EventNeed, 'examples'> = { sources: 'any', read: true, write: true, where: 'both' };

/**
 * What each catalog entry needs, keyed by entry id (ids are stable across pattern profiles, and an
 * id means the same alarm in every set that has it). A catalog entry without a row here is
 * reported `blind` (unknown needs), never silently `covered`.
 */
export const ENTRY_EVENT_NEEDS: Readonly<Record<string, EventNeed>> = {
  'unauthorized-api-calls': { ...ANY_CALL, examples: 'refused calls of every service (AccessDenied*)' },
  'authorization-failures': { ...ANY_CALL, examples: 'refused calls of every service (AccessDenied*)' },
  'root-account-usage': { ...ANY_CALL, examples: 'calls made with the root user' },
  'console-signin-without-mfa': { ...SIGNIN, examples: 'ConsoleLogin' },
  'console-authentication-failures': { ...SIGNIN, examples: 'ConsoleLogin (failed)' },
  'console-signin-failures': { ...SIGNIN, examples: 'ConsoleLogin (failed)' },
  'iam-policy-changes': {
    sources: ['iam.amazonaws.com'],
    read: false,
    write: true,
    where: 'global',
    examples: 'PutRolePolicy, AttachUserPolicy, CreatePolicyVersion',
  },
  'cloudtrail-configuration-changes': {
    sources: ['cloudtrail.amazonaws.com'],
    read: false,
    write: true,
    where: 'regional',
    examples: 'StopLogging, UpdateTrail, DeleteTrail',
  },
  'cmk-disable-or-deletion': {
    sources: ['kms.amazonaws.com'],
    read: false,
    write: true,
    where: 'regional',
    examples: 'DisableKey, ScheduleKeyDeletion',
  },
  's3-bucket-policy-changes': {
    sources: ['s3.amazonaws.com'],
    read: false,
    write: true,
    where: 'regional',
    examples: 'PutBucketPolicy, PutBucketAcl',
  },
  'config-changes': {
    sources: ['config.amazonaws.com'],
    read: false,
    write: true,
    where: 'regional',
    examples: 'StopConfigurationRecorder, DeleteDeliveryChannel',
  },
  'security-group-changes': { ...EC2_WRITE, examples: 'AuthorizeSecurityGroupIngress, CreateSecurityGroup' },
  'nacl-changes': { ...EC2_WRITE, examples: 'CreateNetworkAclEntry, ReplaceNetworkAclEntry' },
  'network-gateway-changes': { ...EC2_WRITE, examples: 'AttachInternetGateway, CreateCustomerGateway' },
  'route-table-changes': { ...EC2_WRITE, examples: 'CreateRoute, ReplaceRoute' },
  'vpc-changes': { ...EC2_WRITE, examples: 'CreateVpc, ModifyVpcAttribute' },
  'ec2-instance-changes': { ...EC2_WRITE, examples: 'RunInstances, TerminateInstances' },
  'organizations-changes': {
    sources: ['organizations.amazonaws.com'],
    read: false,
    write: true,
    // AWS Organizations has its endpoint in us-east-1 only; its calls are recorded there.
    where: 'global',
    examples: 'CreateAccount, AttachPolicy, LeaveOrganization',
  },
};

/** One option of the request and the events it loses. */
export interface CoverageGap {
  /** JSON pointer of the option in the trail request. */
  option: string;
  /** Which events are lost, in words. */
  lost: string;
  /** The machine-readable form of the loss (what the replay test checks); empty: all of them. */
  loses: { readOnly?: boolean; eventSource?: string; globalServiceEvents?: boolean };
}

export interface EntryCoverage {
  id: string;
  title: string;
  status: Exclude<CoverageStatus, 'not-applicable'>;
  /** Regions whose events reach the alarm: 'all', or the listed trail regions. */
  regions: 'all' | string[];
  gaps: CoverageGap[];
  /** The request lists this entry in acknowledgedGaps. */
  acknowledged: boolean;
}

export interface ControlCoverage {
  id: string;
  title: string;
  status: CoverageStatus;
  /** Why it is blind or not applicable; empty when covered. */
  reasons: string[];
  /** The catalog entry that implements a CloudWatch control, when the set has one. */
  entryId?: string;
}

export interface SubscriptionState {
  protocol: string;
  endpoint?: string;
  /** pulumi-aws TopicSubscription.pendingConfirmation: true until the endpoint confirms. */
  pendingConfirmation: boolean;
  /** The Region of the alarm topic it belongs to (one topic per trail Region). */
  region?: string;
}

export interface DeliveryCoverage {
  /**
   * confirmed: at least one subscription is confirmed; unconfirmed: none is (nobody receives the
   * alarms); unknown: not applied yet (or never read back), with subscriptions requested.
   */
  status: 'confirmed' | 'unconfirmed' | 'unknown';
  reason: string;
  subscriptions: SubscriptionState[];
}

export interface CoverageReport {
  alarmSet: string;
  /** 'all' for one multi-Region trail, else the regions that get a trail. */
  regions: 'all' | string[];
  /** Whether some trail records the global service events (IAM, STS, sign-in, CloudFront). */
  globalServiceEvents: boolean;
  entries: EntryCoverage[];
  controls: ControlCoverage[];
  delivery: DeliveryCoverage;
  /** Entries of the set that are blind and not acknowledged: a PUT with these is refused. */
  unacknowledgedGaps: string[];
  /** Lines to show as warnings (acknowledged gaps, unconfirmed delivery). */
  warnings: string[];
}

export interface CoverageInput {
  /**
   * The alarm topic's subscriptions as the last apply or drift check read them; undefined when
   * the account was never applied (or the state is not known).
   */
  subscriptions?: SubscriptionState[] | undefined;
}

/** Which trails record what, from the program's own trail plan. */
export interface RecordingPlan {
  plans: TrailPlan[];
  /** 'all', or the regions whose regional events some trail records. */
  regionalEvents: 'all' | string[];
  globalServiceEvents: boolean;
  /** Why the program plans no trail at all (it refuses the request), when it does. */
  refused?: string;
}

export function recordingPlan(request: Pick<ResolvedTrailRequest, 'homeRegion' | 'regions'>): RecordingPlan {
  let plans: TrailPlan[];
  let refused: string | undefined;
  try {
    plans = planTrails(request, (region) => `trail:${region}`);
  } catch (err) {
    // A request the program refuses records nothing (validation names the reason at PUT).
    plans = [];
    refused = (err as Error).message;
  }
  return {
    plans,
    regionalEvents: plans.some((p) => p.isMultiRegionTrail) ? 'all' : plans.map((p) => p.region),
    globalServiceEvents: plans.some(recordsGlobalServiceEvents),
    ...(refused === undefined ? {} : { refused }),
  };
}

/** A trail records global service events when it is multi-Region or in us-east-1, and includes them. */
export function recordsGlobalServiceEvents(plan: TrailPlan): boolean {
  return plan.includeGlobalServiceEvents && (plan.isMultiRegionTrail || plan.region === GLOBAL_EVENTS_REGION);
}

function entryGaps(need: EventNeed, r: ResolvedTrailRequest, recording: RecordingPlan): CoverageGap[] {
  if (recording.plans.length === 0)
    return [
      {
        option: '/regions',
        lost: `no trail records anything: ${recording.refused ?? 'the program plans no trail'}`,
        loses: {},
      },
    ];
  const gaps: CoverageGap[] = [];
  const { read, write, excludedSources } = r.managementEvents;
  if (need.read && !read)
    gaps.push({
      option: '/managementEvents/read',
      lost: `read-only management events are not logged: loses ${need.examples} that are reads (Describe*, Get*, List*)`,
      loses: { readOnly: true },
    });
  if (need.write && !write)
    gaps.push({
      option: '/managementEvents/write',
      lost: `write management events are not logged: loses ${need.examples}`,
      loses: { readOnly: false },
    });
  excludedSources.forEach((source, i) => {
    if (need.sources !== 'any' && !need.sources.includes(source)) return;
    gaps.push({
      option: `/managementEvents/excludedSources/${i}`,
      lost: `events of ${source} are excluded: loses ${need.sources === 'any' ? `${need.examples} on ${source}` : need.examples}`,
      loses: { eventSource: source },
    });
  });
  if (need.where !== 'regional' && !recording.globalServiceEvents)
    gaps.push({
      option: '/regions',
      lost:
        'no trail records global service events (IAM, STS, console sign-in are recorded in us-east-1 only; a ' +
        `single-Region trail elsewhere does not receive them): loses ${need.where === 'global' ? need.examples : `${need.examples} on global services`}`,
      loses: { globalServiceEvents: true },
    });
  return gaps;
}

function unknownNeedGap(entry: AlarmEntry): CoverageGap {
  return {
    option: '/alarms/set',
    lost: `Trailwarden does not know which events ${entry.id} needs; it cannot claim coverage`,
    loses: {},
  };
}

interface ControlDef {
  id: string;
  title: string;
  /** Catalog entry ids that implement it (CloudWatch controls). */
  entries?: readonly string[];
  /**
   * Security Hub's exact pattern where the CIS pattern it checks is known to differ from a
   * catalog wording (issue 10, item 6); compared ignoring whitespace.
   */
  securityHubPattern?: string;
}

const CLOUDTRAIL_CONTROLS: readonly ControlDef[] = [
  {
    id: 'CloudTrail.1',
    title:
      'CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events',
  },
  { id: 'CloudTrail.2', title: 'CloudTrail should have encryption at-rest enabled' },
  { id: 'CloudTrail.3', title: 'At least one CloudTrail trail should be enabled' },
  { id: 'CloudTrail.4', title: 'CloudTrail log file validation should be enabled' },
  { id: 'CloudTrail.5', title: 'CloudTrail trails should be integrated with Amazon CloudWatch Logs' },
  {
    id: 'CloudTrail.6',
    title: 'Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible',
  },
  { id: 'CloudTrail.7', title: 'Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket' },
];

const CLOUDWATCH_CONTROLS: readonly ControlDef[] = [
  { id: 'CloudWatch.1', title: 'usage of the "root" user', entries: ['root-account-usage'] },
  {
    id: 'CloudWatch.2',
    title: 'unauthorized API calls',
    entries: ['unauthorized-api-calls', 'authorization-failures'],
    securityHubPattern: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
  },
  {
    id: 'CloudWatch.3',
    title: 'Management Console sign-in without MFA',
    entries: ['console-signin-without-mfa'],
  },
  { id: 'CloudWatch.4', title: 'IAM policy changes', entries: ['iam-policy-changes'] },
  {
    id: 'CloudWatch.5',
    title: 'CloudTrail configuration changes',
    entries: ['cloudtrail-configuration-changes'],
  },
  {
    id: 'CloudWatch.6',
    title: 'AWS Management Console authentication failures',
    entries: ['console-authentication-failures', 'console-signin-failures'],
  },
  {
    id: 'CloudWatch.7',
    title: 'disabling or scheduled deletion of customer managed keys',
    entries: ['cmk-disable-or-deletion'],
  },
  { id: 'CloudWatch.8', title: 'S3 bucket policy changes', entries: ['s3-bucket-policy-changes'] },
  { id: 'CloudWatch.9', title: 'AWS Config configuration changes', entries: ['config-changes'] },
  { id: 'CloudWatch.10', title: 'security group changes', entries: ['security-group-changes'] },
  { id: 'CloudWatch.11', title: 'Network Access Control Lists (NACL) changes', entries: ['nacl-changes'] },
  { id: 'CloudWatch.12', title: 'changes to network gateways', entries: ['network-gateway-changes'] },
  {
    id: 'CloudWatch.13',
    title: 'route table changes',
    entries: ['route-table-changes'],
    securityHubPattern:
      '{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}',
  },
  { id: 'CloudWatch.14', title: 'VPC changes', entries: ['vpc-changes'] },
];

/** Security Hub control ids this module reports, in order. */
export const SECURITY_HUB_CONTROL_IDS: readonly string[] = [
  ...CLOUDTRAIL_CONTROLS,
  ...CLOUDWATCH_CONTROLS,
].map((c) => c.id);

const squash = (pattern: string) => pattern.replace(/\s+/g, '');

function trailWideIssues(r: ResolvedTrailRequest): string[] {
  const reasons: string[] = [];
  if (r.regions !== 'all')
    reasons.push('/regions: no multi-Region trail (one single-Region trail per listed region)');
  if (!r.managementEvents.read) reasons.push('/managementEvents/read: read management events are not logged');
  if (!r.managementEvents.write)
    reasons.push('/managementEvents/write: write management events are not logged');
  if (r.managementEvents.excludedSources.length > 0)
    reasons.push(
      `/managementEvents/excludedSources: excludes ${r.managementEvents.excludedSources.join(', ')} (ExcludeManagementEventSources must be empty)`,
    );
  return reasons;
}

function deliveryOf(r: ResolvedTrailRequest, input: CoverageInput): DeliveryCoverage {
  const requested = r.alarms.notify.emails.length + r.alarms.notify.https.length;
  const subscriptions = input.subscriptions;
  if (subscriptions !== undefined) {
    // Alarms notify the topic of their own Region: each Region needs a confirmed subscription.
    const regions = [...new Set(subscriptions.flatMap((s) => (s.region ? [s.region] : [])))].sort();
    const deaf = regions.filter((region) =>
      subscriptions.every((s) => s.region !== region || s.pendingConfirmation),
    );
    if (regions.length > 1 && deaf.length > 0 && deaf.length < regions.length)
      return {
        status: 'unconfirmed',
        reason: `no subscription of the alarm topic in ${deaf.join(', ')} is confirmed: nobody receives the alarms of ${deaf.length === 1 ? 'that Region' : 'those Regions'}`,
        subscriptions,
      };
    const confirmed = subscriptions.filter((s) => !s.pendingConfirmation).length;
    if (confirmed > 0)
      return {
        status: 'confirmed',
        reason: `${confirmed} of ${subscriptions.length} subscriptions of the alarm topic are confirmed`,
        subscriptions,
      };
    return {
      status: 'unconfirmed',
      reason:
        subscriptions.length === 0
          ? 'the alarm topic has no subscription: nobody receives the alarms (/alarms/notify)'
          : `none of the ${subscriptions.length} subscriptions of the alarm topic is confirmed (an email or https endpoint must confirm it): nobody receives the alarms`,
      subscriptions,
    };
  }
  if (requested === 0)
    return {
      status: 'unconfirmed',
      reason:
        'the request names no email or https recipient (/alarms/notify): nobody will receive the alarms',
      subscriptions: [],
    };
  return {
    status: 'unknown',
    reason: `not applied yet: ${requested} recipients will each have to confirm their subscription`,
    subscriptions: [],
  };
}

/** The coverage report of a resolved request (and, once applied, of its alarm topic's subscriptions). */
export function coverageReport(r: ResolvedTrailRequest, input: CoverageInput = {}): CoverageReport {
  const recording = recordingPlan(r);
  const acknowledged = new Set(r.acknowledgedGaps ?? []);
  const set = hasAlarmSet(r.alarms.set) ? getAlarmSet(r.alarms.set) : undefined;

  const entries: EntryCoverage[] = (set?.entries ?? []).map((entry) => {
    const need = ENTRY_EVENT_NEEDS[entry.id];
    const gaps = need ? entryGaps(need, r, recording) : [unknownNeedGap(entry)];
    return {
      id: entry.id,
      title: entry.title,
      status: gaps.length ? 'blind' : 'covered',
      regions: need?.where === 'global' ? 'all' : recording.regionalEvents,
      gaps,
      acknowledged: acknowledged.has(entry.id),
    };
  });
  const delivery = deliveryOf(r, input);
  const trailWide = trailWideIssues(r);

  const controls: ControlCoverage[] = CLOUDTRAIL_CONTROLS.map((c) => {
    const reasons: string[] = [];
    if (c.id === 'CloudTrail.1') reasons.push(...trailWide);
    if (c.id === 'CloudTrail.7' && !r.accessLogBucket)
      reasons.push('/accessLogBucket: S3 server access logging of the log bucket is off');
    return { id: c.id, title: c.title, status: reasons.length ? 'blind' : 'covered', reasons };
  });
  for (const c of CLOUDWATCH_CONTROLS) {
    const title = `A log metric filter and alarm should exist for ${c.title}`;
    const entryId = c.entries?.find((id) => entries.some((e) => e.id === id));
    const entry = set?.entries.find((e) => e.id === entryId);
    if (!entry || !entryId) {
      controls.push({
        id: c.id,
        title,
        status: 'not-applicable',
        reasons: [
          `the ${r.alarms.set} alarm set has no alarm for it (Security Hub reports it FAILED unless another filter exists)`,
        ],
      });
      continue;
    }
    const reasons = [...trailWide];
    for (const gap of entries.find((e) => e.id === entryId)!.gaps) reasons.push(`${gap.option}: ${gap.lost}`);
    if (
      c.securityHubPattern &&
      squash(c.securityHubPattern) !== squash(filterPatternOf(entry, r.alarms.profile))
    )
      reasons.push(`/alarms/set: the ${entryId} filter pattern is not the exact pattern Security Hub checks`);
    if (delivery.status === 'unconfirmed') reasons.push(`/alarms/notify: ${delivery.reason}`);
    controls.push({ id: c.id, title, status: reasons.length ? 'blind' : 'covered', reasons, entryId });
  }

  const unacknowledgedGaps = entries.filter((e) => e.status === 'blind' && !e.acknowledged).map((e) => e.id);
  const warnings = [
    ...entries
      .filter((e) => e.status === 'blind' && e.acknowledged)
      .map(
        (e) =>
          `acknowledged gap: ${e.id} is blind (${e.gaps.map((g) => `${g.option}: ${g.lost}`).join('; ')})`,
      ),
    ...(delivery.status === 'unconfirmed' ? [`an alarm nobody receives is a hole: ${delivery.reason}`] : []),
  ];
  return {
    alarmSet: r.alarms.set,
    regions: r.regions === 'all' ? 'all' : [...r.regions],
    globalServiceEvents: recording.globalServiceEvents,
    entries,
    controls,
    delivery,
    unacknowledgedGaps,
    warnings,
  };
}

/**
 * The PUT gate: one issue per option that blinds entries of the request's own alarm set that the
 * request does not acknowledge, at that option's path.
 */
export function unacknowledgedGapIssues(report: CoverageReport): { path: string; message: string }[] {
  const byOption = new Map<string, { entries: string[]; lost: string }>();
  for (const e of report.entries) {
    if (e.status !== 'blind' || e.acknowledged) continue;
    for (const g of e.gaps) {
      const at = byOption.get(g.option) ?? { entries: [], lost: g.lost.split(':')[0]! };
      at.entries.push(e.id);
      byOption.set(g.option, at);
    }
  }
  return [...byOption].map(([path, { entries, lost }]) => ({
    path,
    message: `blinds ${entries.join(', ')} of the ${report.alarmSet} alarm set (${lost}); list them in acknowledgedGaps to accept the gap`,
  }));
}
