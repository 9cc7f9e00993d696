// The service as its callers see it: `node src/main.ts` in sandbox mode, the real Pulumi CLI,
// over HTTP through the generated client (test/e2e/client.ts). A trail request goes from PUT to a
// converged account and back out, and an apply cut short by a crash is reported interrupted after
// the restart and succeeds when retried.
import t from 'tap';
import { tempDir } from '../helpers/engine.ts';
import { followEvents, type RunningService, startService } from '../helpers/service.ts';
import { apiOf, finished, putTrail } from './client.ts';

const start = (service: RunningService, accountId: string, kind: 'previews' | 'applies') =>
  apiOf(service).POST(`/v1/accounts/{accountId}/trail/${kind}`, { params: { path: { accountId } } });

t.test('PUT, preview, apply, outputs, no-change apply, DELETE', async (t) => {
  const dataDir = await tempDir(t);
  const service = await startService(dataDir);
  t.teardown(() => service.stop());
  const api = apiOf(service);
  const account = '123456789012';

  const put = await putTrail(api, account, {
    homeRegion: 'eu-west-1',
    alarms: { set: 'essentials' },
    tags: { team: 'e2e' },
  });
  t.equal(put.response.status, 201, 'spec stored (created)');
  t.ok(put.response.headers.get('etag'), 'with an ETag');

  const preview = await finished(service, await start(service, account, 'previews'));
  t.equal(preview.state, 'succeeded', 'preview succeeded');
  t.ok(
    (preview.changeSummary?.create ?? 0) > 10,
    `preview plans the baseline (${preview.changeSummary?.create})`,
  );

  const events: unknown[] = [];
  const started = await start(service, account, 'applies');
  t.equal(started.response.status, 202);
  await followEvents(service, started.data?.id ?? '', (e) => {
    if (e.event === 'engine-event') events.push(e.data);
    return undefined;
  });
  const { data: apply } = await api.GET('/v1/operations/{operationId}', {
    params: { path: { operationId: started.data?.id ?? '' } },
  });
  t.equal(apply?.state, 'succeeded', `apply succeeded ${JSON.stringify(apply?.error)}`);
  t.equal(
    apply?.changeSummary?.create,
    preview.changeSummary?.create,
    'apply created what the preview planned',
  );
  t.ok(events.length > 10, 'engine events were streamed');
  t.match(apply?.outputs, { bucketName: String, keyArn: /^arn:aws:kms:eu-west-1:123456789012:key\// });

  const trail = await api.GET('/v1/accounts/{accountId}/trail', { params: { path: { accountId: account } } });
  t.match(
    trail.data,
    { outputs: { bucketName: apply?.outputs?.bucketName } },
    'GET trail reports the outputs',
  );

  const again = await finished(service, await start(service, account, 'applies'));
  t.equal(again.state, 'succeeded');
  t.same(Object.keys(again.changeSummary ?? {}), ['same'], 'a second apply changes nothing');

  const del = await api.DELETE('/v1/accounts/{accountId}/trail', {
    params: { path: { accountId: account } },
  });
  t.equal(del.response.status, 202, 'DELETE starts a decommission');
  const destroy = await finished(service, del);
  t.equal(destroy.state, 'succeeded', `decommission succeeded ${JSON.stringify(destroy.error)}`);
  t.ok((destroy.changeSummary?.delete ?? 0) > 0, 'resources were deleted');
});

t.test('a crash during an apply: interrupted after restart, and a retry succeeds', async (t) => {
  const dataDir = await tempDir(t);
  const account = '210987654321';
  const first = await startService(dataDir);
  t.teardown(() => first.kill());
  await putTrail(apiOf(first), account, { homeRegion: 'us-east-1' });
  const started = await start(first, account, 'applies');
  t.equal(started.response.status, 202);
  const opId = started.data?.id ?? '';
  // Kill the service once the engine has started creating resources.
  await followEvents(first, opId, (e) => {
    const data = e.data as { resourcePreEvent?: { metadata?: { op?: string } } } | undefined;
    return data?.resourcePreEvent?.metadata?.op === 'create';
  });
  await first.kill();

  const second = await startService(dataDir);
  t.teardown(() => second.stop());
  const api = apiOf(second);
  const { data: after } = await api.GET('/v1/operations/{operationId}', {
    params: { path: { operationId: opId } },
  });
  t.equal(after?.state, 'interrupted', 'not lost, not stuck running');
  t.equal(after?.error?.code, 'interrupted_by_restart', 'a catalogued code');
  t.ok(after?.error?.message, `with the reason: ${after?.error?.message}`);

  const retry = await api.POST('/v1/operations/{operationId}/retry', {
    params: { path: { operationId: opId } },
  });
  t.equal(retry.response.status, 202, 'retry accepted');
  const retried = await finished(second, retry);
  t.equal(retried.state, 'succeeded', `the retry converges the account ${JSON.stringify(retried.error)}`);
  t.match(retried.outputs, { bucketName: String });
});
