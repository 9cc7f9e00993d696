// The document as a portal's client generator reads it: every operation named, tagged and summarised from
// the one table (src/openapi/operations.ts), every answer documented with a schema and an example, and the
// answers the service really gives matching those documents.
import ajv2020 from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { ERROR_CATALOGUE, ProblemSchema } from '../../src/errors.ts';
import { OPERATIONS } from '../../src/openapi/operations.ts';
import { ACCOUNT, makeApp, putTrail } from '../api/helpers.ts';
import { appWithRoutes, documentOperations } from '../helpers/routes.ts';

type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
};
type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown;
  requestBody?: unknown;
  deprecated?: boolean;
  responses: Record<
    string,
    {
      description: string;
      headers?: Record<string, unknown>;
      content?: Record<string, { schema?: unknown; example?: unknown }>;
    }
  >;
};

const toFastifyPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');

t.test('every operation has a unique operationId, a tag and a summary from the one table', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const doc = app.swagger() as unknown as Doc;
  const ids = new Set<string>();
  const documented = new Set<string>();
  for (const { path, method, op } of documentOperations<Operation>(doc)) {
    const key = `${method.toUpperCase()} ${toFastifyPath(path)}`;
    documented.add(key);
    const entry = OPERATIONS[key];
    t.ok(entry, `${key} is in src/openapi/operations.ts`);
    t.equal(op.operationId, entry?.operationId, `${key}: operationId`);
    t.notOk(ids.has(op.operationId ?? ''), `${op.operationId} is unique`);
    ids.add(op.operationId ?? '');
    t.ok(op.summary, `${key}: summary`);
    t.same(op.tags, [entry?.tag], `${key}: tag`);
  }
  t.same([...documented].sort(), Object.keys(OPERATIONS).sort(), 'no table entry names a route that is gone');
});

t.test('every answer is documented with a schema and an example; errors as problems', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const doc = app.swagger() as unknown as Doc;
  for (const { path, method, op } of documentOperations<Operation>(doc)) {
    const key = `${method.toUpperCase()} ${path}`;
    const statuses = Object.keys(op.responses);
    // A deprecated path that moved answers a redirect (with Location) instead.
    t.ok(
      statuses.some((s) => s.startsWith('2') || (op.deprecated && s.startsWith('3'))),
      `${key}: its success`,
    );
    for (const [status, res] of Object.entries(op.responses)) {
      t.not(res.description, 'Default Response', `${key} ${status}: described`);
    }
    for (const s of ['400', '429']) t.ok(op.responses[s], `${key}: ${s}`);
    if (op.security) for (const s of ['401', '403']) t.ok(op.responses[s], `${key}: ${s} (authenticated)`);
    if (op.requestBody || ['post', 'put', 'delete'].includes(method)) {
      for (const s of ['413', '415']) t.ok(op.responses[s], `${key}: ${s} (takes a body)`);
    }
    t.ok(op.responses['429']?.headers?.['retry-after'], `${key}: 429 has Retry-After`);
    for (const [status, res] of Object.entries(op.responses)) {
      if (status.startsWith('2')) {
        for (const [type, media] of Object.entries(res.content ?? {})) {
          t.ok(media.example !== undefined, `${key} ${status} ${type}: an example`);
        }
        continue;
      }
      if (status.startsWith('3')) {
        t.ok(op.deprecated, `${key} ${status}: only a deprecated path redirects`);
        t.ok(res.headers?.['location'], `${key} ${status}: Location documented`);
        continue;
      }
      const media = res.content?.['application/problem+json'];
      t.ok(media?.schema, `${key} ${status}: problem+json schema`);
      t.ok(Value.Check(ProblemSchema, media?.example), `${key} ${status}: the example is a Problem`);
      t.equal(
        (media?.example as { status?: number } | undefined)?.status,
        Number(status),
        `${key} ${status}: example status`,
      );
    }
  }
  const codes = doc.components.schemas['Problem']?.properties?.['code']?.enum;
  t.same(codes, Object.keys(ERROR_CATALOGUE), 'the Problem code enum is the catalogue');
});

t.test(
  'every success example satisfies its schema, references resolved as a client resolves them',
  async (t) => {
    const { app } = await makeApp();
    t.teardown(() => app.close());
    const doc = app.swagger() as unknown as Doc;
    // The document's own references, against the document: a JSON Schema 2020-12 validator (OpenAPI
    // 3.1's dialect), formats checked; OpenAPI's `example` and friends are annotations to it.
    // CommonJS modules: their default export is the module object's `default`.
    const Ajv2020 = ajv2020.default;
    const addFormats = ajvFormats.default;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    const rebased = (schema: unknown): unknown =>
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    let checked = 0;
    for (const { path, method, op } of documentOperations<Operation>(doc)) {
      for (const [status, res] of Object.entries(op.responses)) {
        if (!status.startsWith('2')) continue;
        const media = res.content?.['application/json'];
        if (!media?.schema || media.example === undefined) continue;
        const validate = ajv.compile(rebased(media.schema) as object);
        const ok = validate(media.example);
        t.ok(
          ok,
          `${method.toUpperCase()} ${path} ${status}: example valid ${ok ? '' : ajv.errorsText(validate.errors)}`,
        );
        checked++;
      }
    }
    t.ok(checked >= 30, `${checked} success examples checked`);
    for (const key of [
      'GET /v1/accounts/{accountId}/drift-reports',
      'GET /v1/approvals',
      'GET /v1/operations/{operationId}/plan',
    ]) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method.toLowerCase()] as Operation | undefined;
      t.ok(
        op?.responses['200']?.content?.['application/json']?.example,
        `${key}: has its hand-written example`,
      );
    }
  },
);

t.test('a route without a table entry stops the app from starting', async (t) => {
  await t.rejects(
    appWithRoutes({
      extraRoutes: (instance) => {
        instance.get(
          '/v1/unnamed',
          {
            config: { access: { role: 'viewer' } },
            schema: { response: { 200: Type.Object({}) } },
          },
          async () => ({}),
        );
      },
    }),
    /routes without an entry in src\/openapi\/operations\.ts.*GET \/v1\/unnamed/,
  );
});

t.test('undeclared methods answer 405 with Allow, as problems', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  for (const [method, url, allow] of [
    ['TRACE', `/v1/accounts/${ACCOUNT}/trail`, 'DELETE, GET, HEAD, PUT'],
    ['PATCH', `/v1/accounts/${ACCOUNT}/trail`, 'DELETE, GET, HEAD, PUT'],
    ['QUERY', '/v1/accounts', 'GET, HEAD'],
    ['DELETE', '/v1/operations/00000000-0000-4000-8000-000000000000/cancel', 'POST'],
  ] as const) {
    const res = await app.inject({ method: method as 'GET', url });
    t.equal(res.statusCode, 405, `${method} ${url}`);
    t.equal(res.headers['allow'], allow, `${method} ${url}: Allow`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.json().code, 'method_not_allowed');
  }
  t.equal((await app.inject({ method: 'TRACE', url: '/v1/nothing-here' })).statusCode, 404, 'unknown path');
});

t.test('the error answers the service gives match the catalogue and the documents', async (t) => {
  const { app, tokenFor } = await makeApp();
  t.teardown(() => app.close());
  const viewer = await tokenFor(['viewer'], ['999999999999']);
  const cases: [
    string,
    { method: string; url: string; headers?: Record<string, string>; payload?: string },
    number,
    string,
  ][] = [
    [
      'bad JSON',
      {
        method: 'PUT',
        url: `/v1/accounts/${ACCOUNT}/trail`,
        headers: { 'content-type': 'application/json' },
        payload: '{',
      },
      400,
      'invalid_json',
    ],
    [
      'media type',
      {
        method: 'PUT',
        url: `/v1/accounts/${ACCOUNT}/trail`,
        headers: { 'content-type': 'application/xml' },
        payload: 'x',
      },
      415,
      'unsupported_media_type',
    ],
    [
      'too large',
      {
        method: 'PUT',
        url: `/v1/accounts/${ACCOUNT}/trail`,
        headers: { 'content-type': 'application/json' },
        payload: `{"x":"${'a'.repeat(300000)}"}`,
      },
      413,
      'body_too_large',
    ],
    ['limit=true', { method: 'GET', url: '/v1/accounts?limit=true' }, 400, 'validation_failed'],
    ['no token', { method: 'GET', url: '/v1/accounts', headers: { authorization: '' } }, 401, 'unauthorized'],
    [
      'scope',
      { method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail`, headers: { authorization: `Bearer ${viewer}` } },
      403,
      'account_not_in_scope',
    ],
  ];
  const doc = app.swagger() as unknown as Doc;
  for (const [name, req, status, code] of cases) {
    const res = await app.inject(req as InjectOptions);
    t.equal(res.statusCode, status, `${name}: status`);
    const body = res.json();
    t.equal(body.code, code, `${name}: code`);
    t.equal(
      ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE]?.status,
      status,
      `${name}: catalogued with its status`,
    );
    t.ok(Value.Check(ProblemSchema, body), `${name}: a Problem`);
    const path = Object.keys(doc.paths).find((p) =>
      new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(req.url.split('?')[0]!),
    );
    t.ok(path && doc.paths[path]?.[req.method.toLowerCase()]?.['responses'], `${name}: documented operation`);
    const responses = doc.paths[path!]![req.method.toLowerCase()]!['responses'] as Record<string, unknown>;
    t.ok(responses[String(status)], `${name}: ${status} is documented`);
  }
});

t.test('the rate limit answers 429 with Retry-After, as documented', async (t) => {
  const { app } = await makeApp({ auth: { rateLimit: { max: 3, timeWindowMs: 60000 } } });
  t.teardown(() => app.close());
  let limited: Awaited<ReturnType<typeof app.inject>> | undefined;
  for (let i = 0; i < 10 && !limited; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/alarm-sets' });
    if (res.statusCode === 429) limited = res;
  }
  t.ok(limited, 'the rate limit answers 429');
  t.equal(limited?.json().code, 'rate_limited');
  t.match(limited?.headers['retry-after'], /^\d+$/, 'Retry-After in seconds');
});

t.test('consistent resources: If-Match, cursors, Location, unknown accounts', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const empty = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${ACCOUNT}/trail/previews`,
    headers: { 'if-match': '' },
  });
  t.equal(empty.statusCode, 400, 'an empty If-Match is a bad field, not a stale version');
  t.match(empty.json().errors, [{ path: '/if-match', in: 'headers' }]);
  const stale = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${ACCOUNT}/trail/previews`,
    headers: { 'if-match': '"v9"' },
  });
  t.equal(stale.statusCode, 412);

  // Any well-formed cursor is a position: never a 400.
  for (const url of [
    '/v1/accounts?cursor=Zm9v',
    '/v1/audit?cursor=AAAA',
    '/v1/reconciliations?cursor=zz',
    `/v1/accounts/${ACCOUNT}/operations?cursor=${'0'.repeat(100)}`,
    `/v1/accounts/${ACCOUNT}/trail/versions?cursor=${'0'.repeat(100)}`,
    `/v1/drift?cursor=${'0'.repeat(200)}`,
  ]) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
  const page1 = (await app.inject({ method: 'GET', url: '/v1/audit?limit=1' })).json();
  t.type(page1.nextCursor, 'string', 'the audit log pages with an opaque cursor too');
  const page2 = (
    await app.inject({ method: 'GET', url: `/v1/audit?limit=1&cursor=${page1.nextCursor}` })
  ).json();
  t.ok(page2.items[0].seq < page1.items[0].seq, 'the next page is older');

  const created = await app.inject({
    method: 'POST',
    url: '/v1/service-tokens',
    payload: { name: 'portal', roles: ['viewer'] },
  });
  t.equal(created.statusCode, 201, 'accounts and expiresInDays have defaults: optional');
  const token = await app.inject({ method: 'GET', url: created.headers['location'] as string });
  t.equal(token.statusCode, 200, 'the Location of a created token resolves');
  t.equal(token.json().name, 'portal');
  t.notOk('token' in token.json(), 'never the secret');

  const unknown = await app.inject({ method: 'GET', url: '/v1/accounts/000000000001/external-trails' });
  t.equal(unknown.statusCode, 404, 'external trails of an unknown account: 404, as remediation-policy');
  t.equal(unknown.json().code, 'account_not_found');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/accounts/000000000001/remediation-policy' })).statusCode,
    404,
  );
});
