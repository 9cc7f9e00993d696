// The validator compiler of the app: TypeBox's, compiled with the shared schemas (addSchema) as context
// so a route schema's `$ref`s to them resolve, and with stricter conversion of query strings, path
// parameters and headers. TypeBox's Value.Convert turns `limit=true` into 1 and `wait=1` into true;
// a client that sends those has a bug the contract should report (400 on the field), not guess around.
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TProperties, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

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

/**
 * TypeBoxValidatorCompiler of @fastify/type-provider-typebox (Convert for everything but the body, then
 * Check, and TypeBox's errors), with a context: it compiles each route schema alone, so a `$ref` to a
 * shared schema would never resolve.
 */
function typeBoxValidator(
  context: TProperties,
  schema: TSchema,
  httpPart: string | undefined,
): (value: unknown) => { value?: unknown; error?: FastifySchemaValidationError[] } {
  const check = Compile(context, schema);
  return (value) => {
    const converted = httpPart === 'body' ? value : Value.Convert(context, schema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: check.Errors(converted) as unknown as FastifySchemaValidationError[] };
  };
}

/** The compiler for routes whose schemas may refer to `shared` (the addSchema'd schemas, by $id). */
export function strictValidatorCompiler(
  shared: Readonly<Record<string, unknown>> = {},
): FastifySchemaCompiler<TSchema> {
  const context = shared as TProperties;
  return (route) => {
    const validate = typeBoxValidator(context, route.schema, route.httpPart);
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
}
