import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_PATTERN_PROFILE, filterPatternOf, getAlarmSet, type PatternProfile } from './catalog.ts';

export interface AlarmSetArgs {
  setName: string;
  /** Wording of the filter patterns (securityhub by default). */
  profile?: PatternProfile;
  logGroupName: pulumi.Input<string>;
  topicArn: pulumi.Input<string>;
  filterName: (setName: string, entryId: string) => string;
  alarmName: (setName: string, entryId: string) => string;
  /** Also alarm on CloudTrail Insights events reaching the log group. */
  insights?: boolean;
}

/**
 * Insights events also reach the trail's log group ("Sending events to CloudWatch Logs": CloudTrail
 * sends data, Insights and management events), so a multi-Region trail's Insights from every
 * Region are caught here although EventBridge only sees each in its own Region.
 */
export const INSIGHTS_PATTERN =
  '{ ($.eventType = "AwsCloudTrailInsight") && ($.insightDetails.state = "Start") }';

/** One metric filter and one alarm per catalog entry of the chosen set, on one log group. */
export class AlarmSet extends pulumi.ComponentResource {
  readonly filters: aws.cloudwatch.LogMetricFilter[] = [];
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly alarmNames: pulumi.Output<string[]>;

  constructor(name: string, args: AlarmSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AlarmSet', name, {}, opts);
    const set = getAlarmSet(args.setName);
    for (const entry of set.entries) {
      const filter = new aws.cloudwatch.LogMetricFilter(
        `${name}-${entry.id}-filter`,
        {
          name: args.filterName(set.name, entry.id),
          logGroupName: args.logGroupName,
          pattern: filterPatternOf(entry, args.profile ?? DEFAULT_PATTERN_PROFILE),
          metricTransformation: { name: entry.metricName, namespace: entry.namespace, value: '1' },
        },
        { parent: this },
      );
      const alarm = new aws.cloudwatch.MetricAlarm(
        `${name}-${entry.id}-alarm`,
        {
          name: args.alarmName(set.name, entry.id),
          alarmDescription: `${entry.title}${entry.reference ? ` (${entry.reference})` : ''}: ${entry.description}`,
          namespace: entry.namespace,
          metricName: entry.metricName,
          statistic: entry.statistic,
          period: entry.period,
          evaluationPeriods: entry.evaluationPeriods,
          threshold: entry.threshold,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          // No matching events means no data points: that is the quiet state, not an alarm.
          treatMissingData: 'notBreaching',
          actionsEnabled: true,
          alarmActions: [args.topicArn],
        },
        { parent: this, dependsOn: [filter] },
      );
      this.filters.push(filter);
      this.alarms.push(alarm);
    }
    if (args.insights) {
      const filter = new aws.cloudwatch.LogMetricFilter(
        `${name}-insights-filter`,
        {
          name: args.filterName('cloudtrail', 'insights'),
          logGroupName: args.logGroupName,
          pattern: INSIGHTS_PATTERN,
          metricTransformation: { name: 'InsightsEventCount', namespace: 'Trailwarden', value: '1' },
        },
        { parent: this },
      );
      const alarm = new aws.cloudwatch.MetricAlarm(
        `${name}-insights-alarm`,
        {
          name: args.alarmName('cloudtrail', 'insights'),
          alarmDescription: 'CloudTrail Insights detected unusual API call or error rates',
          namespace: 'Trailwarden',
          metricName: 'InsightsEventCount',
          statistic: 'Sum',
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching',
          actionsEnabled: true,
          alarmActions: [args.topicArn],
        },
        { parent: this, dependsOn: [filter] },
      );
      this.filters.push(filter);
      this.alarms.push(alarm);
    }
    this.alarmNames = pulumi.all(this.alarms.map((a) => a.name));
    this.registerOutputs({ alarmNames: this.alarmNames });
  }
}
