import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { AlarmSet } from './alarms/alarm-set.ts';
import { AlarmTopic } from './alarms/alarm-topic.ts';
import { CloudTrailAthena } from './athena.ts';
import { AuditKey } from './key.ts';
import { LogBucket } from './log-bucket.ts';
import { LogDelivery } from './log-delivery.ts';
import { MisconfigurationWatch } from './misconfiguration-watch.ts';
import { baselineNames, NAME_PREFIX } from './naming.ts';
import { assertBaselineRequest } from './request-rules.ts';
import { AccountTrail, advancedEventSelectors, insightSelectors, planTrails } from './trail.ts';

export interface AccountTrailBaselineArgs {
  accountId: string;
  request: ResolvedTrailRequest;
  /** Provider of the home region: key, bucket, log group, topic, alarms. */
  homeProvider: aws.Provider;
  /** Provider per trail region (the home region included). */
  regionalProviders: Record<string, aws.Provider>;
}

export interface AccountTrailBaselineOutputs {
  trailArns: pulumi.Output<Record<string, string>>;
  bucketName: pulumi.Output<string>;
  bucketArn: pulumi.Output<string>;
  keyArn: pulumi.Output<string>;
  logGroupName: pulumi.Output<string>;
  logGroupArn: pulumi.Output<string>;
  topicArn: pulumi.Output<string>;
  alarmNames: pulumi.Output<string[]>;
  eventRuleNames: pulumi.Output<string[]>;
}

/** The account's whole CloudTrail baseline. */
export class AccountTrailBaseline extends pulumi.ComponentResource {
  readonly key: AuditKey;
  readonly bucket: LogBucket;
  readonly delivery: LogDelivery;
  readonly trails: AccountTrail[];
  readonly topic: AlarmTopic;
  readonly alarmSet: AlarmSet;
  readonly watch: MisconfigurationWatch;
  readonly outputs: AccountTrailBaselineOutputs;

  constructor(name: string, args: AccountTrailBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AccountTrailBaseline', name, {}, { ...opts, providers: [args.homeProvider] });
    const { request, accountId } = args;
    assertBaselineRequest(accountId, request);
    const names = baselineNames(accountId, request);
    const plans = planTrails(request, names.trailArn);
    const selectors = advancedEventSelectors(request);
    const insights = insightSelectors(request);
    const arns = plans.map((p) => p.arn);
    const home = { parent: this };

    this.key = new AuditKey(
      `${name}-key`,
      {
        accountId,
        partition: names.partition,
        homeRegion: request.homeRegion,
        trailArns: arns,
        logGroupArn: names.logGroupArn,
        securityReaders: request.securityReaders,
        alias: names.keyAlias,
        description: names.keyDescription,
      },
      home,
    );
    this.bucket = new LogBucket(
      `${name}-logs`,
      {
        bucketName: names.bucket,
        bucketArn: names.bucketArn,
        accountId,
        organizationId: request.organizationTrail ? request.organizationId : undefined,
        trailArns: arns,
        keyArn: this.key.arn,
        retention: request.retention,
        objectLock: request.objectLock,
        accessLogBucket: request.accessLogBucket,
      },
      home,
    );
    this.delivery = new LogDelivery(
      `${name}-delivery`,
      {
        accountId,
        logGroupName: names.logGroup,
        logGroupArn: names.logGroupArn,
        retentionInDays: request.retention.cloudWatchLogsDays,
        keyArn: this.key.arn,
        roleName: names.logDeliveryRole,
        rolePolicyName: names.logDeliveryPolicy,
        trailArns: arns,
      },
      { parent: this, dependsOn: [this.key] },
    );
    this.trails = plans.map((plan) => {
      const provider = args.regionalProviders[plan.region];
      if (!provider) throw new Error(`no provider for trail region ${plan.region}`);
      return new AccountTrail(
        `${name}-trail-${plan.region}`,
        {
          plan,
          trailName: names.trail,
          isOrganizationTrail: request.organizationTrail,
          bucketName: this.bucket.name,
          keyArn: this.key.arn,
          cloudWatchLogsGroupArn: this.delivery.trailLogGroupArn,
          cloudWatchLogsRoleArn: this.delivery.role.arn,
          advancedEventSelectors: selectors,
          insightSelectors: insights,
          // CloudTrail checks the bucket policy, key policy and role when the trail is created.
          dependsOn: [this.bucket.policy, this.key.key, this.delivery.rolePolicy],
          provider,
        },
        { parent: this, providers: [provider] },
      );
    });
    this.topic = new AlarmTopic(
      `${name}-alarm-topic`,
      {
        topicName: names.topic,
        topicArn: names.topicArn,
        partition: names.partition,
        accountId,
        region: request.homeRegion,
        publisherNamePrefix: NAME_PREFIX,
        keyArn: this.key.arn,
        emails: request.alarms.notify.emails,
        https: request.alarms.notify.https,
      },
      { parent: this, dependsOn: [this.key] },
    );
    this.alarmSet = new AlarmSet(
      `${name}-alarms`,
      {
        setName: request.alarms.set,
        logGroupName: this.delivery.logGroup.name,
        topicArn: this.topic.arn,
        filterName: names.metricFilter,
        alarmName: names.alarm,
      },
      { parent: this, dependsOn: [this.topic.policy] },
    );
    const forwardFrom: Record<string, aws.Provider> = {};
    for (const plan of plans) {
      if (plan.region !== request.homeRegion) forwardFrom[plan.region] = args.regionalProviders[plan.region]!;
    }
    this.watch = new MisconfigurationWatch(
      `${name}-watch`,
      {
        partition: names.partition,
        accountId,
        homeRegion: request.homeRegion,
        trailName: names.trail,
        trailArns: arns,
        bucketName: names.bucket,
        keyArn: this.key.arn,
        keyId: this.key.key.keyId,
        insights: request.insights.length > 0,
        topicArn: this.topic.arn,
        ruleName: names.eventRule,
        forwardRoleName: names.eventForwardRole,
        forwardFrom,
      },
      { parent: this, dependsOn: [this.topic.policy] },
    );

    // Optional Athena access to the log bucket (issue 10): SQL over the logs CloudWatch Logs no
    // longer keeps. The home region: where the bucket and the key are.
    if (request.athena?.enabled) {
      new CloudTrailAthena(
        `${name}-athena`,
        {
          accountId,
          partition: names.partition,
          region: request.homeRegion,
          bucketName: this.bucket.name,
          keyArn: this.key.arn,
          regions: request.regions,
          organizationId: request.organizationTrail ? request.organizationId : undefined,
        },
        { parent: this, dependsOn: [this.key] },
      );
    }

    const trailArns = pulumi
      .all(this.trails.map((t, i) => t.arn.apply((arn) => [plans[i]!.region, arn] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.outputs = {
      trailArns,
      bucketName: this.bucket.name,
      bucketArn: this.bucket.arn,
      keyArn: this.key.arn,
      logGroupName: this.delivery.logGroup.name,
      logGroupArn: this.delivery.logGroup.arn,
      topicArn: this.topic.arn,
      alarmNames: this.alarmSet.alarmNames,
      eventRuleNames: this.watch.ruleNames,
    };
    this.registerOutputs({ ...this.outputs });
  }
}
