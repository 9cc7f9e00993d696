// The largest trail requests the API accepts: every array and string at its bound, within the default body
// limit and CloudTrail's 500 selector values (stacks/trail.ts MAX_SELECTOR_VALUES). Shared by the validation benchmark and its test.

import { resolveTrailRequest } from '../src/trail-request/resolve.ts';
import { AWS_REGIONS, MAX_USER_TAGS, type TrailRequest } from '../src/trail-request/schema.ts';
import { advancedEventSelectors } from '../stacks/trail.ts';

/** The default BODY_LIMIT_BYTES (src/auth/config.ts). */
export const DEFAULT_BODY_LIMIT = 262144;

const pad = (prefix: string, length: number, fill = 'x') => prefix + fill.repeat(length - prefix.length);

/** Everything but the data events, at its maximum. */
function base(): TrailRequest {
  return {
    homeRegion: 'us-east-1',
    regions: [...AWS_REGIONS],
    organizationTrail: true,
    organizationId: pad('o-', 34, 'a'),
    managementEvents: {
      read: true,
      write: true,
      excludedSources: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'],
    },
    // Excluding those sources blinds the essentials' authorization-failures alarm for their calls: a
    // request that does so must say it knows (else 400 at the excluded source).
    acknowledgedGaps: ['authorization-failures'],
    insights: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
    alarms: {
      set: 'essentials',
      notify: {
        emails: Array.from(
          { length: 20 },
          (_, i) => `${pad(`sec${i}-`, 64, 'o')}@${pad('', 60, 'd')}.example.com`,
        ),
        https: Array.from({ length: 20 }, (_, i) => pad(`https://hooks.example.com/${i}/`, 2048)),
      },
    },
    retention: { archiveAfterDays: 3650, expireAfterDays: 36500, cloudWatchLogsDays: 3653 },
    objectLock: { mode: 'GOVERNANCE', days: 36500 },
    accessLogBucket: pad('access-logs-', 63, 'b'),
    securityReaders: Array.from({ length: 20 }, (_, i) =>
      pad(`arn:aws:iam::123456789012:role/reader-${i}/`, 2048),
    ),
    tags: Object.fromEntries(
      Array.from({ length: MAX_USER_TAGS }, (_, i) => [
        pad(`key-${i}-`, 128, 'k'),
        pad(`value ${i} `, 256, 'v'),
      ]),
    ),
  };
}

/** Whether CloudTrail takes the request's event selectors (at most MAX_SELECTOR_VALUES values). */
function selectorsFit(r: TrailRequest): boolean {
  try {
    advancedEventSelectors(resolveTrailRequest(r));
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills 20 S3 data event scopes round-robin with ARNs of the given length (distinct only in their last
 * characters: the costliest case for a duplicate check) until the body limit or the selector values are reached.
 */
function withDataEvents(arnLength: number, bodyLimit: number): TrailRequest {
  const request = base();
  const arn = (n: number) =>
    pad('arn:aws:s3:::bench-bucket/', arnLength - 6, 'p') + String(n).padStart(6, '0');
  const scopes = Array.from({ length: 20 }, (_, i) => ({ kind: 's3-object' as const, resources: [arn(i)] }));
  request.dataEvents = scopes;
  for (let n = scopes.length; ; n++) {
    const scope = scopes[n % scopes.length]!;
    scope.resources.push(arn(n));
    if (
      scope.resources.length > 250 ||
      Buffer.byteLength(JSON.stringify(request)) > bodyLimit - 1024 ||
      !selectorsFit(request)
    ) {
      scope.resources.pop();
      return request;
    }
  }
}

export interface BenchRequest {
  name: string;
  body: TrailRequest;
}

/** The management account (organization trails are allowed only there). */
export function largestValidRequests(bodyLimit = DEFAULT_BODY_LIMIT): BenchRequest[] {
  return [
    { name: 'longest strings (2048-character ARNs)', body: withDataEvents(2048, bodyLimit) },
    { name: 'most items (CloudTrail selector values)', body: withDataEvents(256, bodyLimit) },
  ];
}
