// Drift: checks (operations), an account's report history, the fleet view and remediation policies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AccountParams, DriftSeveritySchema } from '../accounts/schemas.ts';
import { problemResponses } from '../errors.ts';
import { CursorSchema, NextCursorSchema } from '../openapi/cursor.ts';
import { acceptedOperation, OperationAccepted, WaitQuery } from '../operations/schemas.ts';
import type { OperationService } from '../operations/service.ts';
import { REMEDIATION_POLICIES } from '../store/types.ts';
import { DriftCounts, DriftReport } from './report.ts';
import type { DriftService } from './service.ts';

export const StoredDriftReportSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Id of the stored report' }),
    ...DriftReport.properties,
  },
  {
    additionalProperties: false,
    $id: 'StoredDriftReport',
    title: 'StoredDriftReport',
    description:
      'A drift report as stored after a drift check: resources deleted or changed out of band, each changed ' +
      'property with the recorded (expected) and the read (actual) value, and severities from the severity table',
  },
);

export const RemediationPolicySchema = Type.Enum(REMEDIATION_POLICIES, {
  description:
    'report: drift is reported, never changed (default); remediate: a reconciliation that finds drift applies ' +
    'the desired spec, then checks again; remediate-critical: only when the report severity is critical',
});

const RemediationPolicyBody = Type.Object(
  { policy: RemediationPolicySchema },
  { additionalProperties: false },
);
const RemediationPolicyState = Type.Object({ accountId: Type.String(), policy: RemediationPolicySchema });

const HistoryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(CursorSchema),
  },
  { additionalProperties: false },
);

const FleetDriftSchema = Type.Object(
  {
    counts: Type.Object(
      {
        critical: Type.Integer(),
        high: Type.Integer(),
        low: Type.Integer(),
        none: Type.Integer({ description: 'Accounts whose latest report is clean' }),
        unknown: Type.Integer({
          description: 'Never checked, or the latest check could not read everything',
        }),
      },
      { description: 'Accounts by the severity of their latest report' },
    ),
    accounts: Type.Array(
      Type.Object({
        accountId: Type.String(),
        severity: DriftSeveritySchema,
        checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        clean: Type.Union([Type.Boolean(), Type.Null()]),
        counts: Type.Union([DriftCounts, Type.Null()]),
        reportId: Type.Union([Type.String(), Type.Null()]),
        remediationPolicy: RemediationPolicySchema,
      }),
    ),
  },
  { $id: 'FleetDrift', title: 'FleetDrift' },
);

type FleetDrift = Awaited<ReturnType<DriftService['fleet']>>;

/** The fleet view restricted to the accounts a caller may see, with the counts recomputed. */
function scopeFleet(fleet: FleetDrift, scope: 'all' | ReadonlySet<string>): FleetDrift {
  if (scope === 'all') return fleet;
  const accounts = fleet.accounts.filter((a) => scope.has(a.accountId));
  const counts = Object.fromEntries(Object.keys(fleet.counts).map((k) => [k, 0])) as FleetDrift['counts'];
  for (const a of accounts) counts[a.severity]++;
  return { counts, accounts };
}

export const driftRoutes: FastifyPluginAsyncTypebox<{
  drift: DriftService;
  operations: OperationService;
}> = async (app, { drift, operations }) => {
  app.post(
    '/v1/accounts/:accountId/drift-checks',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'Queue a drift check of the account',
        description:
          'A refresh preview through the engine (nothing is changed): resources deleted or changed out of band. ' +
          'When it succeeds a drift report is stored (a clean one too) and the account drift state follows it. ' +
          'Returns 202 with the operation (Location: its URL); `wait=false` answers 409 instead of queueing ' +
          'behind another operation of the account. Same as POST /v1/accounts/{accountId}/trail/drift-checks.',
        params: AccountParams,
        querystring: Type.Object({ wait: Type.Optional(WaitQuery) }, { additionalProperties: false }),
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        response: { 202: OperationAccepted, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const op = await operations.enqueueForAccount(req.params.accountId, 'refresh-preview', {
        wait: req.query.wait ?? true,
        ifMatch: req.headers['if-match'],
        principal: req.principal,
      });
      return acceptedOperation(reply, op);
    },
  );

  app.get(
    '/v1/accounts/:accountId/drift-reports',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'Drift reports of the account, newest first',
        description: 'Pass nextCursor as cursor to get older reports.',
        params: AccountParams,
        querystring: HistoryQuery,
        response: {
          200: Type.Object({
            items: Type.Array(StoredDriftReportSchema),
            nextCursor: NextCursorSchema,
          }),
          ...problemResponses(400, 404),
        },
      },
    },
    async (req) => drift.history(req.params.accountId, req.query),
  );

  app.get(
    '/v1/drift',
    {
      // Filtered to the caller's accounts (counts included).
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['drift'],
        summary: 'Fleet drift: the latest report of every managed account, counts by severity',
        response: { 200: FleetDriftSchema },
      },
    },
    async (req) => scopeFleet(await drift.fleet(), req.accountScope()),
  );

  app.get(
    '/v1/accounts/:accountId/remediation-policy',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'What reconciliations do when they find drift in the account',
        params: AccountParams,
        response: { 200: RemediationPolicyState, ...problemResponses(404) },
      },
    },
    async (req) => drift.getPolicy(req.params.accountId),
  );

  app.put(
    '/v1/accounts/:accountId/remediation-policy',
    {
      // Admin: a remediating policy lets the nightly reconciliation apply the stored spec unattended.
      config: { access: { role: 'admin', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'Set the remediation policy of the account',
        description:
          'The policy is a setting of the account, kept apart from the trail request (changing it does not bump ' +
          'the spec version or the ETag). report (default): reconciliations only report drift. remediate: a ' +
          'reconciliation that finds drift queues an apply of the desired spec, then a drift check that must be ' +
          'clean. remediate-critical: the same, only when the report severity is critical. Manual drift checks ' +
          'never remediate.',
        params: AccountParams,
        body: RemediationPolicyBody,
        response: { 200: RemediationPolicyState, ...problemResponses(400, 404) },
      },
    },
    async (req) => drift.setPolicy(req.params.accountId, req.body.policy),
  );
};
