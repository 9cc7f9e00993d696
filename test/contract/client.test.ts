// A client generated from openapi/openapi.json (openapi-typescript types + openapi-fetch) drives the API
// over HTTP as a portal would. The types are checked by `tsc` like any code, so a change of the document
// that breaks generated clients breaks the build here.
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import t from 'tap';
import type { paths } from '../../openapi/trailwarden-api.ts';
import { clientTypes } from '../../scripts/client-types.ts';
import { ACCOUNT, makeApp } from '../api/helpers.ts';

t.test('openapi/trailwarden-api.ts is generated from openapi/openapi.json (npm run openapi)', async (t) => {
  const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  const committed = readFileSync(new URL('../../openapi/trailwarden-api.ts', import.meta.url), 'utf8');
  t.equal(committed, await clientTypes(doc), 'stale client types: run `npm run openapi`');
});

t.test('the generated client: token, trail request, preview, operation, lists, errors', async (t) => {
  const { app, engine, adminToken } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const admin = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${adminToken}` } });

  // A requester token for the portal, scoped to one account.
  const created = await admin.POST('/v1/service-tokens', {
    body: { name: 'portal', roles: ['requester'], accounts: [ACCOUNT] },
  });
  t.equal(created.response.status, 201);
  const portalToken = created.data?.token ?? '';
  const location = created.response.headers.get('location') ?? '';
  const id = location.split('/').at(-1) ?? '';
  const fetched = await admin.GET('/v1/service-tokens/{id}', { params: { path: { id } } });
  t.equal(fetched.data?.name, 'portal', 'Location names the token');
  const portal = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${portalToken}` } });

  const put = await portal.PUT('/v1/accounts/{accountId}/trail', {
    params: { path: { accountId: ACCOUNT } },
    body: { homeRegion: 'eu-west-1', alarms: { set: 'essentials' } },
  });
  t.equal(put.response.status, 201);
  t.equal(put.data?.spec.homeRegion, 'eu-west-1');
  const etag = put.response.headers.get('etag') ?? '';

  const preview = await portal.POST('/v1/accounts/{accountId}/trail/previews', {
    params: { path: { accountId: ACCOUNT }, header: { 'if-match': etag } },
  });
  t.equal(preview.response.status, 202);
  t.equal(preview.response.headers.get('location'), preview.data?.links.self);
  await app.operationQueue.settled(preview.data?.id ?? '');
  const op = await portal.GET('/v1/operations/{operationId}', {
    params: { path: { operationId: preview.data?.id ?? '' } },
  });
  t.equal(op.data?.state, 'succeeded');
  t.equal(op.data?.kind, 'preview');

  const stale = await portal.POST('/v1/accounts/{accountId}/trail/applies', {
    params: { path: { accountId: ACCOUNT }, header: { 'if-match': '"v99"' } },
  });
  t.equal(stale.response.status, 412);
  t.equal(stale.error?.code, 'etag_mismatch', 'errors are typed problems with a catalogued code');

  const accounts = await portal.GET('/v1/accounts', { params: { query: { limit: 1 } } });
  t.same(
    accounts.data?.items.map((a) => a.accountId),
    [ACCOUNT],
  );
  t.equal(accounts.data?.nextCursor, null);

  const forbidden = await portal.GET('/v1/audit', {});
  t.equal(forbidden.response.status, 403);
  t.equal(forbidden.error?.code, 'insufficient_role');

  const invalid = await portal.PUT('/v1/accounts/{accountId}/trail', {
    params: { path: { accountId: ACCOUNT } },
    // A value the types refuse too: the client would not compile without the cast.
    body: { homeRegion: 'moon-1' } as unknown as { homeRegion: 'eu-west-1' },
  });
  t.equal(invalid.response.status, 400);
  t.match(invalid.error?.errors, [{ path: '/homeRegion' }]);
});
