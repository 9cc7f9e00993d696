// Cross-field rules the TypeBox schema cannot express. The program refuses a request that breaks
// them before declaring anything; the API can call baselineRequestIssues() to answer 400 early.
import { InvalidTrailRequestError } from '../src/trail-request/resolve.ts';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { hasAlarmSet } from './alarms/catalog.ts';
import { baselineNames } from './naming.ts';
import { advancedEventSelectors, GLOBAL_SERVICE_EVENTS_REGION, MAX_SELECTOR_VALUES } from './trail.ts';

export interface RequestIssue {
  path: string;
  message: string;
}

export function baselineRequestIssues(
  accountId: string,
  r: ResolvedTrailRequest,
  /** The organization's management account, when known: the only owner of an organization trail. */
  managementAccountId?: string,
): RequestIssue[] {
  const issues: RequestIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (r.organizationTrail && !r.organizationId)
    add(
      '/organizationId',
      'is required when organizationTrail is true (the bucket policy admits its log path)',
    );
  if (r.organizationTrail && managementAccountId && managementAccountId !== accountId)
    // CloudTrail User Guide, "Creating a trail for an organization": only the management account
    // (or a delegated administrator, which we do not manage) creates and owns it.
    add(
      '/organizationTrail',
      `an organization trail is created in and owned by the management account ${managementAccountId}`,
    );
  if (!hasAlarmSet(r.alarms.set)) add('/alarms/set', `unknown alarm set ${r.alarms.set}`);
  if (r.regions !== 'all' && !r.regions.includes(r.homeRegion))
    // The key and bucket are in the home region: without a trail there nobody records their changes.
    add('/regions', `must include the home region ${r.homeRegion}`);
  else if (r.regions !== 'all' && !r.regions.includes(GLOBAL_SERVICE_EVENTS_REGION))
    // Since November 2021 only a trail in us-east-1 (or a multi-Region trail) receives global
    // service events; without it the IAM, root, sign-in and MFA alarms never fire.
    add(
      '/regions',
      `must include ${GLOBAL_SERVICE_EVENTS_REGION}: global service events (IAM, STS, console sign-in) are recorded only there, so without it the IAM policy, root usage and console sign-in alarms would never fire; or use regions 'all'`,
    );
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
    // S3 User Guide, "Enabling Amazon S3 server access logging"
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html):
    // S3 allows it, but "delivering logs to the source bucket will cause an infinite loop of logs
    // and is not recommended". Refused here on that advice, not because S3 refuses it.
    add('/accessLogBucket', 'must not be the log bucket itself');
  else if (r.accessLogBucket && /^trailwarden-\d{12}-[a-z0-9-]+-trail$/.test(r.accessLogBucket))
    // Another Trailwarden log bucket has SSE-KMS default encryption (and Object Lock when
    // requested). Same page: default encryption on the target bucket is usable "only if you use
    // server-side encryption with Amazon S3 managed keys (SSE-S3) ... Default server-side
    // encryption with AWS KMS keys (SSE-KMS) is not supported", and "You can't enable S3 Object
    // Lock on the target bucket". The page's other rules (same Region and account as the source,
    // no default retention period, no Requester Pays) concern a bucket we cannot inspect from
    // its name; they are the user's to meet.
    add(
      '/accessLogBucket',
      'must not be a Trailwarden log bucket (SSE-KMS is not supported as a logging destination)',
    );
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
export function assertBaselineRequest(
  accountId: string,
  r: ResolvedTrailRequest,
  managementAccountId?: string,
): void {
  const issues = baselineRequestIssues(accountId, r, managementAccountId);
  if (issues.length > 0) throw new InvalidTrailRequestError(issues);
}
