// The account lookup both modes use (src/engine/inventory.ts ApiInventory), through the real engine:
// the calls go to the aws provider's functions (Cloud Control GetResource, the Tagging API's
// GetResources), which the sandbox provider answers as AWS does. Shown: a KMS key caught mid-create
// is found by its owner tags and imported (not cleared), a second key is reported, and a stack
// whose state was lost adopts everything the account has instead of failing on AlreadyExists.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { ApiInventory } from '../../src/engine/inventory.ts';
import { type Deployment, describeRecovery } from '../../src/engine/recovery.ts';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { accountTrailProgram } from '../../stacks/program.ts';
import { tempDir } from '../helpers/engine.ts';

const KEY = 'aws:kms/key:Key';
const request = resolveTrailRequest({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' } });

async function setUp(t: Test) {
  const dir = await tempDir(t);
  const sandbox = new SandboxState(`${dir}/sandbox`);
  const pluginBinDir = await installSandboxPlugin(`${dir}/bin`);
  const engineAt = (dataDir: string) =>
    new AccountStacks({
      dataDir,
      passphrase: 'test-passphrase',
      sandbox: { stateDir: sandbox.root, pluginBinDir },
      programFor: accountTrailProgram,
      inventory: new ApiInventory(),
    });
  return { dir, sandbox, engineAt };
}

/** What the sandbox account holds, as `type id` lines. */
const holdings = (sandbox: SandboxState, account: string) =>
  sandbox
    .list({ accountId: account })
    .map((r) => `${r.type} ${r.id}`)
    .sort();

t.test(
  'a KMS key caught mid-create is found by its tags and imported; a second key is reported',
  async (t) => {
    const { dir, sandbox, engineAt } = await setUp(t);
    const account = '567890123457';
    const dataDir = `${dir}/data`;
    t.equal((await engineAt(dataDir).up(account, request)).kind, 'apply');
    const before = holdings(sandbox, account);

    // What a kill between CreateKey's answer and the checkpoint write leaves: the key in the account,
    // a pending create in the checkpoint (edited as the engine leaves it; `stack import` would drop it).
    const file = join(dataDir, 'state', '.pulumi', 'stacks', 'trailwarden', `${account}.json`);
    const checkpoint = JSON.parse(await readFile(file, 'utf8')) as { checkpoint: { latest: Deployment } };
    const deployment = checkpoint.checkpoint.latest;
    const key = deployment.resources!.find((r) => r.type === KEY)!;
    deployment.resources = deployment.resources!.filter((r) => r !== key);
    deployment.pending_operations = [{ type: 'creating', resource: { ...key, id: undefined, outputs: {} } }];
    for (const r of deployment.resources) {
      r.dependencies = ((r.dependencies as string[] | undefined) ?? []).filter((u) => u !== key.urn);
      delete r.propertyDependencies;
    }
    await writeFile(file, JSON.stringify(checkpoint));
    await rm(`${file}.attrs`, { force: true });
    // A crash before that one made a first key too: same owner tags, no alias points at it.
    const live = sandbox.get(account, KEY, key.id!, 'eu-west-1')!;
    const twin = 'a1b2c3d4-0000-4000-8000-000000000001';
    sandbox.put({
      ...live,
      id: twin,
      outputs: { ...live.outputs, keyId: twin, arn: `arn:aws:kms:eu-west-1:${account}:key/${twin}` },
    });

    const engine = engineAt(dataDir);
    const report = await engine.recover(account);
    t.same(
      report.pendingCreates.map((p) => [p.type, p.outcome, p.id, p.by]),
      [[KEY, 'imported', key.id, 'tags']],
      'the key the alias uses is imported, found by its tags',
    );
    t.same(
      report.duplicates.map((d) => [d.kept, d.duplicates]),
      [[key.id, [twin]]],
      'the second key is reported',
    );
    t.same(report.problems, []);
    t.match(describeRecovery(report), /imported into the state what was being created: aws:kms\/key:Key/);
    t.comment(describeRecovery(report));

    sandbox.remove(account, KEY, twin, 'eu-west-1');
    const again = await engine.up(account, request);
    t.same(Object.keys(again.changeSummary), ['same'], 'the next apply changes nothing');
    t.same(
      holdings(sandbox, account),
      before,
      'the account holds what it held: one key, nothing created twice',
    );
  },
);

t.test('a stack whose state was lost adopts what the account has instead of failing', async (t) => {
  const { dir, sandbox, engineAt } = await setUp(t);
  const account = '567890123458';
  t.equal((await engineAt(`${dir}/first`).up(account, request)).kind, 'apply');
  const before = holdings(sandbox, account);

  // Another data directory: the same account, no state at all (a lost volume, a new backend).
  const engine = engineAt(`${dir}/second`);
  const adopted = await engine.up(account, request);
  t.ok(
    (adopted.changeSummary.import ?? 0) >= 6,
    `key, alias, bucket, role, log group, trail imported ${JSON.stringify(adopted.changeSummary)}`,
  );
  t.same(holdings(sandbox, account), before, 'nothing created twice, nothing lost');
  const state = (await engine.exportState(account)).deployment as Deployment;
  const stateKey = state.resources?.find((r) => r.type === KEY)?.id;
  t.ok(before.includes(`${KEY} ${stateKey}`), 'the state uses the key the account had');
  const again = await engine.up(account, request);
  t.same(Object.keys(again.changeSummary), ['same'], 'converged');
});
