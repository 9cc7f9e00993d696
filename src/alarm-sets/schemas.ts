// The alarm-sets API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { sharedRef } from '../schema-ref.ts';

export const AlarmSetSchema = Type.Object(
  {
    name: Type.String({ description: 'The value for alarms.set in a trail request' }),
    description: Type.String(),
    profiles: Type.Optional(
      Type.Array(Type.String(), { description: 'The values alarms.profile of a trail request accepts' }),
    ),
    defaultProfile: Type.Optional(Type.String({ description: 'The profile a request gets by default' })),
    entries: Type.Array(
      Type.Object({
        id: Type.String({ description: 'Stable id of the entry' }),
        title: Type.String(),
        description: Type.String(),
        patterns: Type.Optional(
          Type.Record(Type.String(), Type.String(), {
            description: 'The CloudWatch Logs filter pattern in each pattern profile',
          }),
        ),
        controls: Type.Optional(
          Type.Object(
            {
              cis: Type.Array(Type.String(), {
                description: "CIS AWS Foundations Benchmark recommendations, e.g. 'CIS v1.4.0 4.3'",
              }),
              securityHub: Type.Array(Type.String(), {
                description: "Security Hub controls that check this exact pattern, e.g. 'CloudWatch.1'",
              }),
            },
            { description: 'The controls the entry implements' },
          ),
        ),
      }),
      { description: 'The alarms (metric filter + alarm) the set creates' },
    ),
  },
  { $id: 'AlarmSet', title: 'AlarmSet' },
);

export const AlarmSetList = Type.Object({ items: Type.Array(sharedRef(AlarmSetSchema)) });
