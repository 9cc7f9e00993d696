import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { getAlarmSet } from './catalog.ts';

export interface AlarmSetArgs {
  setName: string;
  logGroupName: pulumi.Input<string>;
  topicArn: pulumi.Input<string>;
  filterName: (setName: string, entryId: string) => string;
  alarmName: (setName: string, entryId: string) => string;
}

/** One metric filter and one alarm per catalog entry of the chosen set. */
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
          pattern: entry.filterPattern,
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
    this.alarmNames = pulumi.all(this.alarms.map((a) => a.name));
    this.registerOutputs({ alarmNames: this.alarmNames });
  }
}
