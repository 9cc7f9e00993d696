// The plan of a preview (or of an apply, what it changed): resources grouped by component with old
// and new values of what changes (src/engine/plan.ts), whether an apply by the caller would wait
// for an approver, and what in the request costs money.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { operationAccount } from '../auth/locators.ts';
import { buildPlan, PLAN_CHANGES } from '../engine/plan.ts';
import { ConflictError, problemResponses } from '../errors.ts';
import { costNotes } from '../trail-request/costs.ts';
import { OperationStateSchema } from './schemas.ts';
import type { OperationService } from './service.ts';
import type { OperationStore } from './store.ts';

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

export const planRoutes: FastifyPluginAsyncTypebox<{
  stores: { operations: OperationStore };
  operations: OperationService;
}> = async (app, { stores, operations }) => {
  app.get(
    '/v1/operations/:operationId/plan',
    {
      config: { access: { role: 'viewer', account: operationAccount(stores) } },
      schema: {
        tags: ['operations'],
        summary: 'What a preview plans (or an apply changed), grouped by component, with old and new values',
        description:
          'Built from the operation’s engine events: one entry per AWS resource (components and providers ' +
          'are not counted), grouped by key, bucket, trail per region, delivery, alarms and watch. Updates and ' +
          'replacements list each changing property with its old and new value. 409 until the operation ends.',
        params: Type.Object({ operationId: Type.String({ format: 'uuid', maxLength: 36 }) }),
        response: { 200: PlanSchema, ...problemResponses(404, 409) },
      },
    },
    async (req) => {
      const op = await operations.get(req.params.operationId);
      if (op.kind !== 'preview' && op.kind !== 'apply')
        throw new ConflictError(
          'no_plan',
          `Operation ${op.id} is a ${op.kind}; only previews and applies have a plan`,
        );
      if (!['succeeded', 'failed', 'cancelled', 'interrupted'].includes(op.state))
        throw new ConflictError(
          'operation_not_finished',
          `Operation ${op.id} is ${op.state}; its plan comes when it ends`,
        );
      const events = (await stores.operations.listOperationEvents(op.id, 0)).map((e) => e.event);
      const plan = buildPlan(events);
      return {
        operationId: op.id,
        accountId: op.accountId,
        kind: op.kind,
        state: op.state,
        specVersion: op.specVersion,
        ...plan,
        approval: await operations.applyApproval(req.principal, op.accountId, op.spec),
        costs: costNotes(op.spec),
      };
    },
  );
};
