// Drift: checks (operations), an account's report history, the fleet view and remediation policies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../errors.ts';
import { decodeKeyCursor, encodeKeyCursor } from '../openapi/cursor.ts';
import { enqueueHandler } from '../operations/enqueue-route.ts';
import { acceptedOperation, OperationAccepted, WaitOnly } from '../operations/schemas.ts';
import type { OperationService } from '../operations/service.ts';
import { sharedRef } from '../schema-ref.ts';
import { AccountParams, IfMatchHeaders } from '../trail-request/schema.ts';
import {
  FleetDriftSchema,
  FleetQuery,
  HistoryQuery,
  PreviewParams,
  RemediationPolicyBody,
  RemediationPolicyState,
  StoredDriftReportList,
} from './schemas.ts';
import type { DriftService } from './service.ts';

type FleetDrift = Awaited<ReturnType<DriftService['fleet']>>;

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, low: 2, unknown: 3, none: 4 };

/**
 * The fleet's sort key as one string, `<severity rank>:<account id>` (a one-digit rank, a 12-digit id, so
 * string order is the page order): the one cursor format (a key cursor), and any string is a position.
 */
const fleetKey = (a: { severity: string; accountId: string }) =>
  `${SEVERITY_RANK[a.severity] ?? 9}:${a.accountId}`;

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
  /** ACCOUNT_GROUPS, for the fleet's scope=group:<name> filter. */
  accountGroups?: Record<string, readonly string[]>;
}> = async (app, { drift, operations, accountGroups = {} }) => {
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
          'behind another operation of the account. (The old POST /v1/accounts/{accountId}/trail/drift-checks ' +
          'answers 308 to here.)',
        params: AccountParams,
        querystring: WaitOnly,
        headers: IfMatchHeaders,
        response: { 202: OperationAccepted, ...problemResponses(400, 404, 409, 412) },
      },
    },
    enqueueHandler(operations, 'refresh-preview'),
  );

  // The drift check moved to POST /v1/accounts/{accountId}/drift-checks; the old path answers 308 (method
  // and body kept, RFC 9110 section 15.4.9) for one release, then goes.
  app.post(
    '/v1/accounts/:accountId/trail/drift-checks',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['operations'],
        summary: 'Deprecated: moved to POST /v1/accounts/{accountId}/drift-checks (308 to it)',
        description:
          'Answers 308 Permanent Redirect with Location: /v1/accounts/{accountId}/drift-checks (the query ' +
          'string kept); nothing is queued here. Removed in the next release.',
        deprecated: true,
        params: AccountParams,
        querystring: WaitOnly,
        response: {
          308: {
            description: 'Moved: repeat the POST at Location',
            type: 'null',
            headers: {
              location: {
                type: 'string',
                description: 'The canonical route: /v1/accounts/{accountId}/drift-checks',
              },
            },
          },
          ...problemResponses(400),
        },
      },
    },
    async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      reply
        .code(308)
        .header('location', `/v1/accounts/${encodeURIComponent(req.params.accountId)}/drift-checks${query}`);
      // No body at all (the 308 schema says null so the document shows none; undefined skips serializing).
      return reply.send(undefined as unknown as null);
    },
  );

  app.get(
    '/v1/accounts/:accountId/drift-reports',
    {
      config: { access: { role: 'viewer', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'Drift reports of the account, newest first',
        description:
          'Pass nextCursor as cursor to get older reports. With operationId: the report of that drift check ' +
          '(the operation links here as links.driftReport), or an empty page when it stored none.',
        params: AccountParams,
        querystring: HistoryQuery,
        response: {
          200: StoredDriftReportList,
          ...problemResponses(400, 404),
        },
      },
    },
    async (req) => drift.history(req.params.accountId, req.query),
  );

  app.post(
    '/v1/accounts/:accountId/drift-reports/:reportId/converge',
    {
      config: { access: { role: 'requester', account: 'params.accountId' } },
      schema: {
        tags: ['drift'],
        summary: 'Converge from a drift report: preview the last applied spec against the account as it is',
        description:
          'Queues a preview (with a refresh: the account as it is now) of the spec last applied to the account, ' +
          'which was approved when it was applied — never of a stored spec still waiting to be applied. Returns ' +
          '202 with the preview operation (convergeOf names the report). Follow it, then confirm with ' +
          '`POST /v1/accounts/{accountId}/trail/applies?previewId=<its id>`: an apply of that spec under the ' +
          'normal approval rules, refused with 409 preview_stale when the account changed since the preview. ' +
          '409 nothing_applied when the account has no applied spec.',
        params: PreviewParams,
        querystring: WaitOnly,
        response: { 202: OperationAccepted, ...problemResponses(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const op = await operations.convergePreview(req.params.accountId, req.params.reportId, {
        wait: req.query.wait ?? true,
        principal: req.principal,
        hasReport: (accountId, reportId) => drift.hasReport(accountId, reportId),
      });
      return acceptedOperation(reply, op);
    },
  );

  app.get(
    '/v1/drift',
    {
      // Filtered to the caller's accounts (counts included).
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['drift'],
        summary: 'Fleet drift: the latest report of every managed account, counts by severity',
        description:
          'Accounts by worst severity first. Filters: severity, status (of the account), scope (account id ' +
          'prefix or group:<name>). counts cover every account that matches status and scope (all severities), ' +
          'so a page filtered by severity still shows the whole picture; accounts are paginated (limit, cursor).',
        querystring: FleetQuery,
        response: { 200: sharedRef(FleetDriftSchema), ...problemResponses(400) },
      },
    },
    async (req) => {
      const q = req.query;
      const fleet = scopeFleet(await drift.fleet(), req.accountScope());
      const group = q.scope?.startsWith('group:') ? q.scope.slice(6) : undefined;
      const members = group ? new Set(accountGroups[group] ?? []) : undefined;
      const inScope = fleet.accounts
        .filter((a) => (q.status ? a.status === q.status : true))
        .filter((a) =>
          members ? members.has(a.accountId) : q.scope ? a.accountId.startsWith(q.scope) : true,
        );
      const counts = Object.fromEntries(Object.keys(fleet.counts).map((k) => [k, 0])) as FleetDrift['counts'];
      for (const a of inScope) counts[a.severity]++;
      const after = q.cursor !== undefined ? decodeKeyCursor(q.cursor) : undefined;
      const sorted = inScope
        .filter((a) => (q.severity ? a.severity === q.severity : true))
        .map((a) => ({ a, key: fleetKey(a) }))
        .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
        .filter((x) => after === undefined || x.key > after)
        .map((x) => x.a);
      const limit = q.limit ?? 50;
      const accounts = sorted.slice(0, limit);
      return {
        counts,
        accounts,
        nextCursor: sorted.length > limit ? encodeKeyCursor(fleetKey(accounts.at(-1)!)) : null,
      };
    },
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
