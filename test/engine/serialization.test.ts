// The adapter runs one operation at a time per account and several accounts in parallel,
// through the real CLI. The programs here declare only a component (no provider needed), and
// block on gates the test opens, so the ordering is observed rather than timed.
import * as pulumi from '@pulumi/pulumi';
import t from 'tap';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { OperationCancelledError } from '../../src/engine/errors.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { deferred, tempDir } from '../helpers/engine.ts';

const request = resolveTrailRequest({ homeRegion: 'eu-west-1' });

t.test('same account waits its turn; another account runs at once', async (t) => {
  const dataDir = await tempDir(t);
  const running = new Map<string, number>();
  const log: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const entered = new Map<string, ReturnType<typeof deferred<void>>>();
  for (const name of ['A1', 'A2', 'B1']) {
    gates.set(name, deferred());
    entered.set(name, deferred());
  }
  // Programs are built when an operation starts, so each account hands out its own labels.
  const labels = new Map([
    ['111111111111', ['A1', 'A2']],
    ['222222222222', ['B1']],
  ]);
  let ended = 0;
  const engine = new AccountStacks({
    dataDir,
    passphrase: 'test',
    afterOperation: () => ended++,
    programFor: ({ accountId }) => {
      const name = labels.get(accountId)?.shift() ?? 'unexpected';
      return async () => {
        const now = (running.get(accountId) ?? 0) + 1;
        running.set(accountId, now);
        log.push(`start ${name} (${now} running on ${accountId})`);
        entered.get(name)?.resolve();
        await gates.get(name)?.promise;
        new pulumi.ComponentResource('trailwarden:test:Marker', 'marker', {}, {});
        running.set(accountId, (running.get(accountId) ?? 1) - 1);
        log.push(`end ${name}`);
        return { name };
      };
    },
  });
  const a1 = engine.up('111111111111', request);
  const a2 = engine.up('111111111111', request);
  const b1 = engine.up('222222222222', request);
  await entered.get('A1')!.promise;
  await entered.get('B1')!.promise; // B runs while A1 still holds account A
  t.notOk(log.includes('start A2 (1 running on 111111111111)'), 'A2 has not started while A1 runs');
  gates.get('B1')!.resolve();
  gates.get('A1')!.resolve();
  await entered.get('A2')!.promise;
  gates.get('A2')!.resolve();
  const results = await Promise.all([a1, a2, b1]);
  t.same(
    results.map((r) => r.outputs.name),
    ['A1', 'A2', 'B1'],
  );
  t.equal(ended, 3, "each operation's end is reported (where the service returns its memory)");
  t.ok(
    log.indexOf('end A1') < log.indexOf('start A2 (1 running on 111111111111)'),
    'A2 starts after A1 ends',
  );
  t.notOk(
    log.some((l) => /\(2 running/.test(l)),
    'never two programs at once on one account',
  );
});

t.test('an aborted operation is reported as cancelled', async (t) => {
  const dataDir = await tempDir(t);
  const entered = deferred();
  const never = deferred();
  const engine = new AccountStacks({
    dataDir,
    passphrase: 'test',
    programFor: () => async () => {
      entered.resolve();
      await never.promise;
      return {};
    },
  });
  const controller = new AbortController();
  const up = engine.up('333333333333', request, { signal: controller.signal });
  await entered.promise;
  controller.abort();
  const err = await up.then(
    () => undefined,
    (e: unknown) => e,
  );
  never.resolve();
  t.type(err, OperationCancelledError);
  t.equal((err as OperationCancelledError).code, 'cancelled');
  // The stack is usable afterwards: the cancelled update released its lock.
  const again = new AccountStacks({
    dataDir,
    passphrase: 'test',
    programFor: () => async () => ({ ok: true }),
  });
  await again.cancelStaleLock('333333333333');
  const result = await again.up('333333333333', request);
  t.same(result.outputs, { ok: true });
});
