import t from 'tap';
import type { EngineEvent } from '../../src/engine/types.ts';
import { baselineRefresh, edit, logGroup } from '../drift/engine-events.ts';
import { ACCOUNT, makeApp, OTHER_ACCOUNT, putTrail } from './helpers.ts';

const trailUrl = `/v1/accounts/${ACCOUNT}/trail`;
const event = (n: number) =>
  ({
    sequence: n,
    timestamp: 1700000000 + n,
    diagnosticEvent: { message: `line ${n}` },
  }) as unknown as EngineEvent;

t.test('apply: 202 + Location, runs the engine, records outputs and the applied version', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);

  const res = await app.inject({ method: 'POST', url: `${trailUrl}/applies` });
  t.equal(res.statusCode, 202);
  const op = res.json();
  t.equal(res.headers.location, `/v1/operations/${op.id}`);
  t.match(op, { kind: 'apply', accountId: ACCOUNT, specVersion: 1, state: 'queued', retryOf: null });

  const call = await engine.nextCall();
  t.equal(call.method, 'apply');
  t.equal(call.accountId, ACCOUNT);
  t.equal(call.request.retention.expireAfterDays, 2557, 'the engine gets the resolved spec');
  t.ok(call.opts?.signal, 'an AbortSignal is passed');
  t.ok(call.opts?.log, 'a child logger is passed');
  const running = (await app.inject({ method: 'GET', url: `/v1/operations/${op.id}` })).json();
  t.equal(running.state, 'running');
  t.ok(running.startedAt);
  t.equal((await app.inject({ method: 'GET', url: trailUrl })).json().status, 'applying');

  call.succeed({ changeSummary: { create: 7 }, outputs: { trailArn: 'arn:x', bucket: 'logs' } });
  await app.operationQueue.settled(op.id);

  const done = (await app.inject({ method: 'GET', url: `/v1/operations/${op.id}` })).json();
  t.equal(done.state, 'succeeded');
  t.same(done.changeSummary, { create: 7 });
  t.same(done.outputs, { trailArn: 'arn:x', bucket: 'logs' });
  t.equal(done.error, null);
  t.type(done.durationMs, 'number');
  const trail = (await app.inject({ method: 'GET', url: trailUrl })).json();
  t.equal(trail.status, 'applied');
  t.equal(trail.appliedVersion, 1);
  t.equal(trail.upToDate, true);
  t.same(trail.outputs, { trailArn: 'arn:x', bucket: 'logs' });
  t.equal(trail.lastOperation.id, op.id);

  // A spec change after the apply: not up to date any more.
  const changed = (
    await putTrail(app, ACCOUNT, { homeRegion: 'us-east-1', insights: ['ApiCallRateInsight'] })
  ).json();
  t.equal(changed.status, 'pending');
  t.equal(changed.upToDate, false);
});

t.test('preview and drift check', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);

  const preview = (await app.inject({ method: 'POST', url: `${trailUrl}/previews` })).json();
  t.equal(preview.kind, 'preview');
  const call = await engine.nextCall();
  t.equal(call.method, 'preview');
  call.succeed({ changeSummary: { create: 9 }, outputs: {} });
  await app.operationQueue.settled(preview.id);
  t.equal(
    (await app.inject({ method: 'GET', url: trailUrl })).json().status,
    'pending',
    'a preview changes nothing',
  );

  const drift = (await app.inject({ method: 'POST', url: `/v1/accounts/${ACCOUNT}/drift-checks` })).json();
  t.equal(drift.kind, 'refresh-preview');
  const driftCall = await engine.nextCall();
  t.equal(driftCall.method, 'refresh-preview');
  // Only the log retention changed out of band: low.
  for (const e of baselineRefresh([
    {
      state: logGroup,
      op: 'update',
      read: {
        inputs: edit(logGroup.inputs, { retentionInDays: 30 }),
        outputs: edit(logGroup.outputs, { retentionInDays: 30 }),
      },
    },
  ]))
    driftCall.emit(e);
  driftCall.succeed({ changeSummary: { update: 1, same: 12 } });
  await app.operationQueue.settled(drift.id);
  const trail = (await app.inject({ method: 'GET', url: trailUrl })).json();
  t.equal(trail.drift.severity, 'low');
  t.ok(trail.drift.checkedAt);
});

t.test('404s and 412 on operation routes', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const noTrail = await app.inject({ method: 'POST', url: `/v1/accounts/${OTHER_ACCOUNT}/trail/applies` });
  t.equal(noTrail.statusCode, 404);
  t.equal(noTrail.json().code, 'trail_request_not_found');
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const [method, path] of [
    ['GET', ''],
    ['GET', '/events'],
    ['POST', '/cancel'],
    ['POST', '/retry'],
  ] as const) {
    const res = await app.inject({ method, url: `/v1/operations/${unknown}${path}` });
    t.equal(res.statusCode, 404, `${method} ${path}`);
    t.equal(res.json().code, 'operation_not_found');
  }
  const badId = await app.inject({ method: 'GET', url: '/v1/operations/not-a-uuid' });
  t.equal(badId.statusCode, 400);
  t.equal(badId.json().errors[0].in, 'params');

  await putTrail(app);
  for (const url of [`${trailUrl}/applies?wait=maybe`, `${trailUrl}/previews?colour=red`]) {
    const invalid = await app.inject({ method: 'POST', url });
    t.equal(invalid.statusCode, 400, url);
    t.equal(invalid.json().errors[0].in, 'querystring', url);
  }
  const stale = await app.inject({
    method: 'POST',
    url: `${trailUrl}/applies`,
    headers: { 'if-match': '"v7"' },
  });
  t.equal(stale.statusCode, 412);
  const current = await app.inject({
    method: 'POST',
    url: `${trailUrl}/applies`,
    headers: { 'if-match': '"v1"' },
  });
  t.equal(current.statusCode, 202);
});

t.test('a second operation for the account waits, or 409 with wait=false', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const first = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const firstCall = await engine.nextCall();

  const rejected = await app.inject({ method: 'POST', url: `${trailUrl}/applies?wait=false` });
  t.equal(rejected.statusCode, 409);
  t.equal(rejected.json().code, 'operation_in_progress');

  const second = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  t.equal(second.state, 'queued');
  t.equal(engine.calls.length, 1, 'the second waits for the first');
  firstCall.succeed();
  await app.operationQueue.whenStarted(second.id);
  const secondCall = await engine.nextCall();
  t.equal(engine.calls.length, 2);
  secondCall.succeed();
  t.equal((await app.operationQueue.settled(second.id)).state, 'succeeded');
  t.equal((await app.operationQueue.settled(first.id)).state, 'succeeded');
});

t.test('failure: the engine code and message reach the caller', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const op = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const call = await engine.nextCall();
  const err = Object.assign(new Error('the update failed'), {
    code: 'engine_failed',
    engineMessage: 'error: creating CloudTrail Trail: InsufficientS3BucketPolicyException',
  });
  call.fail(err);
  const failed = await app.operationQueue.settled(op.id);
  t.equal(failed.state, 'failed');
  const shown = (await app.inject({ method: 'GET', url: `/v1/operations/${op.id}` })).json();
  t.same(shown.error, {
    code: 'engine_failed',
    message: 'the update failed',
    engineMessage: 'error: creating CloudTrail Trail: InsufficientS3BucketPolicyException',
  });
  t.equal((await app.inject({ method: 'GET', url: trailUrl })).json().status, 'failed');

  const plain = (await app.inject({ method: 'POST', url: `${trailUrl}/previews` })).json();
  (await engine.nextCall()).fail(new Error('plain failure'));
  t.same((await app.operationQueue.settled(plain.id)).error, {
    code: 'engine_error',
    message: 'plain failure',
  });
});

t.test('cancel: queued at once, running through the AbortSignal, finished 409', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const running = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const call = await engine.nextCall();
  const queued = (await app.inject({ method: 'POST', url: `${trailUrl}/previews` })).json();

  const cancelQueued = await app.inject({ method: 'POST', url: `/v1/operations/${queued.id}/cancel` });
  t.equal(cancelQueued.statusCode, 202);
  t.equal(cancelQueued.json().state, 'cancelled');
  t.equal(cancelQueued.json().error.code, 'cancelled');

  t.equal(call.opts?.signal?.aborted, false);
  const cancelRunning = await app.inject({ method: 'POST', url: `/v1/operations/${running.id}/cancel` });
  t.equal(cancelRunning.statusCode, 202);
  t.equal(call.opts?.signal?.aborted, true, 'the engine got the abort');
  const ended = await app.operationQueue.settled(running.id);
  t.equal(ended.state, 'cancelled');
  t.equal(ended.error?.code, 'cancelled');
  t.equal(engine.calls.length, 1, 'the cancelled queued preview never ran');

  const again = await app.inject({ method: 'POST', url: `/v1/operations/${running.id}/cancel` });
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'operation_finished');
});

t.test('retry: a new operation with the same kind and spec; 409 for a succeeded one', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app, ACCOUNT, { homeRegion: 'eu-west-1' });
  const op = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  (await engine.nextCall()).fail(new Error('throttled'));
  await app.operationQueue.settled(op.id);
  // The spec changes meanwhile: the retry still uses the spec of the original operation.
  await putTrail(app, ACCOUNT, { homeRegion: 'eu-central-1' });

  const retry = await app.inject({ method: 'POST', url: `/v1/operations/${op.id}/retry` });
  t.equal(retry.statusCode, 202);
  const second = retry.json();
  t.equal(retry.headers.location, `/v1/operations/${second.id}`);
  t.not(second.id, op.id);
  t.match(second, { kind: 'apply', retryOf: op.id, specVersion: 1 });
  const call = await engine.nextCall();
  t.equal(call.request.homeRegion, 'eu-west-1');
  call.succeed();
  await app.operationQueue.settled(second.id);

  const notRetryable = await app.inject({ method: 'POST', url: `/v1/operations/${second.id}/retry` });
  t.equal(notRetryable.statusCode, 409);
  t.equal(notRetryable.json().code, 'operation_not_retryable');
});

t.test('events: JSON on Accept: application/json, SSE otherwise (live and after the end)', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const op = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const call = await engine.nextCall();
  call.emit(event(1));
  call.emit(event(2));

  // A live stream: it stays open until the operation ends.
  let streamDone = false;
  const live = app.inject({ method: 'GET', url: `/v1/operations/${op.id}/events` }).then((r) => {
    streamDone = true;
    return r;
  });
  await new Promise<void>((resolve) => app.operationQueue.once('events', () => resolve()));
  const partial = await app.inject({
    method: 'GET',
    url: `/v1/operations/${op.id}/events`,
    headers: { accept: 'application/json' },
  });
  t.equal(partial.statusCode, 200);
  t.equal(partial.json().done, false);
  t.equal(partial.json().state, 'running');
  t.same(
    partial.json().events.map((e: { seq: number }) => e.seq),
    [1, 2],
  );
  t.equal(streamDone, false, 'the stream is open while the operation runs');

  call.emit(event(3));
  call.succeed();
  await app.operationQueue.settled(op.id);
  const res = await live;
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/event-stream/);
  const blocks = res.body.trim().split('\n\n');
  t.same(
    blocks.filter((b) => b.includes('event: engine-event')).map((b) => b.split('\n')[0]),
    ['id: 1', 'id: 2', 'id: 3'],
  );
  t.match(blocks[0], /^event: state\ndata: .*"state":"running"/, 'the stream starts with the state');
  t.same(JSON.parse(blocks[1]!.split('data: ')[1]!), event(1));
  t.match(blocks.at(-1), /^event: end\ndata: .*"state":"succeeded"/);

  // After the end (e.g. another replica, or after a restart): the persisted events, then end.
  const replay = await app.inject({
    method: 'GET',
    url: `/v1/operations/${op.id}/events`,
    headers: { 'last-event-id': '2' },
  });
  const replayBlocks = replay.body.trim().split('\n\n');
  t.equal(replayBlocks.length, 2, 'resumes after Last-Event-ID');
  t.match(replayBlocks[0], /^id: 3\n/);

  const after = await app.inject({
    method: 'GET',
    url: `/v1/operations/${op.id}/events?after=1`,
    headers: { accept: 'application/json' },
  });
  t.same(
    after.json().events.map((e: { seq: number }) => e.seq),
    [2, 3],
  );
  t.equal(after.json().done, true);
});

t.test('the JSON event list: pages of limit, debug hidden unless asked for, level filter', async (t) => {
  const { app, engine } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const op = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const call = await engine.nextCall();
  const diag = (n: number, severity: string) =>
    ({
      sequence: n,
      timestamp: n,
      diagnosticEvent: { message: `line ${n}`, severity },
    }) as unknown as EngineEvent;
  // seq 1..7: debug, info, debug, warning, debug, error, a step (info).
  for (const [n, severity] of [
    [1, 'debug'],
    [2, 'info'],
    [3, 'debug'],
    [4, 'warning'],
    [5, 'debug'],
    [6, 'error'],
  ] as const)
    call.emit(diag(n, severity));
  call.emit({ sequence: 7, timestamp: 7, resourcePreEvent: { metadata: { op: 'create' } } } as never);
  call.succeed();
  await app.operationQueue.settled(op.id);

  const get = async (query: string) => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/operations/${op.id}/events${query}`,
      headers: { accept: 'application/json' },
    });
    t.equal(res.statusCode, 200, `${query}: ${res.body}`);
    return res.json() as {
      done: boolean;
      events: { seq: number; level: string }[];
      nextCursor: string | null;
    };
  };
  const seqs = (page: { events: { seq: number }[] }) => page.events.map((e) => e.seq);

  const all = await get('');
  t.same(seqs(all), [2, 4, 6, 7], 'debug diagnostics are hidden by default');
  t.same(
    all.events.map((e) => e.level),
    ['info', 'warning', 'error', 'info'],
  );
  t.equal(all.nextCursor, null, 'the operation ended and this is the last page');
  t.same(seqs(await get('?level=debug')), [1, 2, 3, 4, 5, 6, 7], 'level=debug: everything');
  t.same(seqs(await get('?level=warning')), [4, 6]);

  // Pages of two, following nextCursor (the same opaque cursor format as every list).
  const first = await get('?limit=2&level=debug');
  t.same(seqs(first), [1, 2]);
  t.type(first.nextCursor, 'string');
  const second = await get(`?limit=2&level=debug&cursor=${first.nextCursor}`);
  t.same(seqs(second), [3, 4]);
  const warnings = await get('?limit=1&level=warning');
  t.same(seqs(warnings), [4]);
  const lastWarning = await get(`?limit=1&level=warning&cursor=${warnings.nextCursor}`);
  t.same(seqs(lastWarning), [6]);
  const past = await get(`?limit=1&level=warning&cursor=${lastWarning.nextCursor}`);
  t.same(seqs(past), []);
  t.equal(past.nextCursor, null);

  for (const bad of ['limit=0', 'limit=1001', 'limit=true', 'level=trace', 'cursor=%2B%2B']) {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/operations/${op.id}/events?${bad}`,
      headers: { accept: 'application/json' },
    });
    t.equal(res.statusCode, 400, bad);
    t.equal(res.json().code, 'validation_failed', bad);
  }
});

t.test('closing the app ends open event streams without waiting for the operation', async (t) => {
  const { app, engine, store } = await makeApp({ config: { shutdownTimeoutMs: 0 } });
  await putTrail(app);
  const op = (await app.inject({ method: 'POST', url: `${trailUrl}/applies` })).json();
  const call = await engine.nextCall();
  call.emit(event(1));
  await new Promise<void>((resolve) => app.operationQueue.once('events', () => resolve()));
  // The stream is open once it has read the persisted events: observe that read.
  let streamRead!: () => void;
  const reading = new Promise<void>((resolve) => {
    streamRead = resolve;
  });
  const listEvents = store.operations.listOperationEvents.bind(store.operations);
  store.operations.listOperationEvents = async (...args) => {
    const events = await listEvents(...args);
    streamRead();
    return events;
  };
  const stream = app.inject({ method: 'GET', url: `/v1/operations/${op.id}/events` });
  await reading;
  await app.close();
  const res = await stream;
  t.match(res.body, /^event: state\n.*\n\nid: 1\n/);
  t.notMatch(res.body, /event: end/, 'no end event: the operation did not end, the client reconnects');
  t.equal((await store.operations.getOperation(op.id))?.state, 'interrupted');
});
