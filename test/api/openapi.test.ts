import { readFileSync } from 'node:fs';
import t from 'tap';
import { makeApp } from './helpers.ts';

t.test('openapi/openapi.json equals the served document (regenerate: npm run openapi)', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const served = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(served.statusCode, 200);
  const file = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  t.same(file, served.json(), 'openapi/openapi.json is stale: run `npm run openapi`');
  t.same(served.json(), app.swagger(), 'served as generated');
  const ui = await app.inject({ method: 'GET', url: '/docs/json' });
  t.same(ui.json(), served.json(), 'Swagger UI reads the same document');
});

t.test('the document describes the API from the route schemas', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  t.equal(doc.openapi, '3.1.0');
  const put = doc.paths['/v1/accounts/{accountId}/trail'].put;
  t.same(put.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/TrailRequest' });
  const trailRequest = doc.components.schemas.TrailRequest;
  t.ok(trailRequest.properties.homeRegion, 'the TrailRequest schema is the request body');
  t.equal(trailRequest.additionalProperties, false);
  t.same(put.responses['200'].content['application/json'].schema, {
    $ref: '#/components/schemas/TrailState',
  });
  t.same(doc.components.schemas.TrailState.properties.spec, { $ref: '#/components/schemas/TrailRequest' });
  // Every $ref points at a component that exists.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
    (m) => m[1],
  );
  t.ok(refs.length > 10);
  for (const name of new Set(refs)) t.ok(doc.components.schemas[name as string], `component ${name}`);
  t.ok(put.responses['412'].content['application/problem+json'], 'errors are problem+json');
  t.ok(doc.components.schemas.TrailRequest, 'named component');
  t.ok(doc.components.schemas.Operation);
  const events = doc.paths['/v1/operations/{operationId}/events'].get.responses['200'].content;
  t.ok(events['text/event-stream'] && events['application/json']);
  const deleteParams = doc.paths['/v1/accounts/{accountId}/trail'].delete.parameters;
  t.ok(
    deleteParams.some((p: { name: string }) => p.name === 'retainData'),
    'retainData documented',
  );

  const ui = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.match(ui.headers['content-type'], /text\/html/);
});
