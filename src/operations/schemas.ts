// The operation resource as the API shows it, the conversion from the stored record, and the other
// request/response schemas of the operations API (one schema home per feature).
import { Type } from 'typebox';
import { type CoverageReport, CoverageReportSchema, coverageReport } from '../../stacks/public.ts';
import { PLAN_CHANGES } from '../engine/plan.ts';
import {
  isOperationErrorCode,
  OPERATION_ERROR_CATALOGUE,
  OPERATION_ERROR_CODES,
  type OperationErrorCode,
} from '../errors.ts';
import { CURSOR_PATTERN, CursorSchema } from '../openapi/cursor.ts';
import { EngineEventSchema, EVENT_LEVELS } from '../openapi/events.ts';
import { sharedRef } from '../schema-ref.ts';
import { OPERATION_STATES, type OperationRecord } from './store.ts';

export const OperationKindSchema = Type.Enum(
  ['preview', 'apply', 'refresh-preview', 'refresh', 'destroy'] as const,
  {
    description: 'apply = pulumi up; refresh-preview = drift check; destroy = decommission',
  },
);

export const OperationStateSchema = Type.Enum(OPERATION_STATES, {
  description:
    'queued → running → succeeded | failed | cancelled; interrupted when the service stopped mid-run; ' +
    'pending-approval: an apply or decommission waiting for another approver (POST …/approve), then queued, ' +
    'or cancelled when rejected',
});

export const OperationErrorSchema = Type.Object(
  {
    code: Type.Enum(OPERATION_ERROR_CODES, {
      description:
        "Stable code (the engine's own code when it gives one, else engine_error):\n" +
        OPERATION_ERROR_CODES.map((c) => `- \`${c}\`: ${OPERATION_ERROR_CATALOGUE[c]}`).join('\n'),
    }),
    message: Type.String({ description: 'What went wrong' }),
    engineMessage: Type.Optional(
      Type.String({
        description: 'What the engine itself said (diagnostics or CLI output), when it adds to message',
      }),
    ),
  },
  { $id: 'OperationError', title: 'OperationError' },
);

export const OperationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    accountId: Type.String(),
    kind: OperationKindSchema,
    state: OperationStateSchema,
    specVersion: Type.Integer({ description: 'Version of the trail request the operation works on' }),
    retainData: Type.Optional(Type.Boolean({ description: 'destroy only: log bucket and key are kept' })),
    retryOf: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    changeSummary: Type.Union([Type.Record(Type.String(), Type.Integer()), Type.Null()], {
      description:
        'Resources by change (create, update, replace, delete, same, import); a decommission that keeps the data counts the log bucket, the key and their settings as kept',
    }),
    outputs: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    error: Type.Union([sharedRef(OperationErrorSchema), Type.Null()]),
    coverage: Type.Optional({
      ...CoverageReportSchema,
      description: 'preview only: what the previewed spec covers (GET /v1/accounts/{id}/coverage)',
    }),
    cancelRequested: Type.Boolean(),
    requestedBy: Type.Union([Type.String(), Type.Null()], {
      description: 'Principal id of the requester; null when the service itself queued it',
    }),
    approvedBy: Type.Union([Type.String(), Type.Null()], {
      description: 'Principal id of whoever approved (or rejected) it, when it needed approval',
    }),
    requestedByName: Type.Optional(Type.String({ description: 'Display name of the requester' })),
    decidedByName: Type.Optional(Type.String({ description: 'Display name of the approver (or rejecter)' })),
    decisionReason: Type.Optional(
      Type.String({ description: 'The reason given with the approval or rejection' }),
    ),
    previewId: Type.Optional(
      Type.String({ description: 'apply: the preview it was confirmed from (it applies that plan)' }),
    ),
    convergeOf: Type.Optional(
      Type.String({
        description: "preview: the drift report whose 'converge' started it (last applied spec)",
      }),
    ),
    remediation: Type.Optional(
      Type.Boolean({ description: 'apply: queued by a reconciliation to restore the last applied spec' }),
    ),
    links: Type.Object({
      self: Type.String(),
      events: Type.String(),
      driftReport: Type.Optional(
        Type.String({
          description:
            'refresh-preview (drift check) that succeeded: its stored drift report, as ' +
            '/v1/accounts/{accountId}/drift-reports?operationId={id} (a page holding that one report)',
        }),
      ),
    }),
  },
  { $id: 'Operation', title: 'Operation' },
);

export interface OperationView {
  id: string;
  accountId: string;
  kind: OperationRecord['kind'];
  state: OperationRecord['state'];
  specVersion: number;
  retainData?: boolean;
  retryOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  changeSummary: Record<string, number> | null;
  outputs: Record<string, unknown> | null;
  error: { code: OperationErrorCode; message: string; engineMessage?: string } | null;
  coverage?: CoverageReport;
  cancelRequested: boolean;
  requestedBy: string | null;
  approvedBy: string | null;
  requestedByName?: string;
  decidedByName?: string;
  decisionReason?: string;
  previewId?: string;
  convergeOf?: string;
  remediation?: boolean;
  links: { self: string; events: string; driftReport?: string };
}

export const operationPath = (id: string) => `/v1/operations/${id}`;

/** How every route that starts an operation answers: 202 with the operation, Location its URL. */
export function acceptedOperation(
  reply: { code(status: 202): { header(name: string, value: string): unknown } },
  op: OperationRecord,
): OperationView {
  reply.code(202).header('location', operationPath(op.id));
  return operationView(op);
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

export function operationView(op: OperationRecord): OperationView {
  const self = operationPath(op.id);
  return {
    id: op.id,
    accountId: op.accountId,
    kind: op.kind,
    state: op.state,
    specVersion: op.specVersion,
    ...(op.kind === 'destroy' ? { retainData: op.options.retainData ?? true } : {}),
    retryOf: op.retryOf,
    createdAt: op.createdAt,
    startedAt: op.startedAt,
    finishedAt: op.finishedAt,
    durationMs: op.startedAt && op.finishedAt ? Date.parse(op.finishedAt) - Date.parse(op.startedAt) : null,
    changeSummary: op.changeSummary,
    outputs: op.outputs,
    // A record written before the catalogue (or by a newer replica) shows as engine_error.
    error: op.error
      ? { ...op.error, code: isOperationErrorCode(op.error.code) ? op.error.code : 'engine_error' }
      : null,
    // The report of the spec the preview ran on (pure: no subscription state, that is the account's).
    ...(op.kind === 'preview' ? { coverage: coverageReport(op.spec) } : {}),
    cancelRequested: op.cancelRequested,
    requestedBy: op.requestedBy,
    approvedBy: op.approvedBy,
    ...pick(op.options, [
      'requestedByName',
      'decidedByName',
      'decisionReason',
      'previewId',
      'convergeOf',
      'remediation',
    ] as const),
    links: {
      self,
      events: `${self}/events`,
      // The report is stored before the check is marked succeeded, so the link resolves once it shows.
      ...(op.kind === 'refresh-preview' && op.state === 'succeeded'
        ? {
            driftReport: `/v1/accounts/${encodeURIComponent(op.accountId)}/drift-reports?operationId=${op.id}`,
          }
        : {}),
    },
  };
}

/** `?wait=false`: reject with 409 instead of queueing behind the account's other operation. */
export const WaitQuery = Type.Boolean({
  default: true,
  description:
    'false: answer 409 operation_in_progress when the account already has a queued or running operation, instead of queueing behind it',
});

/** The 202 answer of every route that creates an operation: the operation, its URL in Location. */
export const OperationAccepted = {
  description: 'Accepted: the operation is queued (or pending-approval, when it needs an approver)',
  headers: { location: { type: 'string', description: 'URL of the operation' } },
  content: { 'application/json': { schema: sharedRef(OperationSchema) } },
} as const;

export const OperationParams = Type.Object({ operationId: Type.String({ format: 'uuid', maxLength: 36 }) });
export const WaitOnly = Type.Object({ wait: Type.Optional(WaitQuery) }, { additionalProperties: false });
export const ApplyQuery = Type.Object(
  {
    wait: Type.Optional(WaitQuery),
    previewId: Type.Optional(
      Type.String({
        format: 'uuid',
        maxLength: 36,
        description:
          'The preview the user confirmed: apply its spec, 409 preview_stale if the account changed since',
      }),
    ),
  },
  { additionalProperties: false },
);

export const OperationEventSchema = Type.Object({
  seq: Type.Integer({ minimum: 1, description: 'Position in the stream; the SSE id' }),
  createdAt: Type.String({ format: 'date-time' }),
  level: Type.Enum(EVENT_LEVELS, {
    description: 'debug|info|warning|error: a diagnostic its severity, a failed step error, others info',
  }),
  event: EngineEventSchema,
});

export const EVENTS_PAGE_DEFAULT = 200;
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'JSON only: events after this seq (cursor, when given, wins)',
      }),
    ),
    cursor: Type.Optional(CursorSchema),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: EVENTS_PAGE_DEFAULT,
        description: 'JSON only: events per page',
      }),
    ),
    level: Type.Optional(
      Type.Enum(EVENT_LEVELS, {
        default: 'info',
        description: 'JSON only: the least severe level listed (default info: debug diagnostics are hidden)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const EventsJsonSchema = Type.Object(
  {
    operationId: Type.String(),
    state: OperationStateSchema,
    done: Type.Boolean({ description: 'The operation ended: no more events will come' }),
    events: Type.Array(OperationEventSchema),
    nextCursor: Type.Union([Type.String({ pattern: CURSOR_PATTERN }), Type.Null()], {
      description:
        'Pass as cursor for the events after this page: set while more are stored or the operation has not ' +
        'ended (poll with it); null once it ended and this page holds the last of them',
    }),
  },
  { $id: 'OperationEvents', title: 'OperationEvents' },
);

export const PendingApprovalSchema = Type.Object(
  {
    operation: sharedRef(OperationSchema),
    requestedBy: Type.Union([Type.String(), Type.Null()], { description: 'Principal id of the requester' }),
    requestedByName: Type.Union([Type.String(), Type.Null()], { description: 'Their display name' }),
    appliedVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'Spec version last applied' }),
    diff: Type.Array(
      Type.Object({
        path: Type.String({ description: 'JSON pointer into the trail request' }),
        before: Type.Unknown({ description: 'In the applied spec (null: absent)' }),
        after: Type.Unknown({ description: 'In the spec to apply (null: absent)' }),
      }),
      { description: 'What the apply changes in the spec, against the last applied spec' },
    ),
    reasons: Type.Array(Type.String(), { description: 'Why it needs approval (fields that weaken)' }),
    preview: Type.Union([sharedRef(OperationSchema), Type.Null()], {
      description: 'The preview of this spec: its change summary is what the apply would do',
    }),
  },
  { $id: 'PendingApproval', title: 'PendingApproval' },
);

export const DecisionBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'Why: recorded on the operation and in the audit trail, shown with it',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PendingApprovalList = Type.Object({ items: Type.Array(PendingApprovalSchema) });

// The plan of a preview or an apply (GET /v1/operations/{id}/plan).
const Change = Type.Enum([...PLAN_CHANGES, 'same'] as const);
const Counts = Type.Object(Object.fromEntries([...PLAN_CHANGES, 'same'].map((k) => [k, Type.Integer()])));

export const PlanSchema = Type.Object(
  {
    operationId: Type.String(),
    accountId: Type.String(),
    kind: Type.String(),
    state: OperationStateSchema,
    specVersion: Type.Integer(),
    counts: Counts,
    groups: Type.Array(
      Type.Object({
        key: Type.String({ description: 'key, bucket, trail:<region>, delivery, alarms, watch, other' }),
        title: Type.String(),
        region: Type.Union([Type.String(), Type.Null()]),
        counts: Counts,
        resources: Type.Array(
          Type.Object({
            urn: Type.String(),
            type: Type.String(),
            name: Type.String(),
            change: Change,
            properties: Type.Array(
              Type.Object({
                path: Type.String(),
                kind: Type.Enum(['add', 'update', 'delete'] as const),
                replaces: Type.Boolean({ description: 'This change forces a replacement' }),
                old: Type.Unknown(),
                new: Type.Unknown({ description: "'[unknown]' when only the apply will know" }),
              }),
            ),
          }),
        ),
      }),
    ),
    approval: Type.Union(
      [Type.Object({ required: Type.Boolean(), reasons: Type.Array(Type.String()) }), Type.Null()],
      { description: 'Whether an apply by the caller would wait for an approver; null without a policy' },
    ),
    costs: Type.Array(
      Type.Object({ item: Type.Enum(['insights', 'data-events'] as const), detail: Type.String() }),
      { description: 'What in this request is billed per event' },
    ),
  },
  { $id: 'Plan', title: 'Plan' },
);
