// The service as its callers see it: `node src/main.ts` in sandbox mode, the real Pulumi CLI,
// over HTTP. A trail request goes from PUT to a converged account and back out, and an apply
// cut short by a crash is reported interrupted after the restart and succeeds when retried.
import t from 'tap';
import { tempDir } from '../helpers/engine.ts';
import { followEvents, type RunningService, startService } from '../helpers/service.ts';

interface Operation {
  id: string;
  state: string;
  changeSummary: Record<string, number> | null;
  outputs: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

const json = { 'content-type': 'application/json' };

async function startOperation(service: RunningService, accountId: string, kind: string): Promise<Operation> {
  const res = await service.fetch(`/v1/accounts/${accountId}/trail/${kind}`, { method: 'POST' });
  if (res.status !== 202) throw new Error(`POST ${kind}: ${res.status} ${await res.text()}`);
  const location = res.headers.get('location');
  const op = (await res.json()) as Operation;
  if (location !== `/v1/operations/${op.id}`) throw new Error(`bad Location ${location}`);
  return op;
}

async function finished(service: RunningService, id: string): Promise<Operation> {
  await followEvents(service, id);
  return (await (await service.fetch(`/v1/operations/${id}`)).json()) as Operation;
}

t.test('PUT, preview, apply, outputs, no-change apply, DELETE', async (t) => {
  const dataDir = await tempDir(t);
  const service = await startService(dataDir);
  t.teardown(() => service.stop());
  const account = '123456789012';

  const put = await service.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' }, tags: { team: 'e2e' } }),
  });
  t.equal(put.status, 201, 'spec stored (created)');
  t.ok(put.headers.get('etag'), 'with an ETag');

  const preview = await finished(service, (await startOperation(service, account, 'previews')).id);
  t.equal(preview.state, 'succeeded', 'preview succeeded');
  t.ok(
    (preview.changeSummary?.create ?? 0) > 10,
    `preview plans the baseline (${preview.changeSummary?.create})`,
  );

  const events: unknown[] = [];
  const applyOp = await startOperation(service, account, 'applies');
  await followEvents(service, applyOp.id, (e) => {
    if (e.event === 'engine-event') events.push(e.data);
    return undefined;
  });
  const apply = (await (await service.fetch(`/v1/operations/${applyOp.id}`)).json()) as Operation;
  t.equal(apply.state, 'succeeded', `apply succeeded ${JSON.stringify(apply.error)}`);
  t.equal(
    apply.changeSummary?.create,
    preview.changeSummary?.create,
    'apply created what the preview planned',
  );
  t.ok(events.length > 10, 'engine events were streamed');
  t.match(apply.outputs, { bucketName: String, keyArn: /^arn:aws:kms:eu-west-1:123456789012:key\// });

  const trail = (await (await service.fetch(`/v1/accounts/${account}/trail`)).json()) as Record<
    string,
    unknown
  >;
  t.match(trail, { outputs: { bucketName: apply.outputs?.bucketName } }, 'GET trail reports the outputs');

  const again = await finished(service, (await startOperation(service, account, 'applies')).id);
  t.equal(again.state, 'succeeded');
  t.same(Object.keys(again.changeSummary ?? {}), ['same'], 'a second apply changes nothing');

  const del = await service.fetch(`/v1/accounts/${account}/trail`, { method: 'DELETE' });
  t.equal(del.status, 202, 'DELETE starts a decommission');
  const destroy = await finished(service, ((await del.json()) as Operation).id);
  t.equal(destroy.state, 'succeeded', `decommission succeeded ${JSON.stringify(destroy.error)}`);
  t.ok((destroy.changeSummary?.delete ?? 0) > 0, 'resources were deleted');
});

t.test('a crash during an apply: interrupted after restart, and a retry succeeds', async (t) => {
  const dataDir = await tempDir(t);
  const account = '210987654321';
  const first = await startService(dataDir);
  t.teardown(() => first.kill());
  await first.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ homeRegion: 'us-east-1' }),
  });
  const op = await startOperation(first, account, 'applies');
  // Kill the service once the engine has started creating resources.
  await followEvents(first, op.id, (e) => {
    const data = e.data as { resourcePreEvent?: { metadata?: { op?: string } } } | undefined;
    return data?.resourcePreEvent?.metadata?.op === 'create';
  });
  await first.kill();

  const second = await startService(dataDir);
  t.teardown(() => second.stop());
  const after = (await (await second.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
  t.equal(after.state, 'interrupted', 'not lost, not stuck running');
  t.ok(after.error?.message, `with the reason: ${after.error?.message}`);

  const retry = await second.fetch(`/v1/operations/${op.id}/retry`, { method: 'POST' });
  t.equal(retry.status, 202, 'retry accepted');
  const retried = await finished(second, ((await retry.json()) as Operation).id);
  t.equal(retried.state, 'succeeded', `the retry converges the account ${JSON.stringify(retried.error)}`);
  t.match(retried.outputs, { bucketName: String });
});
