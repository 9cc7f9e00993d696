// Reconciliations: start one now, read one, list them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../errors.ts';
import { decodeSeqCursor, encodeSeqCursor } from '../openapi/cursor.ts';
import { page } from '../openapi/page.ts';
import { sharedRef } from '../schema-ref.ts';
import { ReconciliationListQuery, ReconciliationParams, ReconciliationSchema } from './schemas.ts';
import { type Reconciler, totalsOf } from './service.ts';
import type { ReconciliationRecord } from './store.ts';

export const reconciliationPath = (id: string) => `/v1/reconciliations/${id}`;

export function reconciliationView(r: ReconciliationRecord) {
  const { seq: _seq, ...rest } = r;
  return { ...rest, links: { self: reconciliationPath(r.id) } };
}

/**
 * A run as a caller scoped to some accounts may see it: their accounts' outcomes only, totals over
 * those, and no webhook deliveries (fleet-level).
 */
function scopeRun(r: ReconciliationRecord, scope: 'all' | ReadonlySet<string>): ReconciliationRecord {
  if (scope === 'all') return r;
  const accounts = r.accounts.filter((a) => scope.has(a.accountId));
  return { ...r, accounts, totals: totalsOf(accounts), notifications: [] };
}

export const reconciliationRoutes: FastifyPluginAsyncTypebox<{ reconciler: Reconciler }> = async (
  app,
  { reconciler },
) => {
  app.post(
    '/v1/reconciliations',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags: ['reconciliations'],
        summary: 'Start a reconciliation of every managed account now',
        description:
          'A drift check of every managed account (applied at least once, not decommissioned) through the ' +
          'operation queue, RECONCILE_CONCURRENCY at a time; each account remediation policy decides what ' +
          'happens to drift. Returns 202 with the run (Location: its URL). 409 reconciliation_running when one ' +
          'runs (in this process or another holding the lease). The nightly schedule (RECONCILE_CRON in ' +
          'RECONCILE_TZ) starts the same thing.',
        response: {
          202: {
            description: 'Started',
            headers: { location: { type: 'string', description: 'URL of the reconciliation' } },
            content: { 'application/json': { schema: sharedRef(ReconciliationSchema) } },
          },
          ...problemResponses(409),
        },
      },
    },
    async (_req, reply) => {
      const run = await reconciler.startRun('api');
      reply.code(202).header('location', reconciliationPath(run.id));
      return reconciliationView(run);
    },
  );

  app.get(
    '/v1/reconciliations/:reconciliationId',
    {
      // Scoped callers see their accounts' outcomes only.
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['reconciliations'],
        summary: 'A reconciliation: state, per-account outcomes, totals, notifications',
        params: ReconciliationParams,
        response: { 200: sharedRef(ReconciliationSchema), ...problemResponses(400, 404) },
      },
    },
    async (req) =>
      reconciliationView(scopeRun(await reconciler.get(req.params.reconciliationId), req.accountScope())),
  );

  app.get(
    '/v1/reconciliations',
    {
      // Scoped callers see their accounts' outcomes only.
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['reconciliations'],
        summary: 'Reconciliations, newest first',
        querystring: ReconciliationListQuery,
        response: {
          200: page(sharedRef(ReconciliationSchema)),
          ...problemResponses(400),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const rows = await reconciler.list({
        limit: limit + 1,
        ...(req.query.cursor ? { beforeSeq: decodeSeqCursor(req.query.cursor) } : {}),
        ...(req.query.state ? { state: req.query.state } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => reconciliationView(scopeRun(r, req.accountScope()))),
        nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null,
      };
    },
  );
};
