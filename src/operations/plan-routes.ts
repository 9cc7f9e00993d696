// The plan of a preview (or of an apply, what it changed): resources grouped by component with old
// and new values of what changes (src/engine/plan.ts), whether an apply by the caller would wait
// for an approver, and what in the request costs money.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { operationAccount } from '../auth/locators.ts';
import { buildPlan } from '../engine/plan.ts';
import { ConflictError, problemResponses } from '../errors.ts';
import { sharedRef } from '../schema-ref.ts';
import { costNotes } from '../trail-request/costs.ts';
import { OperationParams, PlanSchema } from './schemas.ts';
import type { OperationService } from './service.ts';
import type { OperationStore } from './store.ts';

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
        params: OperationParams,
        response: { 200: sharedRef(PlanSchema), ...problemResponses(404, 409) },
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
