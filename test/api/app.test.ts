import t from 'tap';
import { Type } from 'typebox';
import { buildApp } from '../../src/app.ts';
import { testConfig } from '../../src/config.ts';
import { ACCOUNT, alarmCatalog, ControllableEngine, openTestStore } from './helpers.ts';

t.test('beforeRoutes: its hooks apply to every route and its routes are in the document', async (t) => {
  const app = await buildApp({
    config: testConfig(),
    stores: await openTestStore(),
    engine: new ControllableEngine(),
    alarmCatalog,
    // A route of its own needs its name in the operation table (src/openapi/operations.ts).
    operations: {
      'GET /v1/whoami': { operationId: 'whoami', tag: 'auth', summary: 'Who am I', ok: 'The caller' },
    },
    beforeRoutes: async (app) => {
      // Like an auth plugin: a root-level hook (not encapsulated) and a route of its own.
      app.addHook('onRequest', async (req, reply) => {
        if (req.url.startsWith('/v1/') && req.headers.authorization !== 'Bearer ok') {
          reply.code(401).send({ denied: true });
        }
      });
      app.get(
        '/v1/whoami',
        { schema: { response: { 200: Type.Object({ name: Type.String() }) } } },
        async () => ({
          name: 'tester',
        }),
      );
    },
  });
  t.teardown(() => app.close());
  t.equal((await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).statusCode, 401);
  const allowed = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/trail`,
    headers: { authorization: 'Bearer ok' },
  });
  t.equal(allowed.statusCode, 404, 'reaches the route');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  t.ok(app.swagger().paths?.['/v1/whoami'], 'documented');
});
