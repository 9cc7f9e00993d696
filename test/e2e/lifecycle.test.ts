// Decommission and re-onboarding through the HTTP API, with the real engine and sandbox: a DELETE
// that keeps the log data (the default) and a new PUT + apply adopt the kept bucket and key, so the
// new trail writes into the same bucket under the same key, and no second key or bucket exists.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { SandboxState } from '../../src/sandbox/state.ts';
import { tempDir } from '../helpers/engine.ts';
import { type RunningService, startService } from '../helpers/service.ts';
import { apiOf, finished, putTrail } from './client.ts';

const spec = { homeRegion: 'eu-west-1', alarms: { set: 'essentials' } } as const;
const put = (service: RunningService, accountId: string) => putTrail(apiOf(service), accountId, spec);
const apply = (service: RunningService, accountId: string) =>
  apiOf(service).POST('/v1/accounts/{accountId}/trail/applies', { params: { path: { accountId } } });
const decommission = (service: RunningService, accountId: string) =>
  apiOf(service).DELETE('/v1/accounts/{accountId}/trail', { params: { path: { accountId } } });

t.test('apply, DELETE (keep data), PUT, apply: the kept bucket and key are used again', async (t) => {
  const dataDir = await tempDir(t);
  const service = await startService(dataDir);
  t.teardown(() => service.stop());
  const account = '345678901234';
  const sandbox = new SandboxState(join(dataDir, 'sandbox', 'state'));
  const count = (type: string) => sandbox.list({ accountId: account, type }).length;

  t.equal((await put(service, account)).response.status, 201);
  const first = await finished(service, await apply(service, account));
  t.equal(first.state, 'succeeded', `first apply ${JSON.stringify(first.error)}`);
  const { bucketName, keyArn } = first.outputs as { bucketName: string; keyArn: string };

  const destroy = await finished(service, await decommission(service, account));
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

  const twice = await decommission(service, account);
  t.equal(twice.response.status, 409, 'a second DELETE starts nothing');
  t.equal(twice.error?.code, 'account_decommissioned');
  t.equal(count('aws:kms/key:Key'), 1, 'and creates no key');

  t.equal((await put(service, account)).response.status, 200, 'onboarded again');
  const again = await finished(service, await apply(service, account));
  t.equal(again.state, 'succeeded', `re-onboarding apply ${JSON.stringify(again.error)}`);
  t.match(again.outputs, { bucketName, keyArn }, 'the same bucket and key');
  t.equal(count('aws:kms/key:Key'), 1, 'exactly one key in the account');
  t.equal(count('aws:s3/bucket:Bucket'), 1, 'exactly one bucket in the account');
  const [trail] = sandbox.list({ accountId: account, type: 'aws:cloudtrail/trail:Trail' });
  t.equal(trail?.outputs.s3BucketName, bucketName, 'the new trail delivers to the kept bucket');
  t.equal(trail?.outputs.kmsKeyId, keyArn, 'under the kept key');

  const same = await finished(service, await apply(service, account));
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
    t.equal((await put(first, account)).response.status, 201);
    const applied = await finished(first, await apply(first, account));
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
    const again = await finished(second, await apply(second, account));
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
    const same = await finished(second, await apply(second, account));
    t.same(Object.keys(same.changeSummary ?? {}), ['same'], 'and a further apply changes nothing');
  },
);
