// The validator compiler of the app: TypeBox's, with stricter conversion of query strings, path
// parameters and headers. TypeBox's Value.Convert turns `limit=true` into 1 and `wait=1` into true;
// a client that sends those has a bug the contract should report (400 on the field), not guess around.
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const BOOLEAN = /^(true|false)$/;

type Scalar = 'integer' | 'number' | 'boolean';
const SYNTAX: Record<Scalar, RegExp> = { integer: INTEGER, number: NUMBER, boolean: BOOLEAN };

/** Top-level properties of a query/params/headers object schema that hold numbers or booleans. */
function scalarProperties(schema: unknown): Map<string, Scalar> {
  const out = new Map<string, Scalar>();
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  for (const [name, prop] of Object.entries(props ?? {})) {
    const type = prop?.type;
    if (type === 'integer' || type === 'number') out.set(name, type);
    else if (type === 'boolean') out.set(name, 'boolean');
  }
  return out;
}

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route);
  if (route.httpPart === 'body') return validate;
  const scalars = scalarProperties(route.schema);
  if (scalars.size === 0) return validate;
  return (value: unknown) => {
    if (value !== null && typeof value === 'object') {
      for (const [name, kind] of scalars) {
        const raw = (value as Record<string, unknown>)[name];
        if (typeof raw !== 'string' || SYNTAX[kind].test(raw)) continue;
        return {
          error: [
            {
              keyword: 'type',
              instancePath: `/${name}`,
              schemaPath: `#/properties/${name}/type`,
              params: { type: kind },
              message:
                kind === 'boolean'
                  ? 'must be true or false'
                  : `must be ${kind === 'integer' ? 'an integer' : 'a number'}`,
            },
          ],
        };
      }
    }
    return validate(value);
  };
};
