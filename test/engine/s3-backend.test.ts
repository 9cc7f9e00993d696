// Pulumi state in S3 (PULUMI_BACKEND_URL=s3://…), against a local S3 endpoint (moto): the service
// applies and drift-checks an account with its stack in the bucket, refuses to run over a lock another
// process holds there, and two engines in two processes' places never update one stack at once (the DIY
// backend's own lock, pkg/backend/diy/lock.go: write a lock object, then fail if any other lock exists).
import { randomBytes } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import t, { type Test } from 'tap';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { StackLockedError } from '../../src/engine/errors.ts';
import { inheritableEnv } from '../../src/engine/processes.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { deferred, tempDir } from '../helpers/engine.ts';
import { type MotoServer, motoInstalled, startMoto } from '../helpers/moto.ts';
import { followEvents, startService } from '../helpers/service.ts';

const missing = motoInstalled()
  ? undefined
  : 'moto is not installed: bash scripts/install-moto.sh (.ci/run does)';

const json = { 'content-type': 'application/json' };
const request = resolveTrailRequest({ homeRegion: 'eu-west-1' });

let moto: MotoServer;
t.before(async () => {
  if (!missing) moto = await startMoto();
});
t.teardown(() => moto?.stop());

interface Operation {
  id: string;
  state: string;
  error: { code: string; message: string } | null;
  changeSummary: Record<string, number> | null;
}

/** Under CI (which installs moto) a missing moto fails; elsewhere the test says it was skipped. */
function needMoto(t: Test): boolean {
  if (!missing) return true;
  if (process.env.CI) t.fail(missing);
  else t.pass(`skipped: ${missing}`);
  return false;
}

t.test('the service keeps each stack in the bucket: apply, drift check, a held lock', async (t) => {
  if (!needMoto(t)) return;
  const bucket = `state-service-${randomBytes(4).toString('hex')}`;
  await moto.createBucket(bucket);
  const dataDir = await tempDir(t);
  const service = await startService(dataDir, {
    ...moto.env,
    PULUMI_BACKEND_URL: moto.backendUrl(bucket),
    RECONCILE_CRON: 'off',
  });
  t.teardown(() => service.stop());
  const account = '345678901234';
  const put = await service.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify({ homeRegion: 'eu-west-1' }),
  });
  t.equal(put.status, 201);
  const run = async (path: string): Promise<Operation> => {
    const res = await service.fetch(`/v1/accounts/${account}/${path}`, { method: 'POST' });
    t.equal(res.status, 202, `POST ${path}`);
    const op = (await res.json()) as Operation;
    await followEvents(service, op.id);
    return (await (await service.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
  };

  const apply = await run('trail/applies');
  t.equal(apply.state, 'succeeded', `apply ${JSON.stringify(apply.error)}`);
  const stackKey = `.pulumi/stacks/trailwarden/${account}.json`;
  const checkpoint = JSON.parse((await moto.getObject(bucket, stackKey)) ?? '{}') as {
    checkpoint?: { latest?: { resources?: { type: string }[] } };
  };
  t.ok(
    (checkpoint.checkpoint?.latest?.resources ?? []).some((r) => r.type === 'aws:cloudtrail/trail:Trail'),
    'the checkpoint in the bucket holds the trail',
  );
  t.same(
    (await moto.listKeys(bucket, '.pulumi/locks/')).length,
    0,
    'no lock is left in the bucket once the apply ended',
  );

  const check = await run('drift-checks');
  t.equal(
    check.state,
    'succeeded',
    `drift check reads the state from the bucket ${JSON.stringify(check.error)}`,
  );

  // Another process (a replica, an operator's CLI) holds the stack's lock: the apply is refused with
  // the engine's own words, and nothing is changed.
  const lockKey = `.pulumi/locks/organization/trailwarden/${account}/00000000-0000-4000-8000-000000000000.json`;
  await moto.putObject(
    bucket,
    lockKey,
    JSON.stringify({
      pid: 4242,
      username: 'other',
      hostname: 'replica-b',
      timestamp: new Date().toISOString(),
    }),
  );
  const locked = await run('trail/applies');
  t.equal(locked.state, 'failed', 'an apply over a held lock fails');
  t.equal(locked.error?.code, 'stack_locked', 'as stack_locked');
  t.match(locked.error?.message ?? '', /locked/i);
  t.ok(await moto.getObject(bucket, lockKey), "the other process's lock is left alone");
});

t.test('two engines (as two replicas) never update one stack in the bucket at once', async (t) => {
  if (!needMoto(t)) return;
  const bucket = `state-engines-${randomBytes(4).toString('hex')}`;
  await moto.createBucket(bucket);
  const backendUrl = moto.backendUrl(bucket, 'team-a');
  const childEnv = { ...inheritableEnv(), ...moto.env };
  const inside = deferred();
  const release = deferred();
  const engineFor = async (label: string, block: boolean) =>
    new AccountStacks({
      dataDir: await tempDir(t),
      backendUrl,
      passphrase: 'shared-passphrase',
      childEnv,
      programFor: () => async () => {
        if (block) {
          inside.resolve();
          await release.promise;
        }
        new pulumi.ComponentResource('trailwarden:test:Marker', 'marker', {}, {});
        return { by: label };
      },
    });
  const a = await engineFor('a', true);
  const b = await engineFor('b', false);
  const account = '456789012345';
  const first = a.up(account, request);
  await inside.promise; // a's update is running: its lock is in the bucket
  const locks = await moto.listKeys(bucket, 'team-a/.pulumi/locks/');
  t.equal(locks.length, 1, 'one lock object while the update runs');
  await t.rejects(b.up(account, request), StackLockedError, 'the second engine is refused, not queued');
  release.resolve();
  const done = await first;
  t.same(done.outputs, { by: 'a' }, 'the first update completes');
  t.same(await moto.listKeys(bucket, 'team-a/.pulumi/locks/'), [], 'and releases its lock');
  const after = await b.up(account, request);
  t.same(after.outputs, { by: 'b' }, 'the other engine updates the same stack afterwards');
  t.same(
    (await moto.listKeys(bucket, 'team-a/.pulumi/stacks/')).filter((k) => k.endsWith('.json')),
    [`team-a/.pulumi/stacks/trailwarden/${account}.json`],
    'one stack, under the prefix of the URL',
  );
  await a.close();
  await b.close();
});
