import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { DataEventScope, ResolvedTrailRequest } from '../src/trail-request/schema.ts';

/** CloudTrail allows five trails per region. */
export const MAX_TRAILS_PER_REGION = 5;
/** CloudTrail allows at most 500 values across all conditions of a trail's advanced selectors. */
export const MAX_SELECTOR_VALUES = 500;

export interface FieldSelector {
  field: string;
  equals?: string[];
  notEquals?: string[];
  startsWiths?: string[];
}

export interface AdvancedEventSelector {
  name: string;
  fieldSelectors: FieldSelector[];
}

/**
 * Global service events (IAM, STS, CloudFront, console sign-in) happen in us-east-1 only: since
 * 22 November 2021 a single-Region trail outside us-east-1 no longer receives them; a multi-Region
 * trail (whatever its home Region) does when IncludeGlobalServiceEvents is on. (CloudTrail User
 * Guide, "Using the update-trail command" / "Enabling and disabling global service event logging".)
 */
export const GLOBAL_SERVICE_EVENTS_REGION = 'us-east-1';

export interface TrailPlan {
  /** The trail's own (home) Region: where it is created and updated. */
  region: string;
  arn: string;
  isMultiRegionTrail: boolean;
  /** True on exactly one trail of the plan, so global service events are recorded once. */
  includeGlobalServiceEvents: boolean;
  /**
   * Region of the CloudWatch Logs log group the trail delivers to: always the trail's own Region
   * (CloudTrail User Guide, "Sending events to CloudWatch Logs": "choose an existing log group in
   * the same region as the trail"; a multi-Region trail sends every Region's events to it).
   */
  logGroupRegion: string;
  /** Regions whose events the trail records: every Region for a multi-Region trail. */
  recordsRegions: 'all' | string[];
}

/**
 * One multi-region trail in the home region for 'all', else one single-Region trail per listed
 * Region. Global service events are recorded exactly once: by the multi-Region trail, or by the
 * us-east-1 trail (the only single-Region trail that still receives them); listed Regions
 * without us-east-1 are refused (request-rules.ts says so at PUT time).
 */
export function planTrails(
  request: Pick<ResolvedTrailRequest, 'homeRegion' | 'regions'>,
  arnOf: (region: string) => string,
): TrailPlan[] {
  if (request.regions === 'all') {
    return [
      {
        region: request.homeRegion,
        arn: arnOf(request.homeRegion),
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        logGroupRegion: request.homeRegion,
        recordsRegions: 'all',
      },
    ];
  }
  const regions = [...new Set(request.regions)];
  if (!regions.includes(request.homeRegion)) {
    // The key and bucket live in the home region; without a trail there, nobody records (or
    // alarms on) changes to them.
    throw new Error(`regions must include the home region ${request.homeRegion}`);
  }
  if (!regions.includes(GLOBAL_SERVICE_EVENTS_REGION)) {
    throw new Error(
      `regions must include ${GLOBAL_SERVICE_EVENTS_REGION}: global service events (IAM, STS, console sign-in) are recorded only there`,
    );
  }
  const plans = regions.map((region) => ({
    region,
    arn: arnOf(region),
    isMultiRegionTrail: false,
    includeGlobalServiceEvents: region === GLOBAL_SERVICE_EVENTS_REGION,
    logGroupRegion: region,
    recordsRegions: [region],
  }));
  const perRegion = new Map<string, number>();
  for (const p of plans) perRegion.set(p.region, (perRegion.get(p.region) ?? 0) + 1);
  for (const [region, n] of perRegion) {
    if (n > MAX_TRAILS_PER_REGION)
      throw new Error(`${n} trails in ${region}; CloudTrail allows ${MAX_TRAILS_PER_REGION}`);
  }
  return plans;
}

/** Regions that hold a log group, its alarms and alarm topic: the trails' own Regions. */
export function monitoredRegions(plans: TrailPlan[]): string[] {
  return [...new Set(plans.map((p) => p.logGroupRegion))];
}

function readOnlySelector(access: 'all' | 'read-only' | 'write-only'): FieldSelector[] {
  if (access === 'read-only') return [{ field: 'readOnly', equals: ['true'] }];
  if (access === 'write-only') return [{ field: 'readOnly', equals: ['false'] }];
  return [];
}

const DATA_RESOURCE_TYPE: Record<DataEventScope['kind'], string> = {
  's3-object': 'AWS::S3::Object',
  lambda: 'AWS::Lambda::Function',
  dynamodb: 'AWS::DynamoDB::Table',
};

/** A bucket ARN admits its objects (`bucket/`); a bucket/prefix ARN stays as given. */
function s3ObjectPrefix(arn: string): string {
  const afterColons = arn.split(':::')[1] ?? '';
  return afterColons.includes('/') ? arn : `${arn}/`;
}

function dataSelector(scope: DataEventScope, index: number): AdvancedEventSelector {
  const fields: FieldSelector[] = [
    { field: 'eventCategory', equals: ['Data'] },
    { field: 'resources.type', equals: [DATA_RESOURCE_TYPE[scope.kind]] },
  ];
  if (scope.resources !== 'all') {
    if (scope.kind === 's3-object') {
      fields.push({ field: 'resources.ARN', startsWiths: scope.resources.map(s3ObjectPrefix) });
    } else {
      const service = scope.kind === 'lambda' ? ':lambda:' : ':dynamodb:';
      const wrong = scope.resources.filter((r) => !r.includes(service));
      if (wrong.length) throw new Error(`data events of kind ${scope.kind} cannot name ${wrong.join(', ')}`);
      fields.push({ field: 'resources.ARN', equals: [...scope.resources] });
    }
  }
  fields.push(...readOnlySelector(scope.access ?? 'all'));
  return { name: `data-${index + 1}-${scope.kind}-${scope.access ?? 'all'}`, fieldSelectors: fields };
}

/**
 * Management events and data events as advanced selectors (basic and advanced selectors cannot
 * be mixed on one trail).
 */
export function advancedEventSelectors(
  request: Pick<ResolvedTrailRequest, 'managementEvents' | 'dataEvents'>,
): AdvancedEventSelector[] {
  const { read, write, excludedSources } = request.managementEvents;
  if (!read && !write) throw new Error('management events: at least one of read or write must be logged');
  const mgmt: FieldSelector[] = [{ field: 'eventCategory', equals: ['Management'] }];
  if (read !== write) mgmt.push({ field: 'readOnly', equals: [read ? 'true' : 'false'] });
  if (excludedSources.length) mgmt.push({ field: 'eventSource', notEquals: [...excludedSources] });
  const selectors = [
    { name: 'management-events', fieldSelectors: mgmt },
    ...request.dataEvents.map(dataSelector),
  ];
  const values = selectors
    .flatMap((s) => s.fieldSelectors)
    .reduce(
      (n, f) => n + (f.equals?.length ?? 0) + (f.notEquals?.length ?? 0) + (f.startsWiths?.length ?? 0),
      0,
    );
  if (values > MAX_SELECTOR_VALUES)
    throw new Error(
      `event selectors use ${values} values; CloudTrail allows ${MAX_SELECTOR_VALUES} per trail`,
    );
  return selectors;
}

export function insightSelectors(request: Pick<ResolvedTrailRequest, 'insights' | 'managementEvents'>) {
  if (request.insights.length > 0 && !request.managementEvents.write)
    throw new Error('Insights need write management events to be logged');
  return request.insights.map((insightType) => ({ insightType }));
}

export interface AccountTrailArgs {
  plan: TrailPlan;
  trailName: string;
  isOrganizationTrail: boolean;
  bucketName: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  cloudWatchLogsGroupArn: pulumi.Input<string>;
  cloudWatchLogsRoleArn: pulumi.Input<string>;
  advancedEventSelectors: AdvancedEventSelector[];
  insightSelectors: { insightType: string }[];
  /** What must exist before CloudTrail validates the trail: bucket policy, key policy, role policy. */
  dependsOn: pulumi.Resource[];
  provider: aws.Provider;
}

/** One trail; created with its region's provider. */
export class AccountTrail extends pulumi.ComponentResource {
  readonly trail: aws.cloudtrail.Trail;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: AccountTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AccountTrail', name, {}, opts);
    this.trail = new aws.cloudtrail.Trail(
      `${name}-trail`,
      {
        name: args.trailName,
        s3BucketName: args.bucketName,
        kmsKeyId: args.keyArn,
        enableLogging: true,
        enableLogFileValidation: true,
        isMultiRegionTrail: args.plan.isMultiRegionTrail,
        isOrganizationTrail: args.isOrganizationTrail,
        includeGlobalServiceEvents: args.plan.includeGlobalServiceEvents,
        cloudWatchLogsGroupArn: args.cloudWatchLogsGroupArn,
        cloudWatchLogsRoleArn: args.cloudWatchLogsRoleArn,
        advancedEventSelectors: args.advancedEventSelectors,
        insightSelectors: args.insightSelectors.length ? args.insightSelectors : undefined,
      },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.arn = this.trail.arn;
    this.registerOutputs({ trailArn: this.arn });
  }
}
