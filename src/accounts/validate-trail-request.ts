// Rules a trail request must meet beyond its schema. Each failure names the field (JSON pointer)
// and says why, so the portal's form can show it next to the field.
import { baselineRequestIssues, coverageReport, unacknowledgedGapIssues } from '../../stacks/public.ts';
import type { AlarmCatalog } from '../alarm-sets/catalog.ts';
import type { FieldIssue } from '../errors.ts';
import { AWS_REGIONS, type AwsRegion, type ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { ExternalTrail } from './store/account-store.ts';

/** CloudTrail's quota: trails per region, multi-region trails included. */
export const MAX_TRAILS_PER_REGION = 5;

export interface TrailRequestContext {
  accountId: string;
  managementAccountId: string | undefined;
  alarmCatalog: AlarmCatalog;
  /** The account's other trails, not managed by this service. */
  externalTrails: ExternalTrail[];
}

const DATA_EVENT_SERVICE = { 's3-object': 's3', lambda: 'lambda', dynamodb: 'dynamodb' } as const;

function regionsOf(regions: 'all' | readonly AwsRegion[]): readonly AwsRegion[] {
  return regions === 'all' ? AWS_REGIONS : regions;
}

function checkTrailQuota(spec: ResolvedTrailRequest, ctx: TrailRequestContext): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ours = regionsOf(spec.regions);
  for (const [index, region] of ours.entries()) {
    const others = ctx.externalTrails.filter((t) => regionsOf(t.regions).includes(region));
    if (others.length + 1 <= MAX_TRAILS_PER_REGION) continue;
    issues.push({
      path: spec.regions === 'all' ? '/regions' : `/regions/${index}`,
      message:
        `${region} would have ${others.length + 1} trails, more than the ${MAX_TRAILS_PER_REGION} CloudTrail allows: ` +
        `the account already has ${others.map((t) => t.name).join(', ')} there`,
    });
  }
  return issues;
}

function checkOrganizationTrail(spec: ResolvedTrailRequest, ctx: TrailRequestContext): FieldIssue[] {
  if (!spec.organizationTrail) return [];
  const issues: FieldIssue[] = [];
  if (!ctx.managementAccountId) {
    issues.push({
      path: '/organizationTrail',
      message: 'organization trails are disabled: the service has no management account configured',
    });
  } else if (ctx.accountId !== ctx.managementAccountId) {
    issues.push({
      path: '/organizationTrail',
      message: `only the organization's management account (${ctx.managementAccountId}) can have an organization trail`,
    });
  }
  if (!spec.organizationId) {
    issues.push({ path: '/organizationId', message: 'is required for an organization trail' });
  }
  return issues;
}

function checkDataEvents(spec: ResolvedTrailRequest, ctx: TrailRequestContext): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const trailRegions = regionsOf(spec.regions);
  for (const [i, scope] of spec.dataEvents.entries()) {
    if (scope.resources === 'all') continue;
    const service = DATA_EVENT_SERVICE[scope.kind];
    for (const [j, arn] of scope.resources.entries()) {
      const path = `/dataEvents/${i}/resources/${j}`;
      // arn:partition:service:region:account-id:resource
      const [, , arnService, region = '', account = '', ...rest] = arn.split(':');
      const resource = rest.join(':');
      if (arnService !== service) {
        issues.push({ path, message: `must be a ${service} ARN for ${scope.kind} data events` });
        continue;
      }
      if (service === 's3') {
        // S3 ARNs carry neither region nor account: any bucket (or bucket/prefix) is accepted.
        if (region || account || !resource) {
          issues.push({
            path,
            message: 'must be an S3 bucket ARN: arn:aws:s3:::bucket or arn:aws:s3:::bucket/prefix',
          });
        }
        continue;
      }
      const expected = service === 'lambda' ? /^function:[\w-]{1,64}(:[\w$-]+)?$/ : /^table\/[\w.-]{3,255}$/;
      if (!expected.test(resource)) {
        issues.push({
          path,
          message:
            service === 'lambda'
              ? 'must be a Lambda function ARN: arn:aws:lambda:<region>:<account>:function:<name>'
              : 'must be a DynamoDB table ARN: arn:aws:dynamodb:<region>:<account>:table/<name>',
        });
      } else if (account !== ctx.accountId) {
        issues.push({ path, message: `belongs to account ${account || '(none)'}, not to ${ctx.accountId}` });
      } else if (!(trailRegions as readonly string[]).includes(region)) {
        issues.push({
          path,
          message: `is in region ${region || '(none)'}, which is not one of the trail's regions`,
        });
      }
    }
  }
  return issues;
}

function checkRetention(spec: ResolvedTrailRequest): FieldIssue[] {
  const { archiveAfterDays, expireAfterDays } = spec.retention;
  if (archiveAfterDays < expireAfterDays) return [];
  return [
    {
      path: '/retention/archiveAfterDays',
      message: `must be less than expireAfterDays (${expireAfterDays}): logs are archived before they expire`,
    },
  ];
}

function checkAlarmSet(spec: ResolvedTrailRequest, ctx: TrailRequestContext): FieldIssue[] {
  if (ctx.alarmCatalog.has(spec.alarms.set)) return [];
  const known = ctx.alarmCatalog.list().map((s) => s.name);
  return [
    { path: '/alarms/set', message: `unknown alarm set "${spec.alarms.set}"; known: ${known.join(', ')}` },
  ];
}

function checkManagementEvents(spec: ResolvedTrailRequest): FieldIssue[] {
  if (spec.managementEvents.read || spec.managementEvents.write) return [];
  return [{ path: '/managementEvents', message: 'must record read or write management events (or both)' }];
}

/**
 * A request that blinds alarms of its own set must say so: each blinding option is refused at its
 * path, naming the entries, unless acknowledgedGaps lists them; an acknowledged id must be an entry
 * of the set.
 */
function checkCoverage(spec: ResolvedTrailRequest): FieldIssue[] {
  // Computed from the program's own catalog: the alarms the program will declare.
  const report = coverageReport(spec);
  const issues: FieldIssue[] = [];
  for (const [i, id] of (spec.acknowledgedGaps ?? []).entries()) {
    if (!report.entries.some((e) => e.id === id))
      issues.push({
        path: `/acknowledgedGaps/${i}`,
        message: `${id} is not an alarm of the ${spec.alarms.set} set`,
      });
  }
  return [...issues, ...unacknowledgedGapIssues(report)];
}

/** Every rule violation of a resolved (defaults applied) request; empty when it is acceptable. */
export function checkTrailRequest(spec: ResolvedTrailRequest, ctx: TrailRequestContext): FieldIssue[] {
  const issues = [
    ...checkTrailQuota(spec, ctx),
    ...checkOrganizationTrail(spec, ctx),
    ...checkDataEvents(spec, ctx),
    ...checkRetention(spec),
    ...checkAlarmSet(spec, ctx),
    ...checkManagementEvents(spec),
  ];
  // The program refuses some requests on its own (it also runs from Pulumi.yaml, without this
  // API); report those here too, so that nothing valid here fails later in the engine.
  const seen = new Set(issues.map((i) => i.path));
  for (const issue of baselineRequestIssues(ctx.accountId, spec)) {
    if (!seen.has(issue.path) && ![...seen].some((p) => issue.path.startsWith(`${p}/`))) issues.push(issue);
  }
  // Blind alarms only matter for a request that is otherwise acceptable.
  if (issues.length === 0) issues.push(...checkCoverage(spec));
  return issues;
}
