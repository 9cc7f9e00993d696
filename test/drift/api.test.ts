// Drift through the API with the controllable engine: a drift check stores a report built from the
// engine events (a clean one too), the history is newest first and paginated, the fleet view counts
// accounts by the severity of their latest report, remediation policies are settable; 400/404.
import t from 'tap';
import { ACCOUNT, type EngineCall, makeApp, OTHER_ACCOUNT, putTrail } from '../api/helpers.ts';
import { baselineRefresh, bucket, edit, trail } from './engine-events.ts';

async function check(
  app: Awaited<ReturnType<typeof makeApp>>['app'],
  engine: Awaited<ReturnType<typeof makeApp>>['engine'],
  accountId: string,
  play: (call: EngineCall) => void,
  url = `/v1/accounts/${accountId}/drift-checks`,
) {
  const res = await app.inject({ method: 'POST', url });
  if (res.statusCode !== 202) throw new Error(res.body);
  const call = await engine.nextCall();
  play(call);
  return app.operationQueue.settled(res.json().id);
}

const loggingStopped = (call: EngineCall) => {
  for (const e of baselineRefresh([
    {
      state: trail,
      op: 'update',
      read: {
        inputs: edit(trail.inputs, { enableLogging: false }),
        outputs: edit(trail.outputs, { enableLogging: false }),
      },
    },
  ]))
    call.emit(e);
  call.succeed({ changeSummary: { update: 1, same: 9 } });
};
const clean = (call: EngineCall) => {
  for (const e of baselineRefresh()) call.emit(e);
  call.succeed({ changeSummary: { same: 10 } });
};

t.test('drift checks store reports; history, fleet view and account state follow them', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT);
  await putTrail(app, OTHER_ACCOUNT);

  const op = await check(app, engine, ACCOUNT, loggingStopped);
  t.equal(op.state, 'succeeded');
  t.equal(op.kind, 'refresh-preview');
  t.equal(engine.calls[0]!.method, 'refresh-preview', 'a drift check is a refresh preview');

  let history = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports` })).json();
  t.equal(history.items.length, 1);
  const report = history.items[0];
  t.match(report, { accountId: ACCOUNT, operationId: op.id, clean: false, severity: 'critical' });
  t.match(report.resources[0], {
    type: 'aws:cloudtrail/trail:Trail',
    operation: 'modified',
    severity: 'critical',
    properties: [{ path: 'enableLogging', expected: true, actual: false, rule: 'trail-logging-stopped' }],
  });
  t.type(report.id, 'string');

  // The check links to its report, and the report to its check.
  const viewed = (await app.inject({ method: 'GET', url: `/v1/operations/${op.id}` })).json();
  t.equal(viewed.links.driftReport, `/v1/accounts/${ACCOUNT}/drift-reports?operationId=${op.id}`);
  const linked = (await app.inject({ method: 'GET', url: viewed.links.driftReport })).json();
  t.same(
    linked.items.map((r: { id: string }) => r.id),
    [report.id],
    'the link resolves to that one report',
  );
  t.equal(linked.nextCursor, null);
  t.equal(report.links.operation, `/v1/operations/${op.id}`);
  t.equal((await app.inject({ method: 'GET', url: report.links.operation })).statusCode, 200);
  const elsewhere = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${OTHER_ACCOUNT}/drift-reports?operationId=${op.id}`,
  });
  t.same(elsewhere.json().items, [], "another account's drift reports do not hold it");

  // The old path answers 308 to the canonical one (query kept) and queues nothing itself.
  const moved = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${ACCOUNT}/trail/drift-checks?wait=false`,
  });
  t.equal(moved.statusCode, 308);
  t.equal(moved.headers.location, `/v1/accounts/${ACCOUNT}/drift-checks?wait=false`);
  t.equal(moved.body, '');
  t.same(
    (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/operations` })).json().items.length,
    1,
    'the redirect queued nothing',
  );
  await check(app, engine, ACCOUNT, clean, moved.headers.location as string);
  await check(app, engine, OTHER_ACCOUNT, loggingStopped);

  history = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports` })).json();
  t.same(
    history.items.map((r: { clean: boolean }) => r.clean),
    [true, false],
    'newest first; a clean report is stored too',
  );
  const trailState = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).json();
  t.equal(trailState.drift.severity, 'none', 'the account drift state comes from the latest report');

  const page1 = (
    await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports?limit=1` })
  ).json();
  t.equal(page1.items.length, 1);
  t.equal(page1.items[0].clean, true);
  t.type(page1.nextCursor, 'string');
  const page2 = (
    await app.inject({
      method: 'GET',
      url: `/v1/accounts/${ACCOUNT}/drift-reports?limit=1&cursor=${page1.nextCursor}`,
    })
  ).json();
  t.equal(page2.items.length, 1);
  t.equal(page2.items[0].clean, false);
  t.equal(page2.nextCursor, null);

  const fleet = (await app.inject({ method: 'GET', url: '/v1/drift' })).json();
  t.same(fleet.counts, { critical: 1, high: 0, low: 0, none: 1, unknown: 0 });
  t.match(
    fleet.accounts.find((a: { accountId: string }) => a.accountId === OTHER_ACCOUNT),
    { severity: 'critical', clean: false, counts: { critical: 1 }, remediationPolicy: 'report' },
  );
  const listed = (await app.inject({ method: 'GET', url: '/v1/accounts?drift=critical' })).json();
  t.same(
    listed.items.map((a: { accountId: string }) => a.accountId),
    [OTHER_ACCOUNT],
  );
});

t.test('a deleted resource is reported deleted; an engine failure stores no report', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT);
  await check(app, engine, ACCOUNT, (call) => {
    for (const e of baselineRefresh([{ state: bucket, op: 'delete' }])) call.emit(e);
    call.succeed({ changeSummary: { delete: 1 } });
  });
  const failed = await check(app, engine, ACCOUNT, (call) => call.fail(new Error('AccessDenied')));
  t.equal(failed.state, 'failed');
  const failedView = (await app.inject({ method: 'GET', url: `/v1/operations/${failed.id}` })).json();
  t.notOk(failedView.links.driftReport, 'a failed check links to no report');
  const history = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports` })).json();
  t.equal(history.items.length, 1, 'only the successful check left a report');
  t.match(history.items[0].resources, [
    { type: 'aws:s3/bucket:Bucket', operation: 'deleted', severity: 'critical', rule: 'bucket-deleted' },
  ]);
});

t.test('remediation policy: default report, settable, 400 with field path, 404', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT);
  const url = `/v1/accounts/${ACCOUNT}/remediation-policy`;
  t.same((await app.inject({ method: 'GET', url })).json(), { accountId: ACCOUNT, policy: 'report' });
  const before = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).headers.etag;
  const put = await app.inject({ method: 'PUT', url, payload: { policy: 'remediate-critical' } });
  t.equal(put.statusCode, 200);
  t.same((await app.inject({ method: 'GET', url })).json().policy, 'remediate-critical');
  const after = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).headers.etag;
  t.equal(after, before, 'the policy is not part of the trail request: same ETag');

  const bad = await app.inject({ method: 'PUT', url, payload: { policy: 'fix-it' } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'validation_failed');
  t.match(bad.json().errors, [{ path: '/policy' }]);
  const extra = await app.inject({ method: 'PUT', url, payload: { policy: 'report', when: 'now' } });
  t.match(extra.json().errors, [{ path: '/when', message: 'is not an allowed field' }]);

  const missing = await app.inject({
    method: 'PUT',
    url: `/v1/accounts/${OTHER_ACCOUNT}/remediation-policy`,
    payload: { policy: 'report' },
  });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, 'trail_request_not_found');
});

t.test('drift routes: 400 with field paths, 404 for unknown accounts', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT);
  const cases: [string, string, string, string][] = [
    ['GET', `/v1/accounts/${ACCOUNT}/drift-reports?limit=0`, '/limit', 'querystring'],
    ['GET', `/v1/accounts/${ACCOUNT}/drift-reports?cursor=non%2Bsense`, '/cursor', 'querystring'],
    ['GET', '/v1/accounts/12345/drift-reports', '/accountId', 'params'],
    ['POST', '/v1/accounts/12345/drift-checks', '/accountId', 'params'],
    ['POST', `/v1/accounts/${ACCOUNT}/drift-checks?wait=maybe`, '/wait', 'querystring'],
  ];
  for (const [method, url, path, part] of cases) {
    const res = await app.inject({ method: method as 'GET', url });
    t.equal(res.statusCode, 400, `${method} ${url}`);
    t.match(res.json().errors, [{ path, in: part }], `${url}: ${path}`);
  }
  for (const [method, url] of [
    ['GET', `/v1/accounts/${OTHER_ACCOUNT}/drift-reports`],
    ['POST', `/v1/accounts/${OTHER_ACCOUNT}/drift-checks`],
  ] as const) {
    const res = await app.inject({ method, url });
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
});
