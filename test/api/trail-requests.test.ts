import t from 'tap';
import { ACCOUNT, MANAGEMENT_ACCOUNT, makeApp, minimalRequest, OTHER_ACCOUNT, putTrail } from './helpers.ts';

const url = (accountId = ACCOUNT) => `/v1/accounts/${accountId}/trail`;

t.test('PUT creates, stores the resolved spec and is idempotent', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());

  const created = await putTrail(app);
  t.equal(created.statusCode, 201);
  t.equal(created.headers.etag, '"v1"');
  t.equal(created.headers.location, url());
  const body = created.json();
  t.equal(body.specVersion, 1);
  t.equal(body.status, 'pending');
  t.equal(body.spec.regions, 'all', 'defaults applied');
  t.equal(body.spec.retention.expireAfterDays, 2557);
  t.same(body.spec.managementEvents, { read: true, write: true, excludedSources: [] });

  const again = await putTrail(app);
  t.equal(again.statusCode, 200);
  t.equal(again.headers.etag, '"v1"', 'same spec keeps the version');

  // Sending the defaults explicitly is the same spec.
  const explicit = await putTrail(app, ACCOUNT, {
    ...minimalRequest,
    regions: 'all',
    organizationTrail: false,
  });
  t.equal(explicit.headers.etag, '"v1"');

  const changed = await putTrail(app, ACCOUNT, { ...minimalRequest, insights: ['ApiCallRateInsight'] });
  t.equal(changed.statusCode, 200);
  t.equal(changed.headers.etag, '"v2"');
  t.equal(changed.json().specVersion, 2);

  const got = await app.inject({ method: 'GET', url: url() });
  t.equal(got.statusCode, 200);
  t.equal(got.headers.etag, '"v2"');
  t.same(got.json().spec.insights, ['ApiCallRateInsight']);
  t.equal(got.json().appliedVersion, null);
  t.equal(got.json().upToDate, false);
});

t.test('If-Match: 412 on a stale ETag, update on the current one', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  await putTrail(app, ACCOUNT, { ...minimalRequest, insights: ['ApiErrorRateInsight'] }); // now v2

  const stale = await app.inject({
    method: 'PUT',
    url: url(),
    headers: { 'if-match': '"v1"' },
    payload: { ...minimalRequest, regions: ['us-east-1'] },
  });
  t.equal(stale.statusCode, 412);
  t.equal(stale.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(stale.json().code, 'etag_mismatch');
  t.match(stale.json().detail, /"v2"/);
  t.same((await app.inject({ method: 'GET', url: url() })).json().spec.regions, 'all', 'not written');

  const current = await app.inject({
    method: 'PUT',
    url: url(),
    headers: { 'if-match': '"v2"' },
    payload: { ...minimalRequest, regions: ['us-east-1'] },
  });
  t.equal(current.statusCode, 200);
  t.equal(current.headers.etag, '"v3"');

  const weak = await app.inject({
    method: 'PUT',
    url: url(),
    headers: { 'if-match': 'W/"v3"' },
    payload: minimalRequest,
  });
  t.equal(weak.statusCode, 200, 'weak comparison accepted');

  const missing = await app.inject({
    method: 'PUT',
    url: url(OTHER_ACCOUNT),
    headers: { 'if-match': '"v1"' },
    payload: minimalRequest,
  });
  t.equal(missing.statusCode, 412, 'If-Match on a trail request that does not exist');
});

t.test('GET and DELETE of an unknown account: 404 problem', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  for (const method of ['GET', 'DELETE'] as const) {
    const res = await app.inject({ method, url: url(OTHER_ACCOUNT) });
    t.equal(res.statusCode, 404, method);
    t.equal(res.json().code, 'trail_request_not_found');
    t.equal(res.json().status, 404);
    t.equal(res.json().instance, url(OTHER_ACCOUNT));
    t.notOk(res.json().stack);
  }
});

t.test('schema failures: 400 problem with one JSON pointer per field', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const cases: [string, object, { path: string; message?: RegExp; in?: string }][] = [
    ['missing homeRegion', {}, { path: '/homeRegion', message: /required/ }],
    [
      'unknown region in list',
      { ...minimalRequest, regions: ['us-east-1', 'mars-1'] },
      { path: '/regions/1' },
    ],
    [
      'unknown field',
      { ...minimalRequest, colour: 'red' },
      { path: '/colour', message: /not an allowed field/ },
    ],
    [
      'bad email',
      { ...minimalRequest, alarms: { notify: { emails: ['nope'] } } },
      { path: '/alarms/notify/emails/0', message: /email/ },
    ],
    [
      'retention below minimum',
      { ...minimalRequest, retention: { archiveAfterDays: 0 } },
      { path: '/retention/archiveAfterDays' },
    ],
    [
      'regions neither all nor list',
      { ...minimalRequest, regions: 'some' },
      { path: '/regions', message: /accepted forms/ },
    ],
  ];
  for (const [name, payload, expected] of cases) {
    const res = await app.inject({ method: 'PUT', url: url(), payload });
    t.equal(res.statusCode, 400, name);
    t.equal(res.json().code, 'validation_failed', name);
    const issue = res.json().errors.find((e: { path: string }) => e.path === expected.path);
    t.ok(issue, `${name}: error at ${expected.path} in ${JSON.stringify(res.json().errors)}`);
    if (expected.message) t.match(issue?.message, expected.message, name);
  }

  const badParam = await app.inject({ method: 'GET', url: url('12345') });
  t.equal(badParam.statusCode, 400);
  t.same(badParam.json().errors, [
    { path: '/accountId', message: badParam.json().errors[0].message, in: 'params' },
  ]);

  const badJson = await app.inject({
    method: 'PUT',
    url: url(),
    headers: { 'content-type': 'application/json' },
    payload: '{"homeRegion":',
  });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.headers['content-type'], 'application/problem+json; charset=utf-8');
});

t.test('rules beyond the schema: 400 with the field path and a reason', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const lambda = (account: string, region: string) => `arn:aws:lambda:${region}:${account}:function:handler`;
  const table = (account: string, region: string) => `arn:aws:dynamodb:${region}:${account}:table/orders`;
  const cases: [string, string, object, string, RegExp][] = [
    [
      'organization trail from a member account',
      ACCOUNT,
      { ...minimalRequest, organizationTrail: true, organizationId: 'o-abcdefghij' },
      '/organizationTrail',
      /management account \(999988887777\)/,
    ],
    [
      'organization trail without organizationId',
      MANAGEMENT_ACCOUNT,
      { ...minimalRequest, organizationTrail: true },
      '/organizationId',
      /required for an organization trail/,
    ],
    [
      'lambda ARN of another account',
      ACCOUNT,
      {
        ...minimalRequest,
        dataEvents: [{ kind: 'lambda', resources: [lambda(OTHER_ACCOUNT, 'us-east-1')] }],
      },
      '/dataEvents/0/resources/0',
      /belongs to account 444455556666/,
    ],
    [
      'dynamodb ARN outside the trail regions',
      ACCOUNT,
      {
        ...minimalRequest,
        regions: ['us-east-1', 'eu-west-1'],
        dataEvents: [
          { kind: 'dynamodb', resources: [table(ACCOUNT, 'eu-west-1'), table(ACCOUNT, 'ap-south-1')] },
        ],
      },
      '/dataEvents/0/resources/1',
      /region ap-south-1.*not one of the trail's regions/,
    ],
    [
      'ARN of the wrong service for the kind',
      ACCOUNT,
      { ...minimalRequest, dataEvents: [{ kind: 's3-object', resources: [lambda(ACCOUNT, 'us-east-1')] }] },
      '/dataEvents/0/resources/0',
      /must be a s3 ARN/,
    ],
    [
      'retention order',
      ACCOUNT,
      { ...minimalRequest, retention: { archiveAfterDays: 400, expireAfterDays: 365 } },
      '/retention/archiveAfterDays',
      /less than expireAfterDays \(365\)/,
    ],
    [
      'unknown alarm set',
      ACCOUNT,
      { ...minimalRequest, alarms: { set: 'paranoid' } },
      '/alarms/set',
      /unknown alarm set "paranoid"; known: essentials, strict/,
    ],
    [
      'no management events',
      ACCOUNT,
      { ...minimalRequest, managementEvents: { read: false, write: false } },
      '/managementEvents',
      /read or write/,
    ],
  ];
  for (const [name, accountId, payload, path, message] of cases) {
    const res = await app.inject({ method: 'PUT', url: url(accountId), payload });
    t.equal(res.statusCode, 400, name);
    t.equal(res.json().code, 'validation_failed', name);
    t.equal(res.json().errors.length, 1, `${name}: ${JSON.stringify(res.json().errors)}`);
    t.equal(res.json().errors[0]?.path, path, name);
    t.match(res.json().errors[0]?.message, message, name);
    t.equal(
      (await app.inject({ method: 'GET', url: url(accountId) })).statusCode,
      404,
      `${name}: nothing stored`,
    );
  }

  const accepted = await app.inject({
    method: 'PUT',
    url: url(MANAGEMENT_ACCOUNT),
    payload: {
      ...minimalRequest,
      organizationTrail: true,
      organizationId: 'o-abcdefghij',
      regions: ['us-east-1'],
      dataEvents: [
        { kind: 's3-object', resources: ['arn:aws:s3:::someone-elses-bucket/prefix'] },
        { kind: 'lambda', resources: [lambda(MANAGEMENT_ACCOUNT, 'us-east-1')] },
        { kind: 'dynamodb', resources: 'all' },
      ],
      managementEvents: { read: false },
      // Without read events the essentials set's authorization-failures alarm misses refused reads.
      acknowledgedGaps: ['authorization-failures'],
    },
  });
  t.equal(accepted.statusCode, 201, JSON.stringify(accepted.json().errors));
});

t.test('organization trails are refused when no management account is configured', async (t) => {
  const { app } = await makeApp({ config: { managementAccountId: undefined } });
  t.teardown(() => app.close());
  const res = await putTrail(app, MANAGEMENT_ACCOUNT, {
    ...minimalRequest,
    organizationTrail: true,
    organizationId: 'o-abcdefghij',
  });
  t.equal(res.statusCode, 400);
  t.match(res.json().errors[0], { path: '/organizationTrail', message: /no management account configured/ });
});

t.test('at most 5 trails per region, counting the external trails of the account', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const external = (trails: object[]) =>
    app.inject({ method: 'PUT', url: `/v1/accounts/${ACCOUNT}/external-trails`, payload: { trails } });

  const stored = await external([
    { name: 'org-trail', regions: 'all' },
    { name: 'team-a', regions: ['eu-west-1', 'us-east-1'] },
    { name: 'team-b', regions: ['eu-west-1'] },
    { name: 'team-c', regions: ['eu-west-1'] },
  ]);
  t.equal(stored.statusCode, 200);
  t.equal(stored.json().trails.length, 4);
  t.same(
    (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/external-trails` })).json().trails[0],
    { name: 'org-trail', regions: 'all' },
  );

  // 4 known trails in eu-west-1: ours is the 5th, fine.
  t.equal(
    (await putTrail(app, ACCOUNT, { ...minimalRequest, regions: ['us-east-1', 'eu-west-1'] })).statusCode,
    201,
  );

  await external([
    { name: 'org-trail', regions: 'all' },
    { name: 'team-a', regions: ['eu-west-1'] },
    { name: 'team-b', regions: ['eu-west-1'] },
    { name: 'team-c', regions: ['eu-west-1'] },
    { name: 'team-d', regions: ['eu-west-1'] },
  ]);
  const list = await putTrail(app, ACCOUNT, { ...minimalRequest, regions: ['us-east-1', 'eu-west-1'] });
  t.equal(list.statusCode, 400);
  t.same(
    list.json().errors.map((e: { path: string }) => e.path),
    ['/regions/1'],
  );
  t.match(list.json().errors[0].message, /eu-west-1 would have 6 trails.*team-d/);

  const all = await putTrail(app, ACCOUNT, { ...minimalRequest, regions: 'all' });
  t.equal(all.statusCode, 400);
  t.equal(all.json().errors[0].path, '/regions', "a multi-region trail: the path is the 'all' field");

  const dup = await external([
    { name: 'x-trail', regions: 'all' },
    { name: 'x-trail', regions: ['eu-west-1'] },
  ]);
  t.equal(dup.statusCode, 400);
  t.equal(dup.json().errors[0].path, '/trails/1/name');
  const bad = await external([{ name: 'y-trail', regions: ['moon-1'] }]);
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().errors[0].path, '/trails/0/regions/0');
});

t.test('DELETE decommissions through a destroy operation, retaining data by default', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);

  const res = await app.inject({ method: 'DELETE', url: url() });
  t.equal(res.statusCode, 202);
  const op = res.json();
  t.equal(res.headers.location, `/v1/operations/${op.id}`);
  t.equal(op.kind, 'destroy');
  t.equal(op.retainData, true);
  const call = await engine.nextCall();
  t.equal(call.method, 'destroy');
  t.equal((call.opts as { retainData?: boolean }).retainData, true);
  t.equal((await app.inject({ method: 'GET', url: url() })).json().status, 'decommissioning');

  const busy = await app.inject({ method: 'DELETE', url: `${url()}?retainData=false&wait=false` });
  t.equal(busy.statusCode, 409, 'wait=false while the account has a running operation');
  t.equal(busy.json().code, 'operation_in_progress');

  call.succeed({ outputs: {} });
  await app.operationQueue.settled(op.id);
  const after = (await app.inject({ method: 'GET', url: url() })).json();
  t.equal(after.status, 'decommissioned');
  t.equal(after.outputs, null);

  const apply = await app.inject({ method: 'POST', url: `${url()}/applies` });
  t.equal(apply.statusCode, 409, 'no apply of a decommissioned account');
  t.equal(apply.json().code, 'account_decommissioned');

  // PUT again manages it again; then remove the data too.
  t.equal((await putTrail(app)).json().status, 'pending');
  const purge = await app.inject({ method: 'DELETE', url: `${url()}?retainData=false` });
  t.equal(purge.json().retainData, false);
  const purgeCall = await engine.nextCall();
  t.equal((purgeCall.opts as { retainData?: boolean }).retainData, false);
  purgeCall.succeed();
  await app.operationQueue.settled(purge.json().id);

  const stale = await app.inject({ method: 'DELETE', url: url(), headers: { 'if-match': '"v1"' } });
  t.equal(stale.statusCode, 412);
});
