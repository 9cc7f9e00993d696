// GET /v1/accounts/{id}/coverage: which Security Hub controls and alarms the stored spec covers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CoverageReportSchema, coverageReport } from '../../stacks/public.ts';
import { problemResponses, ValidationFailedError } from '../errors.ts';
import { sharedRef } from '../schema-ref.ts';
import { InvalidTrailRequestError, resolveTrailRequest } from '../trail-request/resolve.ts';
import { AccountParams, TrailRequestSchema } from '../trail-request/schema.ts';
import { AccountCoverageSchema } from './schemas.ts';
import type { CoverageService } from './service.ts';

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

  app.post(
    '/v1/coverage-reports',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['trail-requests'],
        summary: 'What a trail request would cover, before it is stored (nothing is saved)',
        description:
          'The coverage report of the request in the body, defaults applied: the form shows it before a preview. ' +
          'Delivery is unknown here (nothing is applied); PUT refuses the request when unacknowledgedGaps is not empty.',
        body: sharedRef(TrailRequestSchema),
        response: { 200: CoverageReportSchema, ...problemResponses(400) },
      },
    },
    async (req) => {
      try {
        return coverageReport(resolveTrailRequest(req.body));
      } catch (err) {
        if (err instanceof InvalidTrailRequestError) throw new ValidationFailedError(err.issues);
        throw err;
      }
    },
  );
};
