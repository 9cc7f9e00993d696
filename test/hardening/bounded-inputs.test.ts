// Every input is bounded: each string in a request body, query, path or header schema has a maxLength
// (or is an enum/const), each array a maxItems, each open map a maxProperties and bounded keys. Walks the
// schemas of every route the app registers, and the served OpenAPI document.
import t from 'tap';
import { appWithRoutes, documentOperations } from '../helpers/routes.ts';

type Schema = Record<string, unknown>;
const PARTS = ['body', 'querystring', 'params', 'headers'] as const;

/** Where a schema node lets unbounded input through; empty when everything is bounded. */
export function unboundedPaths(schema: unknown, at: string, part: string): string[] {
  if (schema === true || schema === undefined) return [`${at}: accepts anything`];
  if (schema === false || schema === null || typeof schema !== 'object') return [];
  const s = schema as Schema;
  const out: string[] = [];
  if ('$ref' in s) return [`${at}: $ref ${String(s['$ref'])} not resolved (inline it or teach this walker)`];
  if ('enum' in s || 'const' in s) return [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) {
      for (const [i, sub] of list.entries()) out.push(...unboundedPaths(sub, `${at}/${key}/${i}`, part));
    }
  }
  const types = Array.isArray(s['type']) ? (s['type'] as string[]) : s['type'] ? [s['type'] as string] : [];
  if (types.length === 0 && out.length === 0 && !('anyOf' in s || 'oneOf' in s || 'allOf' in s)) {
    return [`${at}: no type (accepts anything)`];
  }
  if (types.includes('string') && typeof s['maxLength'] !== 'number')
    out.push(`${at}: string without maxLength`);
  if (types.includes('array')) {
    if (typeof s['maxItems'] !== 'number') out.push(`${at}: array without maxItems`);
    if (s['items'] !== undefined) out.push(...unboundedPaths(s['items'], `${at}/items`, part));
    if (Array.isArray(s['prefixItems'])) {
      for (const [i, sub] of s['prefixItems'].entries())
        out.push(...unboundedPaths(sub, `${at}/prefixItems/${i}`, part));
    }
  }
  if (types.includes('object')) {
    const props = (s['properties'] ?? {}) as Record<string, unknown>;
    for (const [name, sub] of Object.entries(props)) out.push(...unboundedPaths(sub, `${at}/${name}`, part));
    const patterns = (s['patternProperties'] ?? {}) as Record<string, unknown>;
    for (const [p, sub] of Object.entries(patterns)) out.push(...unboundedPaths(sub, `${at}/{${p}}`, part));
    const extra = s['additionalProperties'];
    if (extra !== undefined && typeof extra === 'object' && extra !== null)
      out.push(...unboundedPaths(extra, `${at}/*`, part));
    // Headers always carry more than a route declares; the server's header limit bounds them.
    const open = Object.keys(patterns).length > 0 || (extra !== false && part !== 'headers');
    if (open && part === 'body') {
      if (typeof s['maxProperties'] !== 'number') out.push(`${at}: open object without maxProperties`);
      if (s['propertyNames'] === undefined && extra !== false)
        out.push(`${at}: open object without propertyNames (unbounded keys)`);
    }
    if (s['propertyNames'] !== undefined)
      out.push(...unboundedPaths(s['propertyNames'], `${at}/propertyNames`, part));
  }
  return out;
}

t.test('every request schema of every route is bounded', async (t) => {
  const { app, routes } = await appWithRoutes();
  t.teardown(() => app.close());
  const v1 = routes.filter((r) => r.url.startsWith('/v1/'));
  t.ok(v1.length >= 25, `${v1.length} /v1 routes registered`);
  let checked = 0;
  const problems: string[] = [];
  // A $ref names a shared schema (addSchema): walked as if inline, as the validator checks it.
  const shared = app.getSchemas() as Record<string, unknown>;
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline);
    if (!node || typeof node !== 'object') return node;
    const ref = (node as Schema)['$ref'];
    if (typeof ref === 'string' && Object.hasOwn(shared, ref)) return inline(shared[ref]);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]));
  };
  for (const route of routes) {
    const schema = (route.schema ?? {}) as Schema;
    for (const part of PARTS) {
      if (schema[part] === undefined) continue;
      checked++;
      const plain = inline(JSON.parse(JSON.stringify(schema[part]))) as Schema;
      const label = `${String(route.method)} ${route.url} ${part}`;
      // Fastify also takes a body keyed by media type ({ content: { type: { schema } } }).
      const content =
        part === 'body' && !plain.type ? (plain.content as Record<string, Schema> | undefined) : undefined;
      if (content)
        for (const [type, media] of Object.entries(content))
          problems.push(...unboundedPaths(media['schema'], `${label} ${type}`, part));
      else problems.push(...unboundedPaths(plain, label, part));
    }
    // A route that takes a body must declare its schema (else the body is unvalidated).
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((m) => m === 'PUT' || m === 'PATCH') && schema['body'] === undefined)
      problems.push(`${methods.join(',')} ${route.url}: takes a body without a schema`);
  }
  t.ok(checked >= 40, `${checked} request schemas walked`);
  t.same(problems, [], 'no unbounded array, string or map');
});

t.test('the served OpenAPI document shows the same bounds to clients', async (t) => {
  const { app } = await appWithRoutes();
  t.teardown(() => app.close());
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const components = doc.components.schemas as Record<string, unknown>;
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!node || typeof node !== 'object') return node;
    const ref = (node as Schema)['$ref'];
    if (typeof ref === 'string') return resolve(components[ref.replace('#/components/schemas/', '')]);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
  };
  const problems: string[] = [];
  let checked = 0;
  for (const { path, method, op } of documentOperations<Schema>(doc)) {
    for (const p of (op['parameters'] ?? []) as { name: string; in: string; schema: unknown }[]) {
      checked++;
      problems.push(...unboundedPaths(resolve(p.schema), `${method} ${path} ${p.in}.${p.name}`, p.in));
    }
    const content = (op['requestBody'] as { content?: Record<string, { schema: unknown }> } | undefined)
      ?.content;
    for (const [type, media] of Object.entries(content ?? {})) {
      checked++;
      problems.push(...unboundedPaths(resolve(media.schema), `${method} ${path} body ${type}`, 'body'));
    }
  }
  t.ok(checked >= 40, `${checked} parameters and bodies walked`);
  t.same(problems, [], 'no unbounded array, string or map in the document');
});

t.test('the walker finds what is unbounded', async (t) => {
  t.same(unboundedPaths({ type: 'string' }, 'x', 'body'), ['x: string without maxLength']);
  t.same(unboundedPaths({ type: 'array', items: { type: 'string', maxLength: 1 } }, 'x', 'body'), [
    'x: array without maxItems',
  ]);
  t.same(
    unboundedPaths(
      { type: 'object', patternProperties: { '^.*$': { type: 'string', maxLength: 2 } } },
      'x',
      'body',
    ),
    ['x: open object without maxProperties', 'x: open object without propertyNames (unbounded keys)'],
  );
  t.same(
    unboundedPaths({ anyOf: [{ const: 'all' }, { type: 'array', items: { enum: ['a'] } }] }, 'x', 'body'),
    ['x/anyOf/1: array without maxItems'],
  );
  t.same(unboundedPaths({}, 'x', 'body'), ['x: no type (accepts anything)']);
  t.same(unboundedPaths({ type: 'integer' }, 'x', 'body'), []);
});
