// Decommission and re-onboarding through the HTTP API, with the real engine and sandbox: a DELETE
// that keeps the log data (the default) and a new PUT + apply adopt the kept bucket and key, so the
// new trail writes into the same bucket under the same key, and no second key or bucket exists.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { SandboxState } from '../../src/sandbox/state.ts';
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
const spec = { homeRegion: 'eu-west-1', alarms: { set: 'essentials' } };

async function finished(service: RunningService, res: Response): Promise<Operation> {
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status} ${await res.text()}`);
  const op = (await res.json()) as Operation;
  await followEvents(service, op.id);
  return (await (await service.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
}

async function put(service: RunningService, account: string) {
  const current = await service.fetch(`/v1/accounts/${account}/trail`);
  const etag = current.status === 200 ? current.headers.get('etag') : null;
  return service.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: { ...json, ...(etag ? { 'if-match': etag } : {}) },
    body: JSON.stringify(spec),
  });
}

t.test('apply, DELETE (keep data), PUT, apply: the kept bucket and key are used again', async (t) => {
  const dataDir = await tempDir(t);
  const service = await startService(dataDir);
  t.teardown(() => service.stop());
  const account = '345678901234';
  const sandbox = new SandboxState(join(dataDir, 'sandbox', 'state'));
  const count = (type: string) => sandbox.list({ accountId: account, type }).length;

  t.equal((await put(service, account)).status, 201);
  const applyUrl = `/v1/accounts/${account}/trail/applies`;
  const first = await finished(service, await service.fetch(applyUrl, { method: 'POST' }));
  t.equal(first.state, 'succeeded', `first apply ${JSON.stringify(first.error)}`);
  const { bucketName, keyArn } = first.outputs as { bucketName: string; keyArn: string };

  const destroy = await finished(
    service,
    await service.fetch(`/v1/accounts/${account}/trail`, { method: 'DELETE' }),
  );
  t.equal(destroy.state, 'succeeded', `decommission ${JSON.stringify(destroy.error)}`);
  t.ok(
    (destroy.changeSummary?.kept ?? 0) > 0,
    `kept resources counted as kept: ${JSON.stringify(destroy.changeSummary)}`,
  );
  t.ok((destroy.changeSummary?.delete ?? 0) > 0, 'the rest deleted');
  t.equal(count('aws:cloudtrail/trail:Trail'), 0, 'the trail is gone');
  t.equal(count('aws:kms/key:Key'), 1, 'the key is kept');
  t.equal(count('aws:s3/bucket:Bucket'), 1, 'the bucket is kept');
  t.equal(
    destroy.changeSummary?.kept,
    sandbox.list({ accountId: account }).length,
    'the summary counts exactly what the account kept',
  );

  t.equal((await put(service, account)).status, 200, 'onboarded again');
  const again = await finished(service, await service.fetch(applyUrl, { method: 'POST' }));
  t.equal(again.state, 'succeeded', `re-onboarding apply ${JSON.stringify(again.error)}`);
  t.match(again.outputs, { bucketName, keyArn }, 'the same bucket and key');
  t.equal(count('aws:kms/key:Key'), 1, 'exactly one key in the account');
  t.equal(count('aws:s3/bucket:Bucket'), 1, 'exactly one bucket in the account');
  const [trail] = sandbox.list({ accountId: account, type: 'aws:cloudtrail/trail:Trail' });
  t.equal(trail?.outputs.s3BucketName, bucketName, 'the new trail delivers to the kept bucket');
  t.equal(trail?.outputs.kmsKeyId, keyArn, 'under the kept key');

  const same = await finished(service, await service.fetch(applyUrl, { method: 'POST' }));
  t.same(Object.keys(same.changeSummary ?? {}), ['same'], 'and a further apply changes nothing');
});

t.test(
  'a stack that lost its state: the apply adopts what the account has, creates nothing twice',
  async (t) => {
    const dataDir = await tempDir(t);
    const account = '456789012345';
    const sandbox = new SandboxState(join(dataDir, 'sandbox', 'state'));
    const first = await startService(dataDir);
    t.teardown(() => first.stop());
    t.equal((await put(first, account)).status, 201);
    const applyUrl = `/v1/accounts/${account}/trail/applies`;
    const applied = await finished(first, await first.fetch(applyUrl, { method: 'POST' }));
    t.equal(applied.state, 'succeeded');
    const before = sandbox
      .list({ accountId: account })
      .map((r) => `${r.type} ${r.id}`)
      .sort();
    await first.stop();

    // The state is lost (or was written by a version that forgot the kept bucket and key).
    const state = join(dataDir, 'state', '.pulumi');
    await rm(join(state, 'stacks', 'trailwarden'), { recursive: true, force: true });
    await rm(join(state, 'history', 'trailwarden', account), { recursive: true, force: true });

    const second = await startService(dataDir);
    t.teardown(() => second.stop());
    const again = await finished(second, await second.fetch(applyUrl, { method: 'POST' }));
    t.equal(again.state, 'succeeded', `apply over the existing resources ${JSON.stringify(again.error)}`);
    t.ok(
      (again.changeSummary?.import ?? 0) > 0,
      `resources imported: ${JSON.stringify(again.changeSummary)}`,
    );
    t.same(
      sandbox
        .list({ accountId: account })
        .map((r) => `${r.type} ${r.id}`)
        .sort(),
      before,
      'the account holds exactly what it held: no second key, no second anything',
    );
    const same = await finished(second, await second.fetch(applyUrl, { method: 'POST' }));
    t.same(Object.keys(same.changeSummary ?? {}), ['same'], 'and a further apply changes nothing');
  },
);
