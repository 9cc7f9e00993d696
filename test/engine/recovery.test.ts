// Recovery through the real engine with the lookup production uses (aws mode): pending creates of
// named resources get their derived id, and the refresh through the provider (the sandbox standing
// in for AWS here) keeps the ones that exist and drops the ones that do not. The next apply creates
// only what is missing: nothing orphaned, nothing created twice.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { DerivedIdInventory } from '../../src/engine/inventory.ts';
import type { Deployment } from '../../src/engine/recovery.ts';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { accountTrailProgram } from '../../stacks/program.ts';
import { tempDir } from '../helpers/engine.ts';

const ROLE = 'aws:iam/role:Role';
const LOG_GROUP = 'aws:cloudwatch/logGroup:LogGroup';

t.test(
  'aws-mode lookup: found pending creates are imported, absent ones dropped by the refresh',
  async (t) => {
    const dir = await tempDir(t);
    const sandbox = new SandboxState(`${dir}/sandbox`);
    const opts = {
      dataDir: `${dir}/data`,
      passphrase: 'test-passphrase',
      sandbox: { stateDir: sandbox.root, pluginBinDir: await installSandboxPlugin(`${dir}/bin`) },
      programFor: accountTrailProgram,
    };
    const account = '567890123456';
    const request = resolveTrailRequest({ homeRegion: 'eu-west-1', alarms: { set: 'essentials' } });
    const first = new AccountStacks(opts);
    t.equal((await first.up(account, request)).kind, 'apply');

    // What a kill leaves: two creates still pending in the checkpoint. The role was created in the
    // account before the kill; the log group never was. (`stack import` drops pending operations, so
    // the checkpoint file of the file backend is edited as the engine would have left it.)
    const file = join(opts.dataDir, 'state', '.pulumi', 'stacks', 'trailwarden', `${account}.json`);
    const checkpoint = JSON.parse(await readFile(file, 'utf8')) as { checkpoint: { latest: Deployment } };
    const deployment = checkpoint.checkpoint.latest;
    const role = deployment.resources!.find((r) => r.type === ROLE)!;
    const logGroup = deployment.resources!.find((r) => r.type === LOG_GROUP)!;
    deployment.resources = deployment.resources!.filter((r) => r !== role && r !== logGroup);
    deployment.pending_operations = [role, logGroup].map((r) => ({
      type: 'creating',
      resource: { ...r, id: undefined, outputs: {} },
    }));
    // Nothing may depend on a resource still being created.
    for (const r of deployment.resources) {
      r.dependencies = ((r.dependencies as string[] | undefined) ?? []).filter(
        (u) => u !== role.urn && u !== logGroup.urn,
      );
      delete r.propertyDependencies;
    }
    await writeFile(file, JSON.stringify(checkpoint));
    await rm(`${file}.attrs`, { force: true });
    t.ok(sandbox.remove(account, LOG_GROUP, logGroup.id!), 'the log group never got created');

    const engine = new AccountStacks({ ...opts, inventory: new DerivedIdInventory() });
    const report = await engine.recover(account);
    t.same(
      report.pendingCreates.map((p) => [p.type, p.outcome, p.id]),
      [
        [ROLE, 'imported', role.id],
        [LOG_GROUP, 'imported', logGroup.id],
      ],
      'both get their derived id',
    );
    t.ok(report.refreshed, 'and the refresh reads them');
    const after = (await engine.exportState(account)).deployment as Deployment;
    t.ok(
      after.resources?.some((r) => r.type === ROLE && r.id === role.id),
      'the role that exists is in the state',
    );
    t.notOk(
      after.resources?.some((r) => r.type === LOG_GROUP),
      'the log group that does not exist is not',
    );
    t.same(after.pending_operations ?? [], [], 'no pending operation is left');

    const converge = await engine.up(account, request);
    t.ok((converge.changeSummary.create ?? 0) >= 1, 'the apply creates the missing log group');
    t.equal(sandbox.list({ accountId: account, type: ROLE }).length, 1, 'one role');
    t.equal(sandbox.list({ accountId: account, type: LOG_GROUP }).length, 1, 'one log group');
    const again = await engine.up(account, request);
    t.same(Object.keys(again.changeSummary), ['same'], 'converged');
  },
);
