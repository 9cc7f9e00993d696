import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { AlarmTopic } from './alarm-topic.ts';
import { AlarmSet } from './alarms/alarm-set.ts';
import { CloudTrailAthena } from './athena.ts';
import { AuditKey } from './key.ts';
import { LogBucket } from './log-bucket.ts';
import { LogDelivery } from './log-delivery.ts';
import { MisconfigurationWatch } from './misconfiguration-watch.ts';
import { baselineNames, NAME_PREFIX } from './naming.ts';
import { assertBaselineRequest } from './request-rules.ts';
import {
  AccountTrail,
  advancedEventSelectors,
  insightSelectors,
  monitoredRegions,
  planTrails,
  type TrailPlan,
} from './trail.ts';

export interface AccountTrailBaselineArgs {
  accountId: string;
  request: ResolvedTrailRequest;
  /** Provider of the home region: key, bucket, log group, topic, alarms. */
  homeProvider: aws.Provider;
  /** Provider per trail region (the home region included). */
  regionalProviders: Record<string, aws.Provider>;
  /**
   * The organization's management account, which owns an organization trail (its ARN names that
   * account). Defaults to accountId: only the management account can create one.
   */
  managementAccountId?: string;
}

export interface AccountTrailBaselineOutputs {
  trailArns: pulumi.Output<Record<string, string>>;
  bucketName: pulumi.Output<string>;
  bucketArn: pulumi.Output<string>;
  keyArn: pulumi.Output<string>;
  /** The home Region's log group (name and ARN); every trail Region has one of the same name. */
  logGroupName: pulumi.Output<string>;
  logGroupArn: pulumi.Output<string>;
  /** Log group ARN per trail Region. */
  logGroupArns: pulumi.Output<Record<string, string>>;
  /** The home Region's alarm topic. */
  topicArn: pulumi.Output<string>;
  /** Alarm topic ARN per trail Region. */
  topicArns: pulumi.Output<Record<string, string>>;
  alarmNames: pulumi.Output<string[]>;
  eventRuleNames: pulumi.Output<string[]>;
  /** The alarm topic's subscriptions with pendingConfirmation, as the apply (with refresh) read them. */
  alarmSubscriptions: pulumi.Output<
    { protocol: string; endpoint: string; pendingConfirmation: boolean; region: string }[]
  >;
}

/** What one trail Region holds: its key (the home key at home), log group, topic and alarms. */
export interface RegionalMonitoring {
  region: string;
  key: AuditKey;
  delivery: LogDelivery;
  topic: AlarmTopic;
  alarmSet: AlarmSet;
}

/** The account's whole CloudTrail baseline. */
export class AccountTrailBaseline extends pulumi.ComponentResource {
  readonly key: AuditKey;
  readonly bucket: LogBucket;
  /** The home Region's delivery (it also holds the delivery role). */
  readonly delivery: LogDelivery;
  readonly trails: AccountTrail[];
  readonly plans: TrailPlan[];
  /** The home Region's topic and alarms. */
  readonly topic: AlarmTopic;
  readonly alarmSet: AlarmSet;
  /** One per trail Region, the home Region first. */
  readonly regions: RegionalMonitoring[];
  readonly watch: MisconfigurationWatch;
  readonly outputs: AccountTrailBaselineOutputs;

  constructor(name: string, args: AccountTrailBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AccountTrailBaseline', name, {}, { ...opts, providers: [args.homeProvider] });
    const { request, accountId } = args;
    assertBaselineRequest(accountId, request, args.managementAccountId);
    const owner = request.organizationTrail ? (args.managementAccountId ?? accountId) : accountId;
    const names = baselineNames(accountId, request, owner);
    const plans = planTrails(request, names.trailArn);
    this.plans = plans;
    const selectors = advancedEventSelectors(request);
    const insights = insightSelectors(request);
    const arns = plans.map((p) => p.arn);
    const home = request.homeRegion;
    const regions = [home, ...monitoredRegions(plans).filter((r) => r !== home)];
    const providerOf = (region: string) => {
      const provider = args.regionalProviders[region];
      if (!provider) throw new Error(`no provider for trail region ${region}`);
      return provider;
    };
    const organizationId = request.organizationTrail ? request.organizationId : undefined;

    this.key = new AuditKey(
      `${name}-key`,
      {
        accountId,
        partition: names.partition,
        homeRegion: home,
        trailArns: arns,
        logGroupArn: names.logGroupArn,
        securityReaders: request.securityReaders,
        alias: names.keyAlias,
        description: names.keyDescription,
      },
      { parent: this },
    );
    this.bucket = new LogBucket(
      `${name}-logs`,
      {
        bucketName: names.bucket,
        bucketArn: names.bucketArn,
        accountId,
        organizationId,
        trailArns: arns,
        keyArn: this.key.arn,
        retention: request.retention,
        objectLock: request.objectLock,
        accessLogBucket: request.accessLogBucket,
      },
      { parent: this },
    );

    // Each trail Region: a log group for its trail (CloudTrail requires the log group in the
    // trail's Region), and the alarms and topic on it. A filter's metric and its alarm live in
    // the log group's Region, and an EventBridge rule's targets must be in the rule's Region
    // (misconfiguration-watch.ts cites it). AWS states no such rule for an alarm's SNS action
    // (PutMetricAlarm lists arn:aws:sns:region:account-id:topic); one topic per Region is our
    // choice, so the rules and alarms of a Region share its topic, key and topic policy.
    this.regions = regions.map((region) => {
      const isHome = region === home;
      // Home resources keep the names they had when only the home Region was monitored.
      const suffix = isHome ? '' : `-${region}`;
      const provider = providerOf(region);
      const regional = { parent: this, providers: [provider] };
      const key = isHome
        ? this.key
        : new AuditKey(
            `${name}-key${suffix}`,
            {
              accountId,
              partition: names.partition,
              homeRegion: region,
              // Trails encrypt log files with the home key (the key must be in the bucket's Region).
              trailArns: [],
              logGroupArn: names.logGroupArnIn(region),
              securityReaders: [],
              alias: names.keyAlias,
              description: `${names.keyDescription} (${region}: CloudWatch Logs copy and alarm notifications)`,
            },
            regional,
          );
      const delivery = new LogDelivery(
        `${name}-delivery${suffix}`,
        {
          logGroupName: names.logGroup,
          retentionInDays: request.retention.cloudWatchLogsDays,
          keyArn: key.arn,
          role: isHome
            ? {
                accountId,
                organizationId,
                roleName: names.logDeliveryRole,
                rolePolicyName: names.logDeliveryPolicy,
                logGroupArns: regions.map((r) => names.logGroupArnIn(r)),
              }
            : undefined,
        },
        { ...regional, dependsOn: [key] },
      );
      const topic = new AlarmTopic(
        `${name}-alarm-topic${suffix}`,
        {
          topicName: names.topic,
          topicArn: names.topicArnIn(region),
          partition: names.partition,
          accountId,
          region,
          publisherNamePrefix: NAME_PREFIX,
          keyArn: key.arn,
          emails: request.alarms.notify.emails,
          https: request.alarms.notify.https,
        },
        { ...regional, dependsOn: [key] },
      );
      const alarmSet = new AlarmSet(
        `${name}-alarms${suffix}`,
        {
          setName: request.alarms.set,
          profile: request.alarms.profile,
          logGroupName: delivery.logGroup.name,
          topicArn: topic.arn,
          filterName: names.metricFilter,
          alarmName: names.alarm,
          insights: request.insights.length > 0,
        },
        { ...regional, dependsOn: [topic.policy] },
      );
      return { region, key, delivery, topic, alarmSet };
    });
    const homeRegional = this.regions[0]!;
    this.delivery = homeRegional.delivery;
    this.topic = homeRegional.topic;
    this.alarmSet = homeRegional.alarmSet;
    const role = this.delivery.role!;
    const rolePolicy = this.delivery.rolePolicy!;

    this.trails = plans.map((plan) => {
      const provider = providerOf(plan.region);
      const monitoring = this.regions.find((m) => m.region === plan.logGroupRegion)!;
      return new AccountTrail(
        `${name}-trail-${plan.region}`,
        {
          plan,
          trailName: names.trail,
          isOrganizationTrail: request.organizationTrail,
          bucketName: this.bucket.name,
          keyArn: this.key.arn,
          cloudWatchLogsGroupArn: monitoring.delivery.trailLogGroupArn,
          cloudWatchLogsRoleArn: role.arn,
          advancedEventSelectors: selectors,
          insightSelectors: insights,
          // CloudTrail checks the bucket policy, key policy and role when the trail is created.
          dependsOn: [this.bucket.policy, this.key.key, rolePolicy],
          provider,
        },
        { parent: this, providers: [provider] },
      );
    });
    this.watch = new MisconfigurationWatch(
      `${name}-watch`,
      {
        homeRegion: home,
        trailName: names.trail,
        trailArns: arns,
        bucketName: names.bucket,
        keyArn: this.key.arn,
        keyId: this.key.key.keyId,
        insights: request.insights.length > 0,
        ruleName: names.eventRule,
        regions: this.regions.map((m) => ({
          region: m.region,
          provider: providerOf(m.region),
          topicArn: m.topic.arn,
          dependsOn: [m.topic.policy],
        })),
      },
      { parent: this },
    );

    const byRegion = (values: pulumi.Output<string>[], keys: string[]) =>
      pulumi
        .all(values.map((v, i) => v.apply((x) => [keys[i]!, x] as const)))
        .apply((pairs) => Object.fromEntries(pairs) as Record<string, string>);
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

    this.outputs = {
      trailArns: byRegion(
        this.trails.map((t) => t.arn),
        plans.map((p) => p.region),
      ),
      bucketName: this.bucket.name,
      bucketArn: this.bucket.arn,
      keyArn: this.key.arn,
      logGroupName: this.delivery.logGroup.name,
      logGroupArn: this.delivery.logGroup.arn,
      logGroupArns: byRegion(
        this.regions.map((m) => m.delivery.logGroup.arn),
        regions,
      ),
      topicArn: this.topic.arn,
      topicArns: byRegion(
        this.regions.map((m) => m.topic.arn),
        regions,
      ),
      alarmNames: pulumi
        .all(this.regions.map((m) => m.alarmSet.alarmNames))
        .apply((lists) => [...new Set(lists.flat())]),
      eventRuleNames: this.watch.ruleNames.apply((n) => [...new Set(n)]),
      // Every trail Region has its own topic: each subscription says which Region's alarms it receives.
      alarmSubscriptions: pulumi
        .all(
          this.regions.map((m) =>
            m.topic.subscriptions.apply((subs) => subs.map((s) => ({ ...s, region: m.region }))),
          ),
        )
        .apply((lists) => lists.flat()),
    };
    this.registerOutputs({ ...this.outputs });
  }
}
