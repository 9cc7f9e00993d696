import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface WatchTargets {
  trailName: string;
  trailArns: string[];
  bucketName: string;
  keyArn: string;
  keyId: string;
  insights: boolean;
}

export interface WatchRule {
  id: string;
  description: string;
  pattern: Record<string, unknown>;
  /**
   * Where the events happen. EventBridge is regional and receives a CloudTrail-recorded call in
   * the Region where it was made: 'trail-regions' events (calls on a trail, Insights) happen in
   * each trail's own Region (a trail is only updated or stopped from its home Region: CloudTrail
   * User Guide, "Using the update-trail command"); 'home' events concern the key and bucket, which
   * live in the home Region.
   */
  where: 'trail-regions' | 'home';
}

const API_CALL = 'AWS API Call via CloudTrail';

/** EventBridge patterns for the changes that would blind the trail. */
export function watchRules(t: WatchTargets): WatchRule[] {
  const trailRefs = [t.trailName, ...t.trailArns];
  const rules: WatchRule[] = [
    {
      id: 'trail-tampering',
      description: 'The Trailwarden trail was stopped, deleted or had its configuration or selectors changed',
      where: 'trail-regions',
      pattern: {
        source: ['aws.cloudtrail'],
        'detail-type': [API_CALL],
        detail: {
          eventSource: ['cloudtrail.amazonaws.com'],
          eventName: [
            'StopLogging',
            'DeleteTrail',
            'UpdateTrail',
            'PutEventSelectors',
            'PutInsightSelectors',
          ],
          // StopLogging/DeleteTrail/UpdateTrail name the trail in `name`, the selector calls in `trailName`.
          $or: [{ requestParameters: { name: trailRefs } }, { requestParameters: { trailName: trailRefs } }],
        },
      },
    },
    {
      id: 'log-bucket-tampering',
      description:
        'The policy, lifecycle, encryption, versioning, ownership or public access block of the log bucket changed',
      where: 'home',
      pattern: {
        source: ['aws.s3'],
        'detail-type': [API_CALL],
        detail: {
          eventSource: ['s3.amazonaws.com'],
          eventName: [
            'PutBucketPolicy',
            'DeleteBucketPolicy',
            'PutBucketLifecycle',
            'DeleteBucketLifecycle',
            'PutBucketEncryption',
            'DeleteBucketEncryption',
            'PutBucketVersioning',
            'PutBucketAcl',
            'PutBucketOwnershipControls',
            'DeleteBucketOwnershipControls',
            'PutBucketPublicAccessBlock',
            'DeleteBucketPublicAccessBlock',
            'PutObjectLockConfiguration',
            'PutBucketLogging',
            'DeleteBucket',
          ],
          requestParameters: { bucketName: [t.bucketName] },
        },
      },
    },
    {
      id: 'key-tampering',
      description:
        'The key encrypting the logs was disabled, scheduled for deletion or had its policy or rotation changed',
      where: 'home',
      pattern: {
        source: ['aws.kms'],
        'detail-type': [API_CALL],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'DisableKeyRotation'],
          // keyId may be the key id or its ARN; `resources` carries the ARN either way.
          $or: [{ resources: { ARN: [t.keyArn] } }, { requestParameters: { keyId: [t.keyId, t.keyArn] } }],
        },
      },
    },
  ];
  if (t.insights) {
    rules.push({
      id: 'insights',
      description: 'CloudTrail Insights detected unusual API activity',
      where: 'trail-regions',
      pattern: { source: ['aws.cloudtrail'], 'detail-type': ['AWS Insight via CloudTrail'] },
    });
  }
  return rules;
}

/** The watch rule ids a Region gets: the home Region all, other trail Regions the regional ones. */
export function watchRuleIdsFor(region: string, homeRegion: string, rules: WatchRule[]): string[] {
  return rules.filter((r) => region === homeRegion || r.where === 'trail-regions').map((r) => r.id);
}

export interface WatchRegion {
  region: string;
  provider: aws.Provider;
  /**
   * The alarm topic of that Region: "The targets you associate with a rule must be in the same
   * Region as the rule" (AWS Knowledge Center, "Why isn't my Amazon SNS topic receiving
   * EventBridge notifications?").
   */
  topicArn: pulumi.Input<string>;
  /** Resources the rules there must wait for (the topic policy that lets EventBridge publish). */
  dependsOn: pulumi.Resource[];
}

export interface MisconfigurationWatchArgs {
  homeRegion: string;
  trailName: string;
  trailArns: string[];
  bucketName: string;
  keyArn: pulumi.Input<string>;
  keyId: pulumi.Input<string>;
  insights: boolean;
  ruleName: (id: string) => string;
  /** Every trail Region (the home Region included), each notifying its own topic. */
  regions: WatchRegion[];
}

/** In each trail Region, the rules for the events that happen there, notifying that Region's topic. */
export class MisconfigurationWatch extends pulumi.ComponentResource {
  readonly rules: aws.cloudwatch.EventRule[] = [];
  /** Region of each rule, in the order of `rules`. */
  readonly ruleRegions: string[] = [];
  readonly ruleNames: pulumi.Output<string[]>;

  constructor(name: string, args: MisconfigurationWatchArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:MisconfigurationWatch', name, {}, opts);
    // The rule list does not depend on the key's values, only the patterns do.
    const shape = watchRules({ ...args, keyArn: '', keyId: '' });
    const patternOf = (id: string) =>
      pulumi.all([args.keyArn, args.keyId]).apply(([keyArn, keyId]) => {
        const rule = watchRules({ ...args, keyArn, keyId }).find((r) => r.id === id)!;
        return JSON.stringify(rule.pattern);
      });

    for (const where of args.regions) {
      const home = where.region === args.homeRegion;
      // Home resources keep their names from before rules existed in other Regions.
      const suffix = home ? '' : `-${where.region}`;
      for (const id of watchRuleIdsFor(where.region, args.homeRegion, shape)) {
        const rule = shape.find((r) => r.id === id)!;
        const eventRule = new aws.cloudwatch.EventRule(
          `${name}-${rule.id}${suffix}`,
          {
            name: args.ruleName(rule.id),
            description: home ? rule.description : `${rule.description} (${where.region})`,
            eventPattern: patternOf(rule.id),
          },
          { parent: this, provider: where.provider },
        );
        // No roleArn: the topic policy admits the rule (EventBridge User Guide, "Using
        // resource-based policies for Amazon EventBridge", Amazon SNS permissions). Versions of
        // that page warn that a RoleArn on such targets may make delivery fail, "particularly for
        // Amazon SQS and Amazon SNS targets with AWS KMS encryption enabled".
        new aws.cloudwatch.EventTarget(
          `${name}-${rule.id}${suffix}-to-topic`,
          { rule: eventRule.name, arn: where.topicArn, targetId: 'alarm-topic' },
          { parent: this, provider: where.provider, dependsOn: where.dependsOn },
        );
        this.rules.push(eventRule);
        this.ruleRegions.push(where.region);
      }
    }
    this.ruleNames = pulumi.all(this.rules.map((r) => r.name));
    this.registerOutputs({ eventRuleNames: this.ruleNames });
  }
}
