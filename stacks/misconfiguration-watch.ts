import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { eventsAssumeRolePolicy, eventsForwardPolicy } from './policies.ts';

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
  /** Whether the events can originate in a trail region other than the home region. */
  regional: boolean;
}

const API_CALL = 'AWS API Call via CloudTrail';

/** EventBridge patterns for the changes that would blind the trail. */
export function watchRules(t: WatchTargets): WatchRule[] {
  const trailRefs = [t.trailName, ...t.trailArns];
  const rules: WatchRule[] = [
    {
      id: 'trail-tampering',
      description: 'The Trailwarden trail was stopped, deleted or had its configuration or selectors changed',
      regional: true,
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
      regional: false,
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
      regional: false,
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
      regional: true,
      pattern: { source: ['aws.cloudtrail'], 'detail-type': ['AWS Insight via CloudTrail'] },
    });
  }
  return rules;
}

export interface MisconfigurationWatchArgs {
  partition: string;
  accountId: string;
  homeRegion: string;
  trailName: string;
  trailArns: string[];
  bucketName: string;
  keyArn: pulumi.Input<string>;
  keyId: pulumi.Input<string>;
  insights: boolean;
  topicArn: pulumi.Input<string>;
  ruleName: (id: string) => string;
  forwardRoleName: string;
  /** Providers of trail regions other than the home region: their events are forwarded home. */
  forwardFrom: Record<string, aws.Provider>;
}

/** Rules in the home region notify the topic; other trail regions forward to the home event bus. */
export class MisconfigurationWatch extends pulumi.ComponentResource {
  readonly rules: aws.cloudwatch.EventRule[] = [];
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

    for (const rule of shape) {
      const eventRule = new aws.cloudwatch.EventRule(
        `${name}-${rule.id}`,
        { name: args.ruleName(rule.id), description: rule.description, eventPattern: patternOf(rule.id) },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${rule.id}-to-topic`,
        { rule: eventRule.name, arn: args.topicArn, targetId: 'alarm-topic' },
        { parent: this },
      );
      this.rules.push(eventRule);
    }

    const forwardRegions = Object.keys(args.forwardFrom).filter((r) => r !== args.homeRegion);
    if (forwardRegions.length > 0) {
      const homeBusArn = `arn:${args.partition}:events:${args.homeRegion}:${args.accountId}:event-bus/default`;
      const role = new aws.iam.Role(
        `${name}-forward-role`,
        {
          name: args.forwardRoleName,
          description: 'EventBridge forwards trail events of other regions to the home region bus',
          assumeRolePolicy: JSON.stringify(eventsAssumeRolePolicy({ accountId: args.accountId })),
        },
        { parent: this },
      );
      const rolePolicy = new aws.iam.RolePolicy(
        `${name}-forward-role-policy`,
        {
          role: role.id,
          name: 'put-events-home-bus',
          policy: JSON.stringify(eventsForwardPolicy({ homeBusArn })),
        },
        { parent: this },
      );
      for (const region of forwardRegions) {
        const provider = args.forwardFrom[region]!;
        for (const rule of shape.filter((r) => r.regional)) {
          const eventRule = new aws.cloudwatch.EventRule(
            `${name}-${rule.id}-${region}`,
            {
              name: args.ruleName(rule.id),
              description: `${rule.description} (${region}, forwarded to ${args.homeRegion})`,
              eventPattern: patternOf(rule.id),
            },
            { parent: this, provider },
          );
          new aws.cloudwatch.EventTarget(
            `${name}-${rule.id}-${region}-to-home`,
            { rule: eventRule.name, arn: homeBusArn, roleArn: role.arn, targetId: 'home-event-bus' },
            { parent: this, provider, dependsOn: [rolePolicy] },
          );
          this.rules.push(eventRule);
        }
      }
    }
    this.ruleNames = pulumi.all(this.rules.map((r) => r.name));
    this.registerOutputs({ eventRuleNames: this.ruleNames });
  }
}
