// Cross-field rules the TypeBox schema cannot express. The program refuses a request that breaks
// them before declaring anything; the API can call baselineRequestIssues() to answer 400 early.
import { InvalidTrailRequestError } from '../src/trail-request/resolve.ts';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { hasAlarmSet } from './alarms/catalog.ts';
import { baselineNames } from './naming.ts';
import { advancedEventSelectors, MAX_SELECTOR_VALUES } from './trail.ts';

export interface RequestIssue {
  path: string;
  message: string;
}

export function baselineRequestIssues(accountId: string, r: ResolvedTrailRequest): RequestIssue[] {
  const issues: RequestIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (r.organizationTrail && !r.organizationId)
    add(
      '/organizationId',
      'is required when organizationTrail is true (the bucket policy admits its log path)',
    );
  if (!hasAlarmSet(r.alarms.set)) add('/alarms/set', `unknown alarm set ${r.alarms.set}`);
  if (r.regions !== 'all' && !r.regions.includes(r.homeRegion))
    // Global service events (IAM, STS) are recorded by the home-region trail only.
    add('/regions', `must include the home region ${r.homeRegion}`);
  if (!r.managementEvents.read && !r.managementEvents.write)
    add('/managementEvents', 'at least one of read or write must be logged');
  if (r.insights.length > 0 && !r.managementEvents.write)
    add('/insights', 'Insights need write management events to be logged');
  r.dataEvents.forEach((scope, i) => {
    if (scope.resources === 'all') return;
    const service = { 's3-object': ':s3:', lambda: ':lambda:', dynamodb: ':dynamodb:' }[scope.kind];
    scope.resources.forEach((arn, j) => {
      if (!arn.includes(service)) add(`/dataEvents/${i}/resources/${j}`, `is not a ${scope.kind} ARN`);
    });
  });
  if (r.accessLogBucket && r.accessLogBucket === baselineNames(accountId, r).bucket)
    add('/accessLogBucket', 'must not be the log bucket itself');
  if (issues.length === 0) {
    try {
      advancedEventSelectors(r);
    } catch (err) {
      add('/dataEvents', `${(err as Error).message} (at most ${MAX_SELECTOR_VALUES})`);
    }
  }
  return issues;
}

/** Throws the same error type as schema validation when the request breaks a cross-field rule. */
export function assertBaselineRequest(accountId: string, r: ResolvedTrailRequest): void {
  const issues = baselineRequestIssues(accountId, r);
  if (issues.length > 0) throw new InvalidTrailRequestError(issues);
}
