// Client-side validation from the served OpenAPI document: the TrailRequest component and the
// accountId path parameter are the API's own schemas, so the form's rules are the server's rules
// (the server adds rules a schema cannot say — those come back as 400s and show the same way).
import { api, member } from './api.js';

/**
 * The JSON Schema keywords the form reads and checks (what the TrailRequest component and the
 * accountId parameter of /openapi.json use; the document is the server's, so they are trusted).
 * @typedef {object} Schema
 * @property {string} [$ref]
 * @property {string} [type]
 * @property {unknown[]} [enum]
 * @property {unknown} [const]
 * @property {unknown} [default]
 * @property {unknown} [example]
 * @property {string} [description]
 * @property {Schema[]} [anyOf]
 * @property {Schema} [items]
 * @property {Record<string, Schema>} [properties]
 * @property {string[]} [required]
 * @property {boolean | Schema} [additionalProperties]
 * @property {number} [minLength]
 * @property {number} [maxLength]
 * @property {string} [pattern]
 * @property {string} [format]
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [minItems]
 * @property {number} [maxItems]
 * @property {boolean} [uniqueItems]
 * @property {number} [maxProperties]
 */

/**
 * The parts of the OpenAPI document the form reads.
 * @typedef {object} OpenApiDocument
 * @property {{ schemas?: Record<string, Schema> }} [components]
 * @property {Record<string, Record<string, { parameters?: Parameter[] }>>} [paths]
 */

/** @typedef {{ in: string, name: string, description?: string, schema?: Schema }} Parameter */

/** @typedef {import('./types.d.ts').Issue} Issue */

/** @type {Promise<OpenApiDocument> | undefined} */
let documentPromise;

/** @returns {Promise<OpenApiDocument>} */
export function loadOpenApi() {
  documentPromise ??= api('/openapi.json').then((r) => /** @type {OpenApiDocument} */ (r.data));
  return documentPromise;
}

/**
 * The schema a $ref names (followed up to 20 times), or the schema itself.
 * @param {OpenApiDocument} doc
 * @param {Schema | undefined} schema
 * @returns {Schema | undefined}
 */
export function resolve(doc, schema) {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 20; i++) {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    /** @type {unknown} */
    const target = parts.reduce(
      (/** @type {unknown} */ node, key) => member(node, key.replace(/~1/g, '/').replace(/~0/g, '~')),
      doc,
    );
    s = /** @type {Schema | undefined} */ (target);
  }
  return s;
}

/** @typedef {{ doc: OpenApiDocument, trailRequest: Schema, accountId: Schema }} FormSchemas */

/**
 * The schemas the form needs: { trailRequest, accountId }.
 * @returns {Promise<FormSchemas>}
 */
export async function formSchemas() {
  const doc = await loadOpenApi();
  const trailRequest = resolve(doc, doc.components?.schemas?.TrailRequest);
  const put = doc.paths?.['/v1/accounts/{accountId}/trail']?.put;
  const param = put?.parameters?.find((p) => p.in === 'path' && p.name === 'accountId');
  if (!trailRequest || !param) throw new Error('The OpenAPI document has no TrailRequest schema');
  return {
    doc,
    trailRequest,
    accountId: { ...resolve(doc, param.schema), description: param.description ?? param.schema?.description },
  };
}

/**
 * The subschema at a JSON-pointer-like list of property names (array items with '*').
 * @param {OpenApiDocument} doc
 * @param {Schema | undefined} schema
 * @param {...string} keys
 * @returns {Schema | undefined}
 */
export function subschema(doc, schema, ...keys) {
  let s = resolve(doc, schema);
  for (const key of keys) {
    if (!s) return undefined;
    if (key === '*') {
      const branch = s.anyOf ? s.anyOf.map((b) => resolve(doc, b)).find((b) => b?.type === 'array') : s;
      s = resolve(doc, branch?.items);
    } else {
      s = resolve(doc, s.properties?.[key]);
    }
  }
  return s;
}

/**
 * The enum of a schema, looking through anyOf branches (e.g. 'all' | Region[] → regions).
 * @param {OpenApiDocument} doc
 * @param {Schema | undefined} schema
 * @returns {unknown[]}
 */
export function enumOf(doc, schema) {
  const s = resolve(doc, schema);
  if (!s) return [];
  if (Array.isArray(s.enum)) return s.enum;
  if (s.items) return enumOf(doc, s.items);
  if (s.anyOf) {
    const arrayBranch = s.anyOf.map((b) => resolve(doc, b)).find((b) => b?.type === 'array');
    if (arrayBranch) return enumOf(doc, arrayBranch);
  }
  return [];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The JSON Schema type of a value (integer for whole numbers).
 * @param {unknown} value
 */
function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeOf(value) === 'object';
}

/**
 * @param {string} type
 * @param {unknown} value
 */
function typeMatches(type, value) {
  const t = typeOf(value);
  if (type === 'number') return t === 'number' || t === 'integer';
  return t === type;
}

/**
 * @param {unknown[]} values
 * @param {number} [max]
 */
function list(values, max = 6) {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  return values.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}

/** @type {Record<string, string>} */
const TYPE_WORDS = { integer: 'a whole number', number: 'a number', string: 'text', boolean: 'yes or no' };

/** @param {string} type */
function describeType(type) {
  return TYPE_WORDS[type] ?? type;
}

/**
 * Validates value against schema; returns [{ path, message }] with path a JSON pointer, like the
 * API's 400 errors. Covers what the TrailRequest schema uses: type, enum, const, anyOf, pattern,
 * format email, min/max length, minimum/maximum, items and min/max/unique items, required,
 * properties, additionalProperties, maxProperties.
 * @param {OpenApiDocument} doc
 * @param {Schema | undefined} schemaIn
 * @param {unknown} value
 * @param {string} [path]
 * @returns {Issue[]}
 */
export function validate(doc, schemaIn, value, path = '') {
  const schema = resolve(doc, schemaIn);
  if (!schema || value === undefined) return [];
  /** @type {Issue[]} */
  const issues = [];
  /**
   * @param {string} message
   * @param {string} [at]
   */
  const fail = (message, at = path) => issues.push({ path: at, message });

  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.map((b) => resolve(doc, b));
    const results = branches.map((b) => validate(doc, b, value, path));
    if (results.some((r) => r.length === 0)) return issues;
    // Report against the branch of the value's own type (an array of ARNs, not 'all').
    const typed = branches.findIndex((b) => b?.type && typeMatches(b.type, value));
    if (typed >= 0) return results[typed];
    const literals = branches.flatMap((b) => b?.enum ?? (b?.const !== undefined ? [b.const] : []));
    fail(literals.length ? `must be ${list(literals)} or a list` : 'is not an accepted value');
    return issues;
  }
  if (schema.type && !typeMatches(schema.type, value)) {
    fail(`must be ${describeType(schema.type)}`);
    return issues;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    fail(`must be one of ${list(schema.enum)}`);
    return issues;
  }
  if (schema.const !== undefined && value !== schema.const) fail(`must be ${JSON.stringify(schema.const)}`);

  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      fail(`must have at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      fail(`must have at most ${schema.maxLength} characters`);
    if (schema.pattern && !compile(schema.pattern).test(value))
      fail(
        schema.description
          ? `is not valid (expected: ${schema.description})`
          : `must match ${schema.pattern}`,
      );
    if (schema.format === 'email' && !EMAIL.test(value)) fail('must be an email address');
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`must be at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      fail(schema.minItems === 1 ? 'must list at least one' : `must list at least ${schema.minItems}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      fail(`must list at most ${schema.maxItems}`);
    if (schema.uniqueItems) {
      const seen = new Set();
      value.forEach((item, i) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) fail(`${showItem(item)} is listed twice`, `${path}/${i}`);
        seen.add(key);
      });
    }
    if (schema.items) {
      for (const [i, item] of value.entries())
        issues.push(...validate(doc, schema.items, item, `${path}/${i}`));
    }
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) fail('is required', `${path}/${key}`);
    }
    const props = schema.properties ?? {};
    for (const [key, v] of Object.entries(value)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (props[key]) issues.push(...validate(doc, props[key], v, at));
      else if (schema.additionalProperties === false) fail('is not an accepted field', at);
      else if (typeof schema.additionalProperties === 'object')
        issues.push(...validate(doc, schema.additionalProperties, v, at));
    }
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties)
      fail(`must have at most ${schema.maxProperties} entries`);
  }
  return issues;
}

/** @param {unknown} item */
function showItem(item) {
  return typeof item === 'string' ? `“${item}”` : JSON.stringify(item);
}

/** @type {Map<string, RegExp>} */
const compiled = new Map();
/**
 * ECMAScript regex of a JSON Schema pattern (unicode mode, as the server's validator compiles it).
 * @param {string} pattern
 */
function compile(pattern) {
  let re = compiled.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = new RegExp(pattern);
    }
    compiled.set(pattern, re);
  }
  return re;
}
