// The coverage API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { CoverageReportSchema } from '../../stacks/public.ts';

export const AccountCoverageSchema = Type.Object(
  {
    accountId: Type.String(),
    specVersion: Type.Integer({ minimum: 1 }),
    deliveryReadFrom: Type.Union(
      [
        Type.Object(
          {
            source: Type.Enum(['drift-check', 'apply'] as const),
            at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: "Where the alarm topic's subscription states were read; null when never applied" },
    ),
    ...CoverageReportSchema.properties,
  },
  { additionalProperties: false, $id: 'AccountCoverage', title: 'AccountCoverage' },
);
