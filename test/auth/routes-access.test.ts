// The real app (as src/main.ts wires it): every route declares its access, and each kind of route —
// read, mutate, operation (account looked up by id), admin — answers 401 without or with a bad token,
// 403 for a role too low or an account outside the caller's scope, and succeeds for the right caller.

import t from 'tap';
import { Type } from 'typebox';
import { describeAccess, listRouteAccess } from '../../src/auth/access.ts';
import { ACCOUNT, makeApp, OTHER_ACCOUNT, putTrail } from '../api/helpers.ts';
import { appWithRoutes, documentOperations } from '../helpers/routes.ts';

/** What every route of the app declares (HEAD routes mirror their GET). */
const EXPECTED: Record<string, string> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  'GET /': 'public',
  'GET /accounts': 'public',
  'GET /accounts/:accountId': 'public',
  'GET /operations/:operationId': 'public',
  'GET /drift': 'public',
  'GET /approvals': 'public',
  'GET /assets/:name': 'public',
  'GET /assets/settings.json': 'public',
  'GET /v1/accounts': 'role=viewer',
  'GET /v1/alarm-sets': 'role=viewer',
  'GET /v1/drift': 'role=viewer',
  'GET /v1/reconciliations': 'role=viewer',
  'GET /v1/reconciliations/:reconciliationId': 'role=viewer',
  'GET /v1/accounts/:accountId/trail': 'role=viewer account=params.accountId',
  'GET /v1/accounts/:accountId/external-trails': 'role=viewer account=params.accountId',
  'GET /v1/accounts/:accountId/drift-reports': 'role=viewer account=params.accountId',
  'GET /v1/accounts/:accountId/coverage': 'role=viewer account=params.accountId',
  'POST /v1/coverage-reports': 'role=viewer',
  'GET /v1/accounts/:accountId/remediation-policy': 'role=viewer account=params.accountId',
  'GET /v1/operations/:operationId': 'role=viewer account=<resolver>',
  'GET /v1/operations/:operationId/plan': 'role=viewer account=<resolver>',
  'GET /v1/accounts/:accountId/operations': 'role=viewer account=params.accountId',
  'GET /v1/accounts/:accountId/trail/versions': 'role=viewer account=params.accountId',
  'GET /v1/operations/:operationId/events': 'role=viewer account=<resolver>',
  'PUT /v1/accounts/:accountId/trail': 'role=requester account=params.accountId',
  'DELETE /v1/accounts/:accountId/trail': 'role=requester account=params.accountId',
  'PUT /v1/accounts/:accountId/external-trails': 'role=requester account=params.accountId',
  'POST /v1/accounts/:accountId/trail/previews': 'role=requester account=params.accountId',
  'POST /v1/accounts/:accountId/trail/applies': 'role=requester account=params.accountId',
  'POST /v1/accounts/:accountId/trail/drift-checks': 'role=requester account=params.accountId',
  'POST /v1/accounts/:accountId/drift-checks': 'role=requester account=params.accountId',
  'POST /v1/operations/:operationId/cancel': 'role=requester account=<resolver>',
  'POST /v1/operations/:operationId/retry': 'role=requester account=<resolver>',
  'POST /v1/operations/:operationId/approve': 'role=approver account=<resolver>',
  'POST /v1/operations/:operationId/reject': 'role=approver account=<resolver>',
  // Filtered to what the caller may approve.
  'GET /v1/approvals': 'role=approver',
  'POST /v1/accounts/:accountId/drift-reports/:reportId/converge': 'role=requester account=params.accountId',
  'PUT /v1/accounts/:accountId/remediation-policy': 'role=admin account=params.accountId',
  'POST /v1/reconciliations': 'role=admin',
  'POST /v1/service-tokens': 'role=admin',
  'GET /v1/service-tokens': 'role=admin',
  'GET /v1/service-tokens/:id': 'role=admin',
  'DELETE /v1/service-tokens/:id': 'role=admin',
  'GET /v1/audit': 'role=admin',
  'GET /v1/audit/verify': 'role=admin',
};

t.test('every route of the app declares its access, as listed here', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const routes = listRouteAccess(app);
  t.ok(routes.length > 40, `${routes.length} routes`);
  const seen = new Set<string>();
  for (const r of routes) {
    const key = `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;
    t.ok(r.access === 'public' || r.access.role, `${r.method} ${r.url} declares its access`);
    if (r.url === '/docs' || r.url.startsWith('/docs/')) {
      t.equal(r.access, 'public', `${r.method} ${r.url}: swagger-ui is public`);
      continue;
    }
    seen.add(key);
    t.equal(describeAccess(r.access), EXPECTED[key] ?? '(not expected)', `${r.method} ${r.url}`);
  }
  t.same([...seen].sort(), Object.keys(EXPECTED).sort(), 'no expected route is missing');
  t.ok(
    routes.filter((r) => r.url.startsWith('/v1/')).every((r) => r.access !== 'public'),
    'no /v1 route is public',
  );

  // The OpenAPI document: every /v1 operation needs the bearer token.
  const doc = (
    await app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: null } as never })
  ).json() as {
    paths: Record<string, Record<string, { security?: unknown }>>;
    components: Record<string, unknown>;
  };
  t.ok((doc.components['securitySchemes'] as Record<string, unknown>)['bearerAuth']);
  for (const { path, method, op } of documentOperations(doc)) {
    if (path.startsWith('/v1/'))
      t.same(op.security, [{ bearerAuth: [] }], `${method} ${path} in the document`);
    else t.notOk(op.security, `${method} ${path} is public in the document`);
  }
});

t.test('a route that declares nothing makes the real app fail to start', async (t) => {
  await t.rejects(
    appWithRoutes({
      extraRoutes: (instance) => {
        instance.get('/v1/forgotten', { schema: { response: { 200: Type.Object({}) } } }, async () => ({}));
      },
    }),
    /route GET \/v1\/forgotten declares no access/,
  );
});

t.test('401, 403 and success on read, mutate, operation and admin routes', async (t) => {
  const { app, engine, tokenFor } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  t.equal((await putTrail(app, ACCOUNT)).statusCode, 201);
  t.equal((await putTrail(app, OTHER_ACCOUNT)).statusCode, 201);

  const viewer = await tokenFor(['viewer'], [ACCOUNT]);
  const requester = await tokenFor(['requester'], [ACCOUNT]);
  const approver = await tokenFor(['approver'], ['*']);
  const allViewer = await tokenFor(['viewer'], ['*']);
  const noRole = await tokenFor([], ['*']);
  const admin = await tokenFor(['admin'], []);

  type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
  const call = async (method: Method, url: string, token: string | null, payload?: object) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: token === null ? null : `Bearer ${token}` } as never,
      ...(payload ? { payload } : {}),
    });
    return {
      status: res.statusCode,
      code: res.statusCode >= 400 ? (res.json() as { code?: string }).code : undefined,
      body: res.json() as Record<string, unknown>,
    };
  };
  const unauthenticated = async (method: Method, url: string, payload?: object) => {
    const none = await call(method, url, null, payload);
    t.same([none.status, none.code], [401, 'unauthorized'], `${method} ${url}: no token`);
    const bad = await call(
      method,
      url,
      'twst_0123456789abcdef_notavalidtokennotavalidtokennotavalidtok',
      payload,
    );
    t.same([bad.status, bad.code], [401, 'unauthorized'], `${method} ${url}: unknown token`);
    const garbage = await call(method, url, 'not-a-token-but-long-enough', payload);
    t.equal(garbage.status, 401, `${method} ${url}: not a token`);
  };
  const forbidden = async (
    method: Method,
    url: string,
    token: string,
    code: string,
    what: string,
    payload?: object,
  ) => {
    const res = await call(method, url, token, payload);
    t.same([res.status, res.code], [403, code], `${method} ${url}: ${what}`);
  };

  // ---- read ----
  const read = (account: string) => `/v1/accounts/${account}/trail`;
  await unauthenticated('GET', read(ACCOUNT));
  t.equal((await call('GET', read(ACCOUNT), viewer)).status, 200, 'viewer reads its account');
  await forbidden('GET', read(OTHER_ACCOUNT), viewer, 'account_not_in_scope', 'viewer, other account');
  await forbidden('GET', read(ACCOUNT), noRole, 'insufficient_role', 'no role');
  t.equal((await call('GET', read(OTHER_ACCOUNT), admin)).status, 200, 'admin reads any account');

  // ---- mutate ----
  const mutate = (account: string) => `/v1/accounts/${account}/trail/previews`;
  await unauthenticated('POST', mutate(ACCOUNT));
  await forbidden('POST', mutate(ACCOUNT), viewer, 'insufficient_role', 'viewer cannot mutate');
  await forbidden(
    'POST',
    mutate(OTHER_ACCOUNT),
    requester,
    'account_not_in_scope',
    'requester, other account',
  );
  const preview = await call('POST', mutate(ACCOUNT), requester);
  t.equal(preview.status, 202, 'requester previews its account');
  const opId = preview.body['id'] as string;
  await app.operationQueue.settled(opId);
  await forbidden('PUT', read(OTHER_ACCOUNT), requester, 'account_not_in_scope', 'PUT trail, other account', {
    homeRegion: 'us-east-1',
  });
  await forbidden('DELETE', read(ACCOUNT), viewer, 'insufficient_role', 'viewer cannot decommission');

  // ---- operation routes: the account comes from the operation ----
  const op = `/v1/operations/${opId}`;
  await unauthenticated('GET', op);
  t.equal((await call('GET', op, viewer)).status, 200, 'viewer reads an operation of its account');
  const otherOp = (await call('POST', mutate(OTHER_ACCOUNT), admin)).body['id'] as string;
  await app.operationQueue.settled(otherOp);
  // Out of scope looks exactly like unknown: 404, so the answer reveals neither existence nor account.
  const hidden = async (method: Method, url: string, token: string, what: string) => {
    const res = await call(method, url, token);
    t.same([res.status, res.code], [404, 'operation_not_found'], `${method} ${url}: ${what}`);
  };
  await hidden('GET', `/v1/operations/${otherOp}`, viewer, 'operation of another account');
  await hidden('POST', `/v1/operations/${otherOp}/retry`, requester, 'retry, other account');
  await forbidden('POST', `${op}/retry`, viewer, 'insufficient_role', 'viewer cannot retry');
  const unknown = '00000000-0000-4000-8000-000000000000';
  await hidden('GET', `/v1/operations/${unknown}`, viewer, 'unknown id reveals nothing');
  t.equal((await call('GET', `/v1/operations/${unknown}`, allViewer)).status, 404, 'all-account viewer: 404');
  t.equal(
    (await call('POST', `${op}/retry`, requester)).status,
    409,
    'requester reaches retry (succeeded: 409)',
  );

  // ---- admin ----
  for (const [method, url, payload] of [
    ['POST', '/v1/reconciliations', undefined],
    ['GET', '/v1/audit', undefined],
    ['GET', '/v1/service-tokens', undefined],
    ['PUT', `/v1/accounts/${ACCOUNT}/remediation-policy`, { policy: 'remediate' }],
  ] as const) {
    await unauthenticated(method, url, payload);
    await forbidden(method, url, approver, 'insufficient_role', 'approver is not admin', payload);
  }
  t.equal((await call('GET', '/v1/audit', admin)).status, 200, 'admin reads the audit trail');
  t.equal(
    (await call('PUT', `/v1/accounts/${ACCOUNT}/remediation-policy`, admin, { policy: 'report' })).status,
    200,
    'admin sets a remediation policy',
  );
  const run = await call('POST', '/v1/reconciliations', admin);
  t.equal(run.status, 202, 'admin starts a reconciliation');
  await app.reconciler.whenFinished(run.body['id'] as string);

  // ---- listings are filtered to the caller's accounts ----
  const ids = (items: unknown) => (items as { accountId: string }[]).map((i) => i.accountId);
  t.same(ids((await call('GET', '/v1/accounts', viewer)).body['items']), [ACCOUNT], 'accounts: own only');
  const firstPage = await call('GET', '/v1/accounts?limit=1', viewer);
  t.same(
    [ids(firstPage.body['items']), firstPage.body['nextCursor']],
    [[ACCOUNT], null],
    'no next page of others',
  );
  t.equal(
    ((await call('GET', '/v1/accounts', allViewer)).body['items'] as unknown[]).length,
    2,
    '* sees all',
  );
  t.equal(((await call('GET', '/v1/accounts', admin)).body['items'] as unknown[]).length, 2, 'admin: all');
  const fleet = (await call('GET', '/v1/drift', viewer)).body as {
    accounts: unknown;
    counts: Record<string, number>;
  };
  t.same(ids(fleet.accounts), [ACCOUNT], 'fleet drift: own only');
  t.equal(
    Object.values(fleet.counts).reduce((a, b) => a + b, 0),
    1,
    'fleet counts: own only',
  );
  const runs = (await call('GET', '/v1/reconciliations', viewer)).body['items'] as {
    accounts: unknown;
    totals: { accounts: number };
  }[];
  for (const r of runs) {
    t.ok(
      ids(r.accounts).every((id) => id === ACCOUNT),
      'reconciliation outcomes: own only',
    );
    t.ok(r.totals.accounts <= 1);
  }

  // ---- the audit trail names who did what ----
  const audit = (await call('GET', `/v1/audit?accountId=${ACCOUNT}`, admin)).body['items'] as {
    action: string;
    actor: string;
    outcome: string;
  }[];
  t.ok(
    audit.some(
      (e) =>
        e.action === 'POST /v1/accounts/:accountId/trail/previews' &&
        e.outcome === '202' &&
        e.actor.startsWith('svc:'),
    ),
    'the preview is in the audit trail with its caller',
  );
  t.ok(
    audit.some((e) => e.outcome === '403'),
    'refused calls too',
  );
  t.ok(
    audit.some((e) => e.action === 'operation.succeeded'),
    'and operation state changes',
  );
  t.equal((await call('GET', '/v1/audit/verify', admin)).body['ok'] as boolean, true, 'the chain verifies');
});
