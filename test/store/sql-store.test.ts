import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { NewOperation } from '../../src/operations/store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStores } from '../../src/stores.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { databases, freshStore } from '../helpers/databases.ts';

const spec = resolveTrailRequest({ homeRegion: 'us-east-1' });
const now = '2026-01-01T00:00:00.000Z';
let n = 0;
const newOp = (accountId: string, kind: NewOperation['kind'] = 'apply'): NewOperation => ({
  id: `op-${++n}`,
  accountId,
  kind,
  spec,
  specVersion: 1,
  options: {},
  retryOf: null,
  createdAt: now,
});

t.test('migrations apply once; data survives reopening the file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trailwarden-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const url = `sqlite:${path.join(dir, 'nested', 'db.sqlite')}`;
  const first = await openStores(url);
  await first.accounts.saveSpec('111122223333', spec, { now });
  await first.close();
  const second = await openStores(url);
  t.equal((await second.accounts.getAccount('111122223333'))?.specVersion, 1);
  t.ok(MIGRATIONS.length >= 1);
  await second.close();
});

for (const url of databases) {
  const db = url.split(':')[0];

  t.test(`${db}: saveSpec: created, unchanged, updated, stale`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    t.equal((await store.accounts.saveSpec('1', spec, { now })).outcome, 'created');
    t.equal((await store.accounts.saveSpec('1', spec, { now })).outcome, 'unchanged');
    const changed = { ...spec, insights: ['ApiCallRateInsight' as const] };
    const updated = await store.accounts.saveSpec('1', changed, { now, ifVersion: 1 });
    t.equal(updated.outcome, 'updated');
    t.equal(updated.account?.specVersion, 2);
    const stale = await store.accounts.saveSpec('1', spec, { now, ifVersion: 1 });
    t.equal(stale.outcome, 'stale');
    t.same(
      (await store.accounts.getAccount('1'))?.spec.insights,
      ['ApiCallRateInsight'],
      'a stale write changes nothing',
    );
  });

  t.test(`${db}: claimRunnable: oldest per account, none while one runs, up to the limit`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    for (const a of ['a', 'b', 'c']) await store.accounts.saveSpec(a, spec, { now });
    const a1 = await store.operations.insertOperation(newOp('a'));
    const a2 = await store.operations.insertOperation(newOp('a'));
    const b1 = await store.operations.insertOperation(newOp('b'));
    const c1 = await store.operations.insertOperation(newOp('c'));
    t.ok(a1 && a2 && b1 && c1);
    t.ok(a1!.seq < a2!.seq && a2!.seq < b1!.seq);

    const firstClaim = await store.operations.claimRunnable(2, now);
    t.same(
      firstClaim.map((o) => o.id),
      [a1!.id, b1!.id],
      'a2 waits behind a1; the limit leaves c1',
    );
    t.same(
      (await store.operations.claimRunnable(5, now)).map((o) => o.id),
      [c1!.id],
    );
    t.same(await store.operations.claimRunnable(5, now), [], 'a2 not while a1 runs');
    t.equal(
      await store.operations.insertOperation(newOp('a'), { requireIdle: true }),
      undefined,
      'requireIdle refuses',
    );

    t.ok(
      await store.operations.updateOperation(
        a1!.id,
        { state: 'succeeded', finishedAt: now },
        { ifState: 'running' },
      ),
    );
    t.notOk(
      await store.operations.updateOperation(a1!.id, { state: 'failed' }, { ifState: 'running' }),
      'conditional update does not touch a finished operation',
    );
    t.same(
      (await store.operations.claimRunnable(5, now)).map((o) => o.id),
      [a2!.id],
    );
    t.equal((await store.accounts.getAccount('a'))?.lastOperationId, a2!.id);
  });

  t.test(`${db}: stores share one transaction across aggregates`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    await store.accounts.saveSpec('1', spec, { now });
    await t.rejects(
      store.transaction(async (tx) => {
        await tx.operations.insertOperation(newOp('1'));
        await tx.accounts.updateAccount('1', { status: 'applied' }, now);
        throw new Error('boom');
      }),
      /boom/,
    );
    t.equal((await store.accounts.getAccount('1'))?.status, 'pending', 'rolled back: the account');
    t.same(await store.operations.listAccountOperations('1', ['queued']), [], 'rolled back: the operation');
    const op = await store.transaction(async (tx) => {
      const inserted = await tx.operations.insertOperation(newOp('1'));
      await tx.accounts.updateAccount('1', { status: 'applied' }, now);
      return inserted;
    });
    const account = await store.accounts.getAccount('1');
    t.equal(account?.status, 'applied');
    t.equal(account?.lastOperationId, op?.id, 'the nested transaction joined the outer one');
  });

  t.test(`${db}: operation events are stored in order per operation, numbered by the database`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    const stored = await store.operations.appendOperationEvents([
      { operationId: 'x', createdAt: now, event: { a: 1 } },
      { operationId: 'x', createdAt: now, event: { a: 2 } },
      { operationId: 'y', createdAt: now, event: { b: 1 } },
    ]);
    t.same(
      stored.map((e) => [e.operationId, e.seq]),
      [
        ['x', 1],
        ['x', 2],
        ['y', 1],
      ],
    );
    t.same(
      (await store.operations.listOperationEvents('x', 0)).map((e) => e.event),
      [{ a: 1 }, { a: 2 }],
    );
    t.same(
      (await store.operations.listOperationEvents('x', 1)).map((e) => e.seq),
      [2],
    );
    const more = await store.operations.appendOperationEvents([
      { operationId: 'x', seq: 2, createdAt: now, event: {} } as never,
    ]);
    t.same(
      more.map((e) => e.seq),
      [3],
      "a seq given by the caller is not used: the next number is the database's",
    );
  });

  t.test(`${db}: listAccounts filters and pages; external trails replace`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    for (const a of ['100000000001', '100000000002', '200000000001'])
      await store.accounts.saveSpec(a, spec, { now });
    await store.accounts.updateAccount('100000000002', { status: 'applied', driftSeverity: 'critical' }, now);
    t.same(
      (await store.accounts.listAccounts({ limit: 2 })).map((a) => a.accountId),
      ['100000000001', '100000000002'],
    );
    t.same(
      (await store.accounts.listAccounts({ limit: 5, afterAccountId: '100000000002' })).map(
        (a) => a.accountId,
      ),
      ['200000000001'],
    );
    t.same(
      (await store.accounts.listAccounts({ limit: 5, accountIdPrefix: '2' })).map((a) => a.accountId),
      ['200000000001'],
    );
    t.same(
      (await store.accounts.listAccounts({ limit: 5, status: 'applied', driftSeverity: 'critical' })).length,
      1,
    );
    await store.accounts.replaceExternalTrails('1', [{ name: 'a', regions: 'all' }]);
    await store.accounts.replaceExternalTrails('1', [{ name: 'b', regions: ['eu-west-1'] }]);
    t.same(await store.accounts.getExternalTrails('1'), [{ name: 'b', regions: ['eu-west-1'] }]);
    await store.ping();
  });
}

for (const url of databases) {
  const db = url.split(':')[0];
  t.test(`${db}: saveSpec ifVersion 0 creates only; operation options can be patched`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    t.equal((await store.accounts.saveSpec('2', spec, { now, ifVersion: 0 })).outcome, 'created');
    const changed = { ...spec, insights: ['ApiCallRateInsight' as const] };
    t.equal(
      (await store.accounts.saveSpec('2', changed, { now, ifVersion: 0 })).outcome,
      'stale',
      'a second create does not overwrite the first',
    );
    t.equal((await store.accounts.getAccount('2'))?.specVersion, 1);
    const op = (await store.operations.insertOperation(newOp('2', 'preview')))!;
    t.ok(
      await store.operations.updateOperation(op.id, {
        options: { stateEtag: 'abc', requestedByName: 'rita' },
      }),
    );
    t.same((await store.operations.getOperation(op.id))?.options, {
      stateEtag: 'abc',
      requestedByName: 'rita',
    });
  });
}
