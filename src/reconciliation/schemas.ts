// The reconciliations API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { pageQuery } from '../openapi/page.ts';
import { RECONCILIATION_OUTCOMES, RECONCILIATION_STATES } from './store.ts';

// Not the shared OperationError: a reconciliation's codes are its own (drift_remains, lease_lost…) as
// well as its operations' ones.
const ReconciliationErrorSchema = Type.Object({
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
        error: Type.Union([ReconciliationErrorSchema, Type.Null()]),
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
    error: Type.Union([ReconciliationErrorSchema, Type.Null()]),
    links: Type.Object({ self: Type.String() }),
  },
  { $id: 'Reconciliation', title: 'Reconciliation' },
);

export const ReconciliationParams = Type.Object({
  reconciliationId: Type.String({ format: 'uuid', maxLength: 36 }),
});

export const ReconciliationListQuery = Type.Object(
  { ...pageQuery({ maximum: 100, default: 20 }), state: Type.Optional(Type.Enum(RECONCILIATION_STATES)) },
  { additionalProperties: false },
);
