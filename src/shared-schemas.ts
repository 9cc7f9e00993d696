// The shared schemas: each registered once with addSchema under its $id, so the OpenAPI document names it
// once (a component) and routes and other schemas refer to it with sharedRef (src/schema-ref.ts).
// The validator (src/openapi/validator.ts) and the serializer resolve those $refs against these.
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { AccountSummarySchema, ExternalTrailsSchema, TrailStateSchema } from './accounts/schemas.ts';
import { AlarmSetSchema } from './alarm-sets/schemas.ts';
import { FleetDriftSchema, StoredDriftReportSchema } from './drift/schemas.ts';
import { ProblemSchema } from './errors.ts';
import { EventsJsonSchema, OperationErrorSchema, OperationSchema, PlanSchema } from './operations/schemas.ts';
import { ReconciliationSchema } from './reconciliation/schemas.ts';
import { TrailRequestSchema } from './trail-request/schema.ts';

/** In the order the document lists its components. */
const SHARED: TSchema[] = [
  ProblemSchema,
  AccountSummarySchema,
  TrailRequestSchema,
  OperationErrorSchema,
  OperationSchema,
  TrailStateSchema,
  ExternalTrailsSchema,
  EventsJsonSchema,
  PlanSchema,
  StoredDriftReportSchema,
  FleetDriftSchema,
  ReconciliationSchema,
  AlarmSetSchema,
];

/** The shared schemas by $id: the context a schema with sharedRefs is checked in (Value.Check(context, …)). */
export const SHARED_SCHEMAS: Readonly<Record<string, TSchema>> = Object.fromEntries(
  SHARED.map((schema) => {
    const id = (schema as { $id?: unknown }).$id;
    if (typeof id !== 'string') throw new Error('a shared schema needs an $id');
    return [id, schema];
  }),
);

/** Registers them on the app, before any route refers to them. */
export function registerSharedSchemas(app: FastifyInstance): void {
  for (const schema of Object.values(SHARED_SCHEMAS)) app.addSchema(schema);
}
