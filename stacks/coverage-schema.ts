// The coverage report's schema, beside the code that computes it (coverage.ts): the API shows it
// (GET /v1/accounts/{id}/coverage, and in every preview operation) through stacks/public.ts.
import { Type } from 'typebox';
import { COVERAGE_STATUSES } from './coverage.ts';

const Status = Type.Enum(COVERAGE_STATUSES, {
  description:
    'covered: the events reach the alarm (or the control passes); blind: an option of the request loses them (see gaps/reasons); ' +
    'not-applicable: the chosen alarm set has no alarm for the control',
});

const Regions = Type.Union([Type.Literal('all'), Type.Array(Type.String())]);

export const CoverageGapSchema = Type.Object(
  {
    option: Type.String({ description: 'JSON pointer of the request option that loses the events' }),
    lost: Type.String({ description: 'Which events are lost' }),
    loses: Type.Object(
      {
        readOnly: Type.Optional(Type.Boolean()),
        eventSource: Type.Optional(Type.String()),
        globalServiceEvents: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const CoverageReportSchema = Type.Object(
  {
    alarmSet: Type.String(),
    regions: Regions,
    globalServiceEvents: Type.Boolean({
      description: 'Some trail records the global service events (IAM, STS, console sign-in; us-east-1 only)',
    }),
    entries: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          title: Type.String(),
          status: Type.Enum(['covered', 'blind'] as const),
          regions: Regions,
          gaps: Type.Array(CoverageGapSchema),
          acknowledged: Type.Boolean({ description: 'Listed in the request’s acknowledgedGaps' }),
        },
        { additionalProperties: false },
      ),
      { description: 'Each alarm of the chosen set' },
    ),
    controls: Type.Array(
      Type.Object(
        {
          id: Type.String({ examples: ['CloudTrail.1', 'CloudWatch.7'] }),
          title: Type.String(),
          status: Status,
          reasons: Type.Array(Type.String()),
          entryId: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
      { description: 'Security Hub controls CloudTrail.1-7 and CloudWatch.1-14' },
    ),
    delivery: Type.Object(
      {
        status: Type.Enum(['confirmed', 'unconfirmed', 'unknown'] as const, {
          description:
            "confirmed: every trail Region's alarm topic has a confirmed subscription; unconfirmed: some topic has none (nobody receives those alarms); unknown: not applied yet",
        }),
        reason: Type.String(),
        subscriptions: Type.Array(
          Type.Object(
            {
              protocol: Type.String(),
              endpoint: Type.Optional(Type.String()),
              pendingConfirmation: Type.Boolean(),
              region: Type.Optional(Type.String({ description: 'Region of the alarm topic' })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    unacknowledgedGaps: Type.Array(Type.String(), {
      description: 'Blind alarms the request does not acknowledge (a PUT with them is refused)',
    }),
    warnings: Type.Array(Type.String(), { description: 'Acknowledged gaps and undelivered alarms, to show' }),
  },
  { additionalProperties: false, title: 'CoverageReport' },
);
