// CloudWatch Logs: log groups and metric filters.
import { str, T } from '../core.ts';
import { all, oneOf, type ResourceSpec } from './spec.ts';

const RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const LOGS: ResourceSpec[] = [
  {
    token: T.logGroup,
    label: 'CloudWatch Logs Log Group',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'logGroupClass', 'region'],
    defaults: { retentionInDays: 0, skipDestroy: false },
    jsonProps: [],
    tags: true,
    validate: all(
      oneOf('retentionInDays', RETENTION_DAYS),
      oneOf('logGroupClass', ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']),
    ),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${id}`,
      logGroupClass: i.logGroupClass ?? 'STANDARD',
      kmsKeyId: i.kmsKeyId ?? '',
      deletionProtectionEnabled: i.deletionProtectionEnabled ?? false,
    }),
  },
  {
    token: T.metricFilter,
    label: 'CloudWatch Logs Metric Filter',
    required: ['logGroupName', 'metricTransformation', 'pattern'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'logGroupName', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    validate: (i) => {
      const v = str(i.name);
      return v !== undefined && (v.length < 1 || v.length > 512 || /[:*]/.test(v))
        ? [
            {
              property: 'name',
              reason: `invalid CloudWatch Logs metric filter name ${JSON.stringify(v)}: 1 to 512 characters, no : or *`,
            },
          ]
        : [];
    },
    id: (i) => String(i.name),
  },
];
