// Coverage through HTTP: PUT refuses a request that blinds alarms of its own set unless it
// acknowledges them; GET /v1/accounts/{id}/coverage reports the stored spec (404, scope); every
// preview carries the coverage of its spec; the alarm topic's subscriptions decide delivery, and a
// drift check that finds none confirmed reports a high finding.
import t from 'tap';
import { alarmCatalog } from '../../stacks/alarms/catalog.ts';
import { ACCOUNT, type EngineCall, makeApp, OTHER_ACCOUNT, putTrail } from '../api/helpers.ts';
import { type RefreshStep, refreshPreviewEvents } from '../drift/engine-events.ts';

const kmsExcluded = {
  homeRegion: 'eu-west-1',
  managementEvents: { excludedSources: ['kms.amazonaws.com'] },
  alarms: { set: 'cis' },
};
const KMS_BLINDED = ['unauthorized-api-calls', 'root-account-usage', 'cmk-disable-or-deletion'];

t.test('a request that blinds its own alarms is refused unless it acknowledges them', async (t) => {
  const { app } = await makeApp({ alarmCatalog });
  t.teardown(() => app.close());

  const refused = await putTrail(app, ACCOUNT, kmsExcluded);
  t.equal(refused.statusCode, 400);
  t.match(refused.headers['content-type'], /application\/problem\+json/);
  const problem = refused.json();
  t.equal(problem.code, 'validation_failed');
  t.equal(problem.errors.length, 1, JSON.stringify(problem.errors));
  t.equal(problem.errors[0].path, '/managementEvents/excludedSources/0', 'the option that blinds');
  for (const id of KMS_BLINDED) t.match(problem.errors[0].message, id, `names ${id}`);
  t.match(problem.errors[0].message, /acknowledgedGaps/);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).statusCode,
    404,
    'nothing stored',
  );

  // Acknowledging only some of them is still refused, naming the rest.
  const partly = await putTrail(app, ACCOUNT, {
    ...kmsExcluded,
    acknowledgedGaps: ['cmk-disable-or-deletion'],
  });
  t.equal(partly.statusCode, 400);
  t.notMatch(partly.json().errors[0].message, 'cmk-disable-or-deletion');
  t.match(partly.json().errors[0].message, 'root-account-usage');

  const writeOff = await putTrail(app, ACCOUNT, {
    homeRegion: 'eu-west-1',
    managementEvents: { write: false },
  });
  t.equal(writeOff.statusCode, 400);
  t.equal(writeOff.json().errors[0].path, '/managementEvents/write');
  const perRegion = await putTrail(app, ACCOUNT, {
    homeRegion: 'eu-west-1',
    regions: ['eu-west-1', 'eu-central-1'],
    alarms: { set: 'cis' },
  });
  t.equal(perRegion.statusCode, 400);
  t.equal(perRegion.json().errors[0].path, '/regions', 'no trail records global service events');
  // The program's own rule refuses it first (stacks/request-rules.ts): no alarm would ever see IAM or sign-in events.
  t.match(perRegion.json().errors[0].message, /us-east-1/);

  const accepted = await putTrail(app, ACCOUNT, { ...kmsExcluded, acknowledgedGaps: KMS_BLINDED });
  t.equal(accepted.statusCode, 201, JSON.stringify(accepted.json()));
  t.same(accepted.json().spec.acknowledgedGaps, KMS_BLINDED, 'stored with the spec');

  const audit = (await app.inject({ method: 'GET', url: `/v1/audit?accountId=${ACCOUNT}` })).json();
  const put = audit.items.find(
    (e: { action: string; outcome: string }) => e.action.startsWith('PUT') && e.outcome === '201',
  );
  t.same(put?.details, { specVersion: 1, acknowledgedGaps: KMS_BLINDED }, 'audited');

  const coverage = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/coverage` })).json();
  t.equal(coverage.accountId, ACCOUNT);
  t.equal(coverage.alarmSet, 'cis');
  const cmk = coverage.entries.find((e: { id: string }) => e.id === 'cmk-disable-or-deletion');
  t.match(cmk, {
    status: 'blind',
    acknowledged: true,
    gaps: [{ option: '/managementEvents/excludedSources/0' }],
  });
  t.match(cmk.gaps[0].lost, /DisableKey, ScheduleKeyDeletion/);
  t.match(
    coverage.entries.find((e: { id: string }) => e.id === 'vpc-changes'),
    { status: 'covered', gaps: [] },
  );
  t.same(coverage.unacknowledgedGaps, []);
  for (const id of KMS_BLINDED)
    t.ok(
      coverage.warnings.some((w: string) => w.startsWith(`acknowledged gap: ${id}`)),
      `warning for ${id}`,
    );
  const control = (id: string) => coverage.controls.find((c: { id: string }) => c.id === id);
  t.match(control('CloudTrail.1'), { status: 'blind', reasons: [/ExcludeManagementEventSources/] });
  t.match(control('CloudTrail.4'), { status: 'covered' });
  t.match(control('CloudWatch.7'), { status: 'blind', entryId: 'cmk-disable-or-deletion' });
  t.equal(coverage.controls.length, 21, 'CloudTrail.1-7 and CloudWatch.1-14');
  t.equal(coverage.delivery.status, 'unconfirmed', 'no recipient was asked for');
  t.equal(coverage.deliveryReadFrom, null, 'never applied');

  const unknownId = await putTrail(app, ACCOUNT, {
    ...kmsExcluded,
    acknowledgedGaps: [...KMS_BLINDED, 'ec2-instance-changes'],
  });
  t.equal(unknownId.statusCode, 400);
  t.same(unknownId.json().errors, [
    { path: '/acknowledgedGaps/3', message: 'ec2-instance-changes is not an alarm of the cis set' },
  ]);
  const tooMany = await putTrail(app, ACCOUNT, {
    ...kmsExcluded,
    acknowledgedGaps: Array.from({ length: 51 }, (_, i) => `gap-${i}`),
  });
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.json().errors[0].path, /^\/acknowledgedGaps/);
  const tooLong = await putTrail(app, ACCOUNT, { ...kmsExcluded, acknowledgedGaps: ['a'.repeat(65)] });
  t.equal(tooLong.statusCode, 400);
  t.match(tooLong.json().errors[0].path, /^\/acknowledgedGaps\/0/);
});

t.test('GET coverage: 404 for an unknown account, scoped to the caller’s accounts', async (t) => {
  const { app, tokenFor } = await makeApp({ alarmCatalog });
  t.teardown(() => app.close());
  const missing = await app.inject({ method: 'GET', url: `/v1/accounts/${OTHER_ACCOUNT}/coverage` });
  t.equal(missing.statusCode, 404);
  t.match(missing.headers['content-type'], /application\/problem\+json/);

  await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1' });
  const viewer = await tokenFor(['viewer'], [ACCOUNT]);
  const own = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/coverage`,
    headers: { authorization: `Bearer ${viewer}` },
  });
  t.equal(own.statusCode, 200, 'a viewer reads it');
  const other = await tokenFor(['viewer'], [OTHER_ACCOUNT]);
  const outside = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/coverage`,
    headers: { authorization: `Bearer ${other}` },
  });
  t.equal(outside.statusCode, 403);
  t.equal(outside.json().code, 'account_not_in_scope');
  const anonymous = await app.inject({
    method: 'GET',
    url: `/v1/accounts/${ACCOUNT}/coverage`,
    headers: { authorization: null } as never,
  });
  t.equal(anonymous.statusCode, 401);
});

t.test('every preview carries the coverage of the spec it previews', async (t) => {
  const { app, engine } = await makeApp({ alarmCatalog });
  t.teardown(() => app.close());
  engine.autoComplete = true;
  await putTrail(app, ACCOUNT, {
    homeRegion: 'eu-west-1',
    managementEvents: { read: false },
    acknowledgedGaps: ['authorization-failures'],
  });
  const res = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/previews` });
  t.equal(res.statusCode, 202);
  t.ok(res.json().coverage, 'in the 202 answer already');
  const done = await app.operationQueue.settled(res.json().id);
  t.equal(done.state, 'succeeded');
  const op = (await app.inject({ method: 'GET', url: `/v1/operations/${done.id}` })).json();
  t.equal(op.coverage.alarmSet, 'essentials');
  t.match(
    op.coverage.entries.find((e: { id: string }) => e.id === 'authorization-failures'),
    {
      status: 'blind',
      acknowledged: true,
      gaps: [{ option: '/managementEvents/read' }],
    },
  );
  const apply = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/applies` });
  t.notOk(apply.json().coverage, 'only previews carry it');
});

const TOPIC_URN_TYPE = 'aws:sns/topic:Topic';
const SUB_TYPE = 'aws:sns/topicSubscription:TopicSubscription';
const topicArn = `arn:aws:sns:eu-west-1:${ACCOUNT}:trailwarden-alarms`;
const topic = {
  type: TOPIC_URN_TYPE,
  name: 'baseline-alarm-topic-topic',
  id: topicArn,
  inputs: { name: 'trailwarden-alarms' },
  outputs: { name: 'trailwarden-alarms', arn: topicArn },
};
const subscription = (pendingConfirmation: boolean) => ({
  type: SUB_TYPE,
  name: 'baseline-alarm-topic-email-0',
  id: `${topicArn}:1b7c5a4e-0000-4000-8000-000000000001`,
  inputs: { topic: topicArn, protocol: 'email', endpoint: 'secops@example.com' },
  outputs: { topic: topicArn, protocol: 'email', endpoint: 'secops@example.com', pendingConfirmation },
});

function driftCheck(steps: RefreshStep[]) {
  return (call: EngineCall) => {
    for (const e of refreshPreviewEvents(steps)) call.emit(e);
    call.succeed({ changeSummary: { same: steps.length } });
  };
}

t.test('an alarm nobody receives is a hole: subscriptions decide delivery and drift', async (t) => {
  const { app, engine } = await makeApp({ alarmCatalog });
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT, {
    homeRegion: 'eu-west-1',
    alarms: { set: 'cis', notify: { emails: ['secops@example.com'] } },
  });

  let coverage = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/coverage` })).json();
  t.equal(coverage.delivery.status, 'unknown', 'before the apply: recipients still have to confirm');

  // The apply reads the subscription back: an email is pending until its recipient confirms.
  const applyRes = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/applies` });
  const applyCall = await engine.nextCall();
  applyCall.succeed({
    outputs: {
      alarmSubscriptions: [{ protocol: 'email', endpoint: 'secops@example.com', pendingConfirmation: true }],
    },
  });
  t.equal((await app.operationQueue.settled(applyRes.json().id)).state, 'succeeded');
  coverage = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/coverage` })).json();
  t.equal(coverage.delivery.status, 'unconfirmed', 'pending confirmation counts as none');
  t.equal(coverage.deliveryReadFrom.source, 'apply');
  t.ok(
    coverage.warnings.some((w: string) => /nobody receives/.test(w)),
    'shown as a warning',
  );
  t.match(
    coverage.controls.find((c: { id: string }) => c.id === 'CloudWatch.4'),
    { status: 'blind', reasons: [/subscription/] },
    'Security Hub wants a subscriber to the alarm topic',
  );

  // A drift check finds the subscription still pending: a high finding, though nothing drifted.
  const check = async (steps: RefreshStep[]) => {
    const res = await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/drift-checks` });
    driftCheck(steps)(await engine.nextCall());
    await app.operationQueue.settled(res.json().id);
    return (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/drift-reports` })).json()
      .items[0];
  };
  let report = await check([
    { state: topic, op: 'same' },
    { state: subscription(true), op: 'same' },
  ]);
  t.equal(report.clean, false);
  t.equal(report.severity, 'high');
  t.same(report.resources, [], 'no resource drifted');
  t.match(report.findings, [{ id: 'alarm-topic-unsubscribed', severity: 'high', reason: /confirmed/ }]);
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` })).json().drift.severity,
    'high',
    'the account shows it',
  );

  // The recipient confirms: the next check reads pendingConfirmation false.
  report = await check([
    { state: topic, op: 'same' },
    {
      state: subscription(true),
      op: 'update',
      read: { inputs: subscription(false).inputs, outputs: subscription(false).outputs },
    },
  ]);
  t.notOk(report.findings, 'no finding once confirmed');
  coverage = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/coverage` })).json();
  t.equal(coverage.delivery.status, 'confirmed');
  t.equal(coverage.deliveryReadFrom.source, 'drift-check', 'the newer read wins');
  t.match(
    coverage.controls.find((c: { id: string }) => c.id === 'CloudWatch.4'),
    { status: 'covered' },
  );

  // The subscription deleted out of band: a topic without subscription.
  report = await check([
    { state: topic, op: 'same' },
    { state: subscription(false), op: 'delete' },
  ]);
  t.match(report.findings, [{ id: 'alarm-topic-unsubscribed', severity: 'high', reason: /no subscription/ }]);
  coverage = (await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/coverage` })).json();
  t.equal(coverage.delivery.status, 'unconfirmed');
});

t.test('POST /v1/coverage-reports: the coverage of a request before it is stored', async (t) => {
  const { app, store } = await makeApp({ alarmCatalog });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/v1/coverage-reports', payload: kmsExcluded });
  t.equal(res.statusCode, 200);
  t.same(res.json().unacknowledgedGaps, KMS_BLINDED);
  t.equal(res.json().delivery.status, 'unconfirmed', 'no recipient in the request');
  t.equal(await store.accounts.getAccount(ACCOUNT), undefined, 'nothing stored');
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/coverage-reports',
    payload: { homeRegion: 'mars-1' },
  });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().errors[0].path, '/homeRegion');
});
