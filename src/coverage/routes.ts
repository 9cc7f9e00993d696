// GET /v1/accounts/{id}/coverage: which Security Hub controls and alarms the stored spec covers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams } from '../accounts/schemas.ts';
import { problemResponses } from '../errors.ts';
import { CoverageReportSchema } from './schemas.ts';
import type { CoverageService } from './service.ts';

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

export const coverageRoutes: FastifyPluginAsyncTypebox<{ coverage: CoverageService }> = async (
  app,
  { coverage },
) => {
  app.get(
    '/v1/accounts/:accountId/coverage',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'Which Security Hub controls and alarms the stored trail request covers',
        description:
          'For each Security Hub control CloudTrail.1-7 and CloudWatch.1-14 and each alarm of the chosen set: ' +
          'covered, blind (with the option that loses which events) or not-applicable. Once the account is ' +
          "applied, delivery says whether anybody receives the alarms (the alarm topic's subscriptions, from " +
          'the latest drift check or apply).',
        params: AccountParams,
        response: { 200: AccountCoverageSchema, ...problemResponses(404) },
      },
    },
    async (req) => coverage.forAccount(req.params.accountId),
  );
};
