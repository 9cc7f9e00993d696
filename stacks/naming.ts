// Every physical and logical name the program uses, derived only from the account id and the
// request, so a re-run converges on the same resources and names never collide across accounts.
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';

export const NAME_PREFIX = 'trailwarden';

/** Tag keys that mark what Trailwarden manages; added to every resource via provider default tags. */
export const MARKER_TAGS = {
  managedBy: 'trailwarden:managed-by',
  account: 'trailwarden:account',
} as const;

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Lowercase, keeps [a-z0-9-], collapses runs of '-', trims '-' at both ends. */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

function assertMax(kind: string, name: string, max: number, pattern: RegExp): string {
  if (name.length > max) throw new Error(`${kind} name ${name} is longer than ${max} characters`);
  if (!pattern.test(name)) throw new Error(`${kind} name ${name} does not match ${pattern}`);
  return name;
}

export interface BaselineNames {
  accountId: string;
  homeRegion: string;
  partition: string;
  /** S3: 3-63 chars, lowercase letters, digits, '-', starts and ends alphanumeric. */
  bucket: string;
  keyAlias: string;
  keyDescription: string;
  logGroup: string;
  /** IAM role: at most 64 chars. */
  logDeliveryRole: string;
  logDeliveryPolicy: string;
  topic: string;
  trail: string;
  /**
   * Trail ARN per region (the same name in each region; ARNs differ by region). The account in
   * it is the trail's owner: for an organization trail, the management account.
   */
  trailArn(region: string): string;
  bucketArn: string;
  /** The home region's log group (the one an 'all' trail delivers to). */
  logGroupArn: string;
  /** A trail delivers to the log group of the same name in its own region. */
  logGroupArnIn(region: string): string;
  topicArn: string;
  /** Each region with a log group has its alarm topic, which that region's alarms and rules notify. */
  topicArnIn(region: string): string;
  metricFilter(setName: string, entryId: string): string;
  alarm(setName: string, entryId: string): string;
  eventRule(watchId: string): string;
}

export function baselineNames(
  accountId: string,
  request: Pick<ResolvedTrailRequest, 'homeRegion'>,
  /** Owner of the trails; defaults to the account (an organization trail: the management account). */
  trailOwnerAccountId: string = accountId,
): BaselineNames {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`account id must be 12 digits, got ${accountId}`);
  if (!/^[0-9]{12}$/.test(trailOwnerAccountId))
    throw new Error(`trail owner account id must be 12 digits, got ${trailOwnerAccountId}`);
  const home = request.homeRegion;
  const partition = partitionOf(home);
  const bucket = assertMax(
    'bucket',
    `${NAME_PREFIX}-${accountId}-${home}-trail`,
    63,
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  );
  const trail = assertMax('trail', NAME_PREFIX, 128, /^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/);
  const logGroup = assertMax('log group', `/${NAME_PREFIX}/cloudtrail`, 512, /^[\w./#-]+$/);
  const role = assertMax('role', `${NAME_PREFIX}-cloudtrail-to-logs-${home}`, 64, /^[\w+=,.@-]+$/);
  const topic = assertMax('topic', `${NAME_PREFIX}-alarms`, 256, /^[\w-]+$/);
  const metricName = (setName: string, entryId: string) =>
    assertMax('metric filter', `${NAME_PREFIX}-${slug(setName)}-${slug(entryId)}`, 255, /^[^:*]+$/);
  return {
    accountId,
    homeRegion: home,
    partition,
    bucket,
    keyAlias: assertMax('alias', `alias/${NAME_PREFIX}/cloudtrail`, 256, /^alias\/[\w/-]+$/),
    keyDescription: `Trailwarden: encrypts CloudTrail logs, their CloudWatch Logs copy and alarm notifications of account ${accountId}`,
    logGroup,
    logDeliveryRole: role,
    logDeliveryPolicy: 'cloudtrail-to-logs',
    topic,
    trail,
    trailArn: (region: string) =>
      `arn:${partitionOf(region)}:cloudtrail:${region}:${trailOwnerAccountId}:trail/${trail}`,
    bucketArn: `arn:${partition}:s3:::${bucket}`,
    logGroupArn: `arn:${partition}:logs:${home}:${accountId}:log-group:${logGroup}`,
    logGroupArnIn: (region: string) =>
      `arn:${partitionOf(region)}:logs:${region}:${accountId}:log-group:${logGroup}`,
    topicArn: `arn:${partition}:sns:${home}:${accountId}:${topic}`,
    topicArnIn: (region: string) => `arn:${partitionOf(region)}:sns:${region}:${accountId}:${topic}`,
    metricFilter: metricName,
    alarm: metricName,
    eventRule: (watchId: string) =>
      assertMax('event rule', `${NAME_PREFIX}-${slug(watchId)}`, 64, /^[.\-_A-Za-z0-9]+$/),
  };
}

/** Regions that get a trail: the home region alone for a multi-region trail, else the listed ones. */
export function trailRegions(request: Pick<ResolvedTrailRequest, 'homeRegion' | 'regions'>): string[] {
  if (request.regions === 'all') return [request.homeRegion];
  return [...new Set(request.regions)];
}

/** Trail ARNs the policies admit: one per region that gets a trail. */
export function trailArns(
  names: BaselineNames,
  request: Pick<ResolvedTrailRequest, 'homeRegion' | 'regions'>,
) {
  return trailRegions(request).map((r) => names.trailArn(r));
}

export function markerTags(accountId: string): Record<string, string> {
  return { [MARKER_TAGS.managedBy]: 'trailwarden', [MARKER_TAGS.account]: accountId };
}
