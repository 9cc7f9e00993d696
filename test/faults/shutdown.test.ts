// A graceful stop in the middle of an apply: the service aborts the operation, kills whatever the
// engine still runs (the CLI, its provider plugins) before it exits, and the next start reaps
// nothing because nothing is left; the interrupted apply is retried to convergence.
import t from 'tap';
import { processesOfRun } from '../../src/engine/processes.ts';
import { tempDir } from '../helpers/engine.ts';
import { followEvents } from '../helpers/service.ts';
import { sandboxResources, stackResources, startGroupService } from './harness.ts';

interface Operation {
  id: string;
  state: string;
  changeSummary: Record<string, number> | null;
  error: { code: string; message: string } | null;
}

t.test('SIGTERM during an apply: no engine process outlives the service', async (t) => {
  const dataDir = await tempDir(t, 'trailwarden-faults-');
  const account = '920000000000';
  const env = { SHUTDOWN_TIMEOUT_MS: '0' };
  const first = await startGroupService(dataDir, env);
  t.teardown(() => first.killGroup());
  const put = await first.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' } }),
  });
  t.equal(put.status, 201);
  const res = await first.fetch(`/v1/accounts/${account}/trail/applies`, { method: 'POST' });
  const op = (await res.json()) as Operation;
  // Stop once the engine is creating resources (its CLI and plugins are running then).
  await followEvents(first, op.id, (e) => {
    const data = e.data as { resourcePreEvent?: { metadata?: { op?: string } } } | undefined;
    return data?.resourcePreEvent?.metadata?.op === 'create';
  });
  t.ok(processesOfRun(first.runId).length > 0, 'the engine runs');
  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGTERM');
  await exited;
  t.same(processesOfRun(first.runId), [], 'nothing of the stopped run is left when it has exited');

  const second = await startGroupService(dataDir, env);
  t.teardown(() => second.killGroup());
  const after = (await (await second.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
  // The cancel the stop sends lets in-flight steps finish; a short apply may complete meanwhile.
  t.ok(['interrupted', 'succeeded'].includes(after.state), `the apply ended ${after.state}`);
  if (after.state === 'interrupted') {
    const retry = (await (
      await second.fetch(`/v1/operations/${op.id}/retry`, { method: 'POST' })
    ).json()) as Operation;
    await followEvents(second, retry.id);
    const retried = (await (await second.fetch(`/v1/operations/${retry.id}`)).json()) as Operation;
    t.equal(retried.state, 'succeeded', `the retry converges ${JSON.stringify(retried.error)}`);
  }
  t.same(sandboxResources(dataDir, account), stackResources(dataDir, account), 'sandbox = stack');
});

t.test('SIGKILL of the service alone: nothing of it is left once the next start listens', async (t) => {
  const dataDir = await tempDir(t, 'trailwarden-faults-');
  const account = '930000000000';
  const first = await startGroupService(dataDir);
  t.teardown(() => first.killGroup());
  await first.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' } }),
  });
  const op = (await (
    await first.fetch(`/v1/accounts/${account}/trail/applies`, { method: 'POST' })
  ).json()) as Operation;
  await followEvents(first, op.id, (e) => {
    const data = e.data as { resourcePreEvent?: { metadata?: { op?: string } } } | undefined;
    return data?.resourcePreEvent?.metadata?.op === 'create';
  });
  // Only the service process: its CLI lives on, still updating the stack and holding its lock.
  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGKILL');
  await exited;
  // The CLI of an inline program also gives up once its language host (the service) is gone, so
  // how many are left at this instant varies; none may be left once the next start listens.
  t.comment(`engine processes left by the killed service: ${processesOfRun(first.runId).length}`);

  const second = await startGroupService(dataDir);
  t.teardown(() => second.killGroup());
  t.same(
    processesOfRun(first.runId),
    [],
    'none is left once the next start listens (reaped before recovery)',
  );
  const after = (await (await second.fetch(`/v1/operations/${op.id}`)).json()) as Operation;
  t.equal(after.state, 'interrupted');
  const retry = (await (
    await second.fetch(`/v1/operations/${op.id}/retry`, { method: 'POST' })
  ).json()) as Operation;
  await followEvents(second, retry.id);
  const retried = (await (await second.fetch(`/v1/operations/${retry.id}`)).json()) as Operation;
  t.equal(retried.state, 'succeeded', `the retry converges ${JSON.stringify(retried.error)}`);
  t.same(sandboxResources(dataDir, account), stackResources(dataDir, account), 'sandbox = stack');
});
