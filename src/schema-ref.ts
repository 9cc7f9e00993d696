// How a schema refers to a shared one (a schema with an $id that src/shared-schemas.ts registers with
// addSchema): by $ref, so the OpenAPI document names it once and every use points there. The validator
// (src/openapi/validator.ts), the serializer and the document generator resolve it against the registered
// schemas. A shared schema is never used inline: a response schema whose own $id is a registered one makes
// Fastify's serializer compiler drop that schema from its shared ones for the routes compiled after it.
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

/**
 * A $ref to a shared schema, typed as that schema: `Type.Ref('<$id>')` would infer `unknown` without a
 * context, so handlers and bodies would lose their static types.
 */
export function sharedRef<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('sharedRef: the schema has no $id (only shared schemas do)');
  return Type.Unsafe<Static<T>>({ $ref: id });
}
