// GET /v1/operations/{id}/plan: the preview's steps as a grouped plan with old -> new values, whether
// an apply by the caller would wait for approval, and what is billed per event.
import t from 'tap';
import type { EngineEvent } from '../../src/engine/types.ts';
import { ACCOUNT, makeApp, putTrail } from './helpers.ts';

const S = `urn:pulumi:organization/trailwarden/${ACCOUNT}::trailwarden::`;
const BASE = 'trailwarden:baseline:AccountTrailBaseline';
const comp = `${S}${BASE}$trailwarden:baseline:AccountTrail::b-trail-us-east-1`;
const trail = `${S}${BASE}$trailwarden:baseline:AccountTrail$aws:cloudtrail/trail:Trail::t`;

function updateEvent(): EngineEvent {
  const state = (enableLogging: boolean) => ({
    type: 'aws:cloudtrail/trail:Trail',
    urn: trail,
    custom: true,
    parent: comp,
    inputs: { enableLogging },
    outputs: {},
  });
  return {
    sequence: 2,
    timestamp: 1,
    resourcePreEvent: {
      metadata: {
        op: 'update',
        urn: trail,
        type: 'aws:cloudtrail/trail:Trail',
        provider: '',
        old: state(false),
        new: state(true),
        diffs: ['enableLogging'],
        detailedDiff: { enableLogging: { diffKind: 'update', inputDiff: true } },
      },
    },
  } as unknown as EngineEvent;
}

t.test('the plan of a preview, with approval and costs', async (t) => {
  const { app, engine, tokenFor } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', insights: ['ApiCallRateInsight'] });
  const op = (await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/trail/previews` })).json();
  const call = await engine.nextCall();
  const early = await app.inject({ method: 'GET', url: `/v1/operations/${op.id}/plan` });
  t.equal(early.statusCode, 409, 'no plan before the preview ends');
  call.emit({
    sequence: 1,
    timestamp: 1,
    resourcePreEvent: {
      metadata: {
        op: 'same',
        urn: comp,
        type: 'trailwarden:baseline:AccountTrail',
        provider: '',
        new: {
          type: 'trailwarden:baseline:AccountTrail',
          urn: comp,
          custom: false,
          parent: `${S}${BASE}::b`,
        },
      },
    },
  } as unknown as EngineEvent);
  call.emit(updateEvent());
  call.succeed({ changeSummary: { update: 1, same: 3 } });
  await app.operationQueue.settled(op.id);

  const res = await app.inject({ method: 'GET', url: `/v1/operations/${op.id}/plan` });
  t.equal(res.statusCode, 200);
  const plan = res.json();
  t.same(plan.counts, { create: 0, update: 1, replace: 0, delete: 0, same: 0 });
  t.equal(plan.groups[0].key, 'trail:us-east-1');
  t.same(plan.groups[0].resources[0].properties, [
    { path: 'enableLogging', kind: 'update', replaces: false, old: false, new: true },
  ]);
  t.same(plan.approval, { required: false, reasons: ['requested by an admin'] });
  t.match(plan.costs, [{ item: 'insights', detail: /ApiCallRateInsight/ }]);

  const requester = await tokenFor(['requester']);
  const asRequester = await app.inject({
    method: 'GET',
    url: `/v1/operations/${op.id}/plan`,
    headers: { authorization: `Bearer ${requester}` },
  });
  t.equal(asRequester.json().approval.required, true, 'a requester would wait for an approver');

  const drift = (await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/drift-checks` })).json();
  (await engine.nextCall()).succeed();
  await app.operationQueue.settled(drift.id);
  const none = await app.inject({ method: 'GET', url: `/v1/operations/${drift.id}/plan` });
  t.equal(none.statusCode, 409);
  t.equal(none.json().code, 'no_plan');
});
