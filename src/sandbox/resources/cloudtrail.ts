// CloudTrail: trails.
import { str, T } from '../core.ts';
import type { ResourceSpec } from './spec.ts';

export const CLOUDTRAIL: ResourceSpec[] = [
  {
    token: T.trail,
    label: 'CloudTrail Trail',
    required: ['s3BucketName'],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: {
      enableLogging: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: false,
      isOrganizationTrail: false,
      enableLogFileValidation: false,
    },
    jsonProps: [],
    tags: true,
    id: (i, ctx) => `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${i.name}`,
    outputs: (i, id, ctx) => {
      const sns = str(i.snsTopicName);
      return {
        arn: id,
        homeRegion: ctx.region,
        snsTopicArn: sns
          ? sns.startsWith('arn:')
            ? sns
            : `arn:aws:sns:${ctx.region}:${ctx.accountId}:${sns}`
          : undefined,
      };
    },
  },
];
