// CloudWatch: metric alarms.
import { str } from '../core.ts';
import { all, oneOf, type ResourceSpec } from './spec.ts';

export const CLOUDWATCH: ResourceSpec[] = [
  {
    token: 'aws:cloudwatch/metricAlarm:MetricAlarm',
    label: 'CloudWatch Metric Alarm',
    required: ['comparisonOperator', 'evaluationPeriods'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: { actionsEnabled: true, treatMissingData: 'missing' },
    jsonProps: [],
    tags: true,
    validate: all(
      (i) => {
        const v = str(i.name);
        return v !== undefined && (v.length < 1 || v.length > 255)
          ? [
              {
                property: 'name',
                reason: `invalid CloudWatch alarm name ${JSON.stringify(v)}: must be 1 to 255 characters long`,
              },
            ]
          : [];
      },
      oneOf('comparisonOperator', [
        'GreaterThanOrEqualToThreshold',
        'GreaterThanThreshold',
        'LessThanThreshold',
        'LessThanOrEqualToThreshold',
        'LessThanLowerOrGreaterThanUpperThreshold',
        'LessThanLowerThreshold',
        'GreaterThanUpperThreshold',
      ]),
      oneOf('treatMissingData', ['missing', 'ignore', 'breaching', 'notBreaching']),
    ),
    id: (i) => String(i.name),
    outputs: (_i, id, ctx) => ({ arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${id}` }),
  },
];
