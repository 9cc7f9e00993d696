// The name, tag and error answers of every documented operation, in one table keyed by `METHOD path`
// (Fastify's path syntax). src/openapi/contract.ts applies it to each route as it is registered and
// refuses to start when a documented route has no entry, so a new route cannot go unnamed: add it here.
//
// operationId is part of the contract (generated clients name their methods after it): never rename one.
// `problems` lists the error statuses beyond the ones every route of its kind gets (400 always; 401/403
// with an access declaration; 413/415 with a body; 429 under the rate limit); see contract.ts.

import { APPROVALS_EXAMPLE, DRIFT_REPORTS_EXAMPLE, PLAN_EXAMPLE } from './examples.ts';

export type ProblemStatus = 404 | 409 | 412 | 428 | 503;

export interface OperationEntry {
  operationId: string;
  tag: string;
  /** Used when the route's schema has no summary of its own. */
  summary: string;
  /** Description of the success response(s), replacing "Default Response". */
  ok: string;
  problems?: ProblemStatus[];
  /** The body is optional (validated only when sent); @fastify/swagger would mark it required. */
  optionalBody?: boolean;
  /** The 200 answer's example, where the builder in contract.ts cannot derive one (src/openapi/examples.ts). */
  example?: unknown;
}

export const OPERATIONS: Readonly<Record<string, OperationEntry>> = {
  // trail requests
  'PUT /v1/accounts/:accountId/trail': {
    operationId: 'putTrailRequest',
    tag: 'trail-requests',
    summary: 'Store the desired trail spec of an account',
    ok: 'The stored trail request and its state',
    problems: [412, 428],
  },
  'GET /v1/accounts/:accountId/trail': {
    operationId: 'getTrailRequest',
    tag: 'trail-requests',
    summary: 'Spec, status, last applied version and outputs of an account',
    ok: 'The trail request and its state',
    problems: [404],
  },
  'DELETE /v1/accounts/:accountId/trail': {
    operationId: 'decommissionTrail',
    tag: 'trail-requests',
    summary: 'Decommission the trail of an account (an operation)',
    ok: 'The decommission operation',
    problems: [404, 409, 412],
  },
  'GET /v1/accounts/:accountId/trail/versions': {
    operationId: 'listTrailRequestVersions',
    tag: 'trail-requests',
    summary: 'Versions of the trail request, newest first, with who stored them',
    ok: 'A page of versions',
    problems: [404],
  },
  // accounts
  'GET /v1/accounts/:accountId/operations': {
    operationId: 'listAccountOperations',
    tag: 'accounts',
    summary: 'Operations of the account, newest first',
    ok: 'A page of operations',
    problems: [404],
  },
  'GET /v1/accounts/:accountId/coverage': {
    operationId: 'getCoverage',
    tag: 'coverage',
    summary: 'Which Security Hub controls and alarms the stored spec covers, and who receives the alarms',
    ok: 'The coverage report',
    problems: [404],
  },
  'POST /v1/coverage-reports': {
    operationId: 'computeCoverage',
    tag: 'coverage',
    summary: 'Coverage of a trail request that is not stored (what the form shows before a preview)',
    ok: 'The coverage report',
  },
  'GET /v1/accounts': {
    operationId: 'listAccounts',
    tag: 'accounts',
    summary: 'Accounts with a trail request: status, last operation, drift',
    ok: 'A page of accounts',
  },
  'GET /v1/accounts/:accountId/external-trails': {
    operationId: 'getExternalTrails',
    tag: 'accounts',
    summary: 'Trails of the account not managed by this service',
    ok: 'The recorded external trails',
    problems: [404],
  },
  'PUT /v1/accounts/:accountId/external-trails': {
    operationId: 'putExternalTrails',
    tag: 'accounts',
    summary: 'Replace the list of trails of the account not managed by this service',
    ok: 'The recorded external trails',
  },
  // operations
  'POST /v1/accounts/:accountId/trail/previews': {
    operationId: 'createPreview',
    tag: 'operations',
    summary: 'Queue a preview (what an apply would change), of the stored spec or of a draft in the body',
    ok: 'The preview operation',
    problems: [404, 409, 412, 503],
    optionalBody: true,
  },
  'POST /v1/accounts/:accountId/trail/applies': {
    operationId: 'createApply',
    tag: 'operations',
    summary: 'Queue an apply of the current trail request',
    ok: 'The apply operation',
    problems: [404, 409, 412, 503],
  },
  'POST /v1/accounts/:accountId/trail/drift-checks': {
    operationId: 'createTrailDriftCheck',
    tag: 'operations',
    summary: 'Deprecated: moved to POST /v1/accounts/{accountId}/drift-checks (308 to it)',
    ok: 'Moved permanently: repeat the POST at Location',
  },
  'GET /v1/operations/:operationId': {
    operationId: 'getOperation',
    tag: 'operations',
    summary: 'State, timings, change summary, outputs or error of an operation',
    ok: 'The operation',
    problems: [404],
  },
  'GET /v1/operations/:operationId/events': {
    operationId: 'getOperationEvents',
    tag: 'operations',
    summary: 'Engine events of an operation (server-sent events, or JSON)',
    ok: 'The events',
    problems: [404],
  },
  'POST /v1/operations/:operationId/cancel': {
    operationId: 'cancelOperation',
    tag: 'operations',
    summary: 'Cancel an operation',
    ok: 'The operation, cancelled or cancelling',
    problems: [404, 409],
  },
  'POST /v1/operations/:operationId/retry': {
    operationId: 'retryOperation',
    tag: 'operations',
    summary: 'Retry a failed, cancelled or interrupted operation',
    ok: 'The new operation',
    problems: [404, 409],
  },
  'POST /v1/operations/:operationId/approve': {
    operationId: 'approveOperation',
    tag: 'operations',
    summary: 'Approve an operation waiting for approval',
    ok: 'Accepted: the operation, queued (Location: its URL)',
    problems: [404, 409],
    optionalBody: true,
  },
  'POST /v1/operations/:operationId/reject': {
    operationId: 'rejectOperation',
    tag: 'operations',
    summary: 'Reject an operation waiting for approval',
    ok: 'The operation, cancelled (Location: its URL)',
    problems: [404, 409],
    optionalBody: true,
  },
  // drift
  'POST /v1/accounts/:accountId/drift-checks': {
    operationId: 'createDriftCheck',
    tag: 'drift',
    summary: 'Queue a drift check of the account',
    ok: 'The drift-check operation',
    problems: [404, 409, 412],
  },
  'GET /v1/accounts/:accountId/drift-reports': {
    operationId: 'listDriftReports',
    tag: 'drift',
    summary: 'Drift reports of the account, newest first',
    ok: 'A page of drift reports',
    problems: [404],
    example: DRIFT_REPORTS_EXAMPLE,
  },
  'POST /v1/accounts/:accountId/drift-reports/:reportId/converge': {
    operationId: 'convergeDrift',
    tag: 'drift',
    summary:
      'Preview the last applied spec against the account as it is (confirm with an apply of that preview)',
    ok: 'The preview operation',
    problems: [404, 409, 503],
  },
  'GET /v1/operations/:operationId/plan': {
    operationId: 'getOperationPlan',
    tag: 'operations',
    summary: 'The plan of a preview: changes grouped by component, with old and new values',
    ok: 'The plan',
    problems: [404, 409],
    example: PLAN_EXAMPLE,
  },
  'GET /v1/approvals': {
    operationId: 'listApprovals',
    tag: 'operations',
    summary: 'Operations waiting for an approval the caller may give, with the spec diff and the preview',
    ok: 'The waiting operations',
    example: APPROVALS_EXAMPLE,
  },
  'GET /v1/drift': {
    operationId: 'getFleetDrift',
    tag: 'drift',
    summary: 'Fleet drift: the latest report of every managed account, counts by severity',
    ok: 'The fleet drift view',
  },
  'GET /v1/accounts/:accountId/remediation-policy': {
    operationId: 'getRemediationPolicy',
    tag: 'drift',
    summary: 'What reconciliations do when they find drift in the account',
    ok: 'The remediation policy',
    problems: [404],
  },
  'PUT /v1/accounts/:accountId/remediation-policy': {
    operationId: 'putRemediationPolicy',
    tag: 'drift',
    summary: 'Set the remediation policy of the account',
    ok: 'The remediation policy',
    problems: [404],
  },
  // reconciliations
  'POST /v1/reconciliations': {
    operationId: 'startReconciliation',
    tag: 'reconciliations',
    summary: 'Start a reconciliation of every managed account now',
    ok: 'The reconciliation, running',
    problems: [409],
  },
  'GET /v1/reconciliations': {
    operationId: 'listReconciliations',
    tag: 'reconciliations',
    summary: 'Reconciliations, newest first',
    ok: 'A page of reconciliations',
  },
  'GET /v1/reconciliations/:reconciliationId': {
    operationId: 'getReconciliation',
    tag: 'reconciliations',
    summary: 'A reconciliation: state, per-account outcomes, totals, notifications',
    ok: 'The reconciliation',
    problems: [404],
  },
  // alarm sets
  'GET /v1/alarm-sets': {
    operationId: 'listAlarmSets',
    tag: 'alarm-sets',
    summary: 'The alarm sets a trail request can name',
    ok: 'The alarm sets',
  },
  // service tokens
  'POST /v1/service-tokens': {
    operationId: 'createServiceToken',
    tag: 'service-tokens',
    summary: 'Create a service token for automation (admin); the token is shown once',
    ok: 'The token (shown once) and its record',
  },
  'GET /v1/service-tokens': {
    operationId: 'listServiceTokens',
    tag: 'service-tokens',
    summary: 'Service tokens (admin); never their secrets',
    ok: 'The service tokens',
  },
  'GET /v1/service-tokens/:id': {
    operationId: 'getServiceToken',
    tag: 'service-tokens',
    summary: 'A service token (admin); never its secret',
    ok: 'The service token',
    problems: [404],
  },
  'DELETE /v1/service-tokens/:id': {
    operationId: 'revokeServiceToken',
    tag: 'service-tokens',
    summary: 'Revoke a service token (admin); it stops working at once',
    ok: 'Revoked',
    problems: [404],
  },
  // audit
  'GET /v1/audit': {
    operationId: 'listAuditEntries',
    tag: 'audit',
    summary: 'The audit trail, newest first (admin)',
    ok: 'A page of audit entries',
  },
  'GET /v1/audit/verify': {
    operationId: 'verifyAuditTrail',
    tag: 'audit',
    summary: 'Walk the hash chain: ok, or the first entry that does not verify (admin)',
    ok: 'The verification result',
  },
  // health
  'GET /healthz': {
    operationId: 'getLiveness',
    tag: 'health',
    summary: 'The process is up',
    ok: 'Up',
  },
  'GET /readyz': {
    operationId: 'getReadiness',
    tag: 'health',
    summary: 'The database is reachable and the Pulumi CLI has the pinned version',
    ok: 'Ready',
    problems: [503],
  },
};
