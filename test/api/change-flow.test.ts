// The change flow over HTTP with the controllable engine: a draft preview stores nothing (spec,
// version, status stay), an update without If-Match is 428 (a create is not), an apply confirmed
// from a preview is refused with 409 once the spec or the recorded state moved on, converge from a
// drift report previews the applied spec, and service tokens take their documented defaults.
import t from 'tap';
import { ACCOUNT, makeApp, putTrail } from './helpers.ts';

const trailUrl = `/v1/accounts/${ACCOUNT}/trail`;

t.test('PUT: create without If-Match, update only with it (428 problem+json otherwise)', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const created = await app.inject({ method: 'PUT', url: trailUrl, payload: { homeRegion: 'us-east-1' } });
  t.equal(created.statusCode, 201, 'creating needs no If-Match');
  const blind = await app.inject({ method: 'PUT', url: trailUrl, payload: { homeRegion: 'eu-west-1' } });
  t.equal(blind.statusCode, 428, 'an update without If-Match');
  t.match(blind.headers['content-type'], /application\/problem\+json/);
  t.match(blind.json(), { status: 428, code: 'if_match_required', detail: /If-Match/ });
  const stale = await app.inject({
    method: 'PUT',
    url: trailUrl,
    payload: { homeRegion: 'eu-west-1' },
    headers: { 'if-match': '"v7"' },
  });
  t.equal(stale.statusCode, 412, 'a stale one');
  const state = (await app.inject({ method: 'GET', url: trailUrl })).json();
  t.same([state.specVersion, state.spec.homeRegion], [1, 'us-east-1'], 'nothing was overwritten');
  const ok = await app.inject({
    method: 'PUT',
    url: trailUrl,
    payload: { homeRegion: 'eu-west-1' },
    headers: { 'if-match': created.headers.etag as string },
  });
  t.equal(ok.statusCode, 200, 'with the current ETag');
  t.equal(ok.json().specVersion, 2);

  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const put = doc.paths['/v1/accounts/{accountId}/trail'].put;
  t.ok(put.responses['428'], 'the document describes 428');
  t.match(
    put.parameters.find((p: { name: string }) => p.name === 'if-match')?.description,
    /Required to update/,
    'and If-Match',
  );
});

t.test('a draft preview changes neither the spec, its version nor the account status', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  t.equal((await putTrail(app)).statusCode, 201);
  const applied = await app.inject({ method: 'POST', url: `${trailUrl}/applies` });
  t.equal((await app.operationQueue.settled(applied.json().id)).state, 'succeeded');
  const before = (await app.inject({ method: 'GET', url: trailUrl })).json();
  t.same([before.specVersion, before.status], [1, 'applied']);

  const draft = { homeRegion: 'us-east-1', insights: ['ApiCallRateInsight'] };
  const preview = await app.inject({ method: 'POST', url: `${trailUrl}/previews`, payload: draft });
  t.equal(preview.statusCode, 202);
  const done = await app.operationQueue.settled(preview.json().id);
  t.equal(done.state, 'succeeded');
  t.same(done.spec.insights, ['ApiCallRateInsight'], 'the engine previewed the draft');
  const call = engine.calls.at(-1)!;
  t.same([call.method, call.request.insights], ['preview', ['ApiCallRateInsight']]);
  const after = (await app.inject({ method: 'GET', url: trailUrl })).json();
  t.same(
    [after.specVersion, after.status, after.etag, after.spec],
    [before.specVersion, before.status, before.etag, before.spec],
    'spec, version, ETag and status unchanged',
  );

  const invalid = await app.inject({
    method: 'POST',
    url: `${trailUrl}/previews`,
    payload: { homeRegion: 'us-east-1', retention: { archiveAfterDays: 0 } },
  });
  t.equal(invalid.statusCode, 400, 'a draft is validated as PUT validates it');
  t.match(invalid.json().errors, [{ path: '/retention/archiveAfterDays' }]);

  const fresh = await app.inject({
    method: 'POST',
    url: '/v1/accounts/210987654321/trail/previews',
    payload: { homeRegion: 'eu-west-1' },
  });
  t.equal(fresh.statusCode, 202, 'a new account can be previewed before it is saved');
  await app.operationQueue.settled(fresh.json().id);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/accounts/210987654321/trail' })).statusCode,
    404,
    'and still has no trail request',
  );
  const stored = await app.inject({
    method: 'POST',
    url: `${trailUrl}/previews`,
    headers: { 'if-match': '"v9"' },
    payload: draft,
  });
  t.equal(stored.statusCode, 412, 'If-Match on a draft preview checks the version it starts from');
});

t.test('an apply confirmed from a preview: of that plan, or 409 when the account moved on', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  engine.autoComplete = true;
  await putTrail(app);
  const settle = async (res: { json(): { id: string } }) => app.operationQueue.settled(res.json().id);
  await settle(await app.inject({ method: 'POST', url: `${trailUrl}/applies` }));

  const preview = await app.inject({ method: 'POST', url: `${trailUrl}/previews` });
  await settle(preview);
  const previewId = preview.json().id;
  const confirmed = await app.inject({ method: 'POST', url: `${trailUrl}/applies?previewId=${previewId}` });
  t.equal(confirmed.statusCode, 202);
  t.equal(confirmed.json().previewId, previewId, 'the apply names its preview');
  await settle(confirmed);
  const again = await app.inject({ method: 'POST', url: `${trailUrl}/applies?previewId=${previewId}` });
  t.same(
    [again.statusCode, again.json().code],
    [409, 'preview_stale'],
    'the recorded state changed since (an apply ran)',
  );

  const second = await app.inject({ method: 'POST', url: `${trailUrl}/previews` });
  await settle(second);
  t.equal((await putTrail(app, ACCOUNT, { homeRegion: 'eu-west-1' })).statusCode, 200);
  const moved = await app.inject({
    method: 'POST',
    url: `${trailUrl}/applies?previewId=${second.json().id}`,
  });
  t.same([moved.statusCode, moved.json().code], [409, 'preview_stale'], 'the stored spec changed since');
  const unknown = await app.inject({
    method: 'POST',
    url: `${trailUrl}/applies?previewId=00000000-0000-4000-8000-000000000000`,
  });
  t.equal(unknown.statusCode, 404);
});

t.test('service tokens: defaulted fields are optional, in the body and in the document', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/v1/service-tokens',
    payload: { name: 'ci', roles: ['viewer'] },
  });
  t.equal(res.statusCode, 201, res.body);
  const days = (Date.parse(res.json().serviceToken.expiresAt) - Date.now()) / 86_400_000;
  t.ok(days > 89 && days <= 90, `expires in the default 90 days (${days.toFixed(2)})`);
  t.same(res.json().serviceToken.accounts, []);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const body = doc.paths['/v1/service-tokens'].post.requestBody.content['application/json'].schema;
  t.same([...body.required].sort(), ['name', 'roles'], 'only name and roles are required');
});

t.test(
  'converge: 404 for a report of another account or none, 409 before anything was applied',
  async (t) => {
    const { app, engine } = await makeApp();
    t.teardown(() => app.close());
    engine.autoComplete = true;
    await putTrail(app);
    const check = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/drift-checks` });
    t.equal((await app.operationQueue.settled(check.json().id)).state, 'succeeded');
    const report = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports` })).json()
      .items[0];
    const early = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/drift-reports/${report.id}/converge`,
    });
    t.same([early.statusCode, early.json().code], [409, 'nothing_applied'], 'no applied spec to converge to');
    const missing = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/drift-reports/00000000-0000-4000-8000-000000000000/converge`,
    });
    t.equal(missing.statusCode, 404);

    const applied = await app.inject({ method: 'POST', url: `${trailUrl}/applies` });
    await app.operationQueue.settled(applied.json().id);
    // A newer spec is stored but not applied: converge previews the applied one.
    await putTrail(app, ACCOUNT, { homeRegion: 'eu-west-1' });
    const converge = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/drift-reports/${report.id}/converge`,
    });
    t.equal(converge.statusCode, 202);
    t.match(converge.json(), { kind: 'preview', specVersion: 1, convergeOf: report.id });
    const preview = await app.operationQueue.settled(converge.json().id);
    t.equal(preview.spec.homeRegion, 'us-east-1', 'of the applied spec, not the stored one');
    const apply = await app.inject({ method: 'POST', url: `${trailUrl}/applies?previewId=${preview.id}` });
    t.equal(apply.statusCode, 202);
    t.match(apply.json(), { specVersion: 1, state: 'queued' });
    t.equal((await app.operationQueue.settled(apply.json().id)).spec.homeRegion, 'us-east-1');
    const state = (await app.inject({ method: 'GET', url: trailUrl })).json();
    t.same(
      [state.appliedVersion, state.specVersion, state.status],
      [1, 2, 'pending'],
      'the new spec still waits',
    );
  },
);
