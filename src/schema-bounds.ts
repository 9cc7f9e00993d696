// Size bounds and uniqueness checked in one linear walk before the schema validator runs (see checkBounds).
// Shared by the API's validator compiler (src/auth/hardening.ts boundsFirst) and resolveTrailRequest.
/** A validation error in the shape TypeBox (and Ajv) report, for schemaErrorsToIssues. */
export interface SchemaViolation {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

type SchemaNode = Record<string, unknown>;

/** Shared schemas by $id: what a `$ref` in a route schema names (src/shared-schemas.ts). */
export type SchemaRefs = Readonly<Record<string, unknown>>;

/** The schema a `$ref` names, or the schema itself. */
function deref(schema: unknown, refs: SchemaRefs): unknown {
  const ref = (schema as SchemaNode | null | undefined)?.['$ref'];
  return typeof ref === 'string' && Object.hasOwn(refs, ref) ? refs[ref] : schema;
}

const pointerToken = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

function isPrimitiveSchema(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false;
  const s = schema as SchemaNode;
  return (
    'enum' in s || 'const' in s || ['string', 'number', 'integer', 'boolean'].includes(s['type'] as string)
  );
}

/**
 * Walks the value along the schema and returns the first size bound (maxItems, maxProperties, maxLength)
 * it breaks, looking at nothing past a bound: linear in the part of the input the schema allows. Also
 * collects duplicates in `uniqueItems` arrays of strings, numbers or booleans with a native Set.
 * Why: TypeBox hashes every array item in JavaScript for uniqueItems (ms for a few hundred long ARNs), and
 * its error listing grows faster than linearly with an oversized map (20,000 tag keys took seconds).
 * A `$ref` to a shared schema is followed through `refs`.
 */
export function checkBounds(
  schema: unknown,
  value: unknown,
  duplicates: SchemaViolation[] = [],
  path = '',
  at = '#',
  refs: SchemaRefs = {},
): SchemaViolation | undefined {
  const target = deref(schema, refs);
  if (!target || typeof target !== 'object') return undefined;
  const s = target as SchemaNode;
  const fail = (keyword: string, params: Record<string, unknown>, message: string): SchemaViolation => ({
    keyword,
    instancePath: path,
    schemaPath: at,
    params,
    message,
  });
  const branches = (Array.isArray(s['anyOf']) ? s['anyOf'] : s['oneOf']) as unknown[] | undefined;
  if (Array.isArray(branches)) {
    // Only when a single branch can take this kind of value is it followed (TypeBox checks the rest).
    const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    const matching = branches.filter((b) => {
      const type = (deref(b, refs) as SchemaNode | undefined)?.['type'];
      return type === kind || (kind === 'number' && type === 'integer');
    });
    return matching.length === 1
      ? checkBounds(matching[0], value, duplicates, path, `${at}/anyOf`, refs)
      : undefined;
  }
  if (typeof value === 'string') {
    const max = s['maxLength'];
    // JSON Schema counts code points; the UTF-16 length is an upper bound, so most strings skip the count.
    if (typeof max === 'number' && value.length > max && [...value].length > max)
      return fail('maxLength', { limit: max }, `must not have more than ${max} characters`);
    return undefined;
  }
  if (Array.isArray(value)) {
    const max = s['maxItems'];
    if (typeof max === 'number' && value.length > max)
      return fail('maxItems', { limit: max }, `must not have more than ${max} items`);
    const items = s['items'];
    if (items && typeof items === 'object') {
      for (let i = 0; i < value.length; i++) {
        const found = checkBounds(items, value[i], duplicates, `${path}/${i}`, `${at}/items`, refs);
        if (found) return found;
      }
    }
    if (s['uniqueItems'] === true && isPrimitiveSchema(items)) {
      const seen = new Set<unknown>();
      const duplicateItems: number[] = [];
      value.forEach((item, i) => {
        if (seen.has(item)) duplicateItems.push(i);
        seen.add(item);
      });
      if (duplicateItems.length > 0)
        duplicates.push(fail('uniqueItems', { duplicateItems }, 'must not have duplicate items'));
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    const max = s['maxProperties'];
    if (typeof max === 'number') {
      // Counted up to the bound only: an object with 20,000 keys costs no more than one with max + 1.
      let count = 0;
      for (const _ in value) {
        if (++count > max)
          return fail('maxProperties', { limit: max }, `must not have more than ${max} properties`);
      }
    }
    const props = (s['properties'] ?? {}) as Record<string, unknown>;
    const patterns = Object.values((s['patternProperties'] ?? {}) as Record<string, unknown>);
    const rest = patterns.length === 1 ? patterns[0] : s['additionalProperties'];
    const names = s['propertyNames'];
    for (const key of Object.keys(value)) {
      const child = `${path}/${pointerToken(key)}`;
      if (names) {
        const found = checkBounds(names, key, duplicates, child, `${at}/propertyNames`, refs);
        if (found) return found;
      }
      const sub = Object.hasOwn(props, key) ? props[key] : rest;
      const found = checkBounds(
        sub,
        (value as Record<string, unknown>)[key],
        duplicates,
        child,
        `${at}/properties`,
        refs,
      );
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The schema without uniqueItems on arrays of primitives (checkBounds checks those). Subtrees without such
 * an array are shared, not copied; copies keep TypeBox's non-enumerable ~kind and ~optional markers.
 */
export function withoutPrimitiveUniqueItems<T>(schema: T): T {
  if (Array.isArray(schema)) {
    const mapped = schema.map(withoutPrimitiveUniqueItems);
    return (mapped.some((m, i) => m !== schema[i]) ? mapped : schema) as T;
  }
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as SchemaNode;
  const changes: SchemaNode = {};
  for (const [key, child] of Object.entries(s)) {
    const next = withoutPrimitiveUniqueItems(child);
    if (next !== child) changes[key] = next;
  }
  const dropUnique = s['uniqueItems'] === true && isPrimitiveSchema(s['items']);
  if (!dropUnique && Object.keys(changes).length === 0) return schema;
  const copy = Object.create(Object.getPrototypeOf(s), Object.getOwnPropertyDescriptors(s)) as SchemaNode;
  Object.assign(copy, changes);
  if (dropUnique) delete copy['uniqueItems'];
  return copy as T;
}
