// Reconciliations: start one now, read one, list them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problemResponses } from '../errors.ts';
import { CursorSchema, decodeSeqCursor, encodeSeqCursor, NextCursorSchema } from '../openapi/cursor.ts';
import { type Reconciler, totalsOf } from './service.ts';
import { RECONCILIATION_OUTCOMES, RECONCILIATION_STATES, type ReconciliationRecord } from './store.ts';

// A copy without $id: the shared OperationError schema may appear once per response schema only.
const OperationErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  engineMessage: Type.Optional(Type.String()),
});

const Severity = Type.Union([Type.Enum(['low', 'high', 'critical'] as const), Type.Null()]);

export const ReconciliationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    trigger: Type.Enum(['schedule', 'api'] as const),
    state: Type.Enum(RECONCILIATION_STATES, {
      description: 'running → succeeded; interrupted when the process stopped or lost the lease',
    }),
    holder: Type.String({ description: 'The process that ran it' }),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    totals: Type.Object({
      accounts: Type.Integer(),
      clean: Type.Integer(),
      drifted: Type.Integer(),
      remediated: Type.Integer(),
      failed: Type.Integer(),
      skipped: Type.Integer(),
    }),
    accounts: Type.Array(
      Type.Object({
        accountId: Type.String(),
        outcome: Type.Enum(RECONCILIATION_OUTCOMES, {
          description:
            'clean; drifted (left in place, severity says how bad); remediated (applied, then checked clean); ' +
            'failed (error says why); skipped (the run stopped first); pending while running',
        }),
        severity: Severity,
        findings: Type.Array(Type.String(), { description: 'Drift found, as "<urn>#<property path>"' }),
        driftReportId: Type.Union([Type.String(), Type.Null()]),
        operationIds: Type.Array(Type.String()),
        error: Type.Union([OperationErrorSchema, Type.Null()]),
        startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        pendingSpec: Type.Optional(
          Type.Object(
            {
              specVersion: Type.Integer({ description: 'The stored spec version, not applied' }),
              appliedVersion: Type.Union([Type.Integer(), Type.Null()], {
                description: 'The version remediation restores',
              }),
              waitingOperationIds: Type.Array(Type.String(), {
                description: 'Applies of the stored spec waiting for approval',
              }),
            },
            {
              description:
                'Present when the stored spec is not the applied one: remediation never applies it, it ' +
                'restores the last applied (approved) version',
            },
          ),
        ),
      }),
    ),
    notifications: Type.Array(
      Type.Object({
        url: Type.String(),
        delivered: Type.Boolean(),
        attempts: Type.Integer(),
        status: Type.Union([Type.Integer(), Type.Null()]),
        error: Type.Optional(Type.String()),
      }),
      { description: 'Webhook deliveries of the summary (none when there was no news)' },
    ),
    error: Type.Union([OperationErrorSchema, Type.Null()]),
    links: Type.Object({ self: Type.String() }),
  },
  { $id: 'Reconciliation', title: 'Reconciliation' },
);

const ReconciliationParams = Type.Object({
  reconciliationId: Type.String({ format: 'uuid', maxLength: 36 }),
});

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
            content: { 'application/json': { schema: ReconciliationSchema } },
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
        response: { 200: ReconciliationSchema, ...problemResponses(400, 404) },
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
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
            cursor: Type.Optional(CursorSchema),
            state: Type.Optional(Type.Enum(RECONCILIATION_STATES)),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(ReconciliationSchema),
            nextCursor: NextCursorSchema,
          }),
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
