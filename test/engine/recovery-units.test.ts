// The parts of crash recovery that need no CLI: repairing a DIY checkpoint the kill left broken,
// resolving pending creates against the sandbox account, and the environment child processes get.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ApiInventory, type Lookups } from '../../src/engine/inventory.ts';
import { explicitEnvCommand, inheritableEnv } from '../../src/engine/processes.ts';
import {
  type Deployment,
  describeRecovery,
  emptyReport,
  findDuplicates,
  lookUpForRecovery,
  repairFileCheckpoint,
  resolvePendingCreates,
} from '../../src/engine/recovery.ts';
import { getResource, getTaggedResources } from '../../src/sandbox/lookups.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { tempDir } from '../helpers/engine.ts';

const account = '444455556666';

/** The lookup APIs answered by the sandbox directly (what its provider's functions answer). */
function sandboxLookups(state: SandboxState, accountId: string): Lookups {
  return async (calls) =>
    calls.map((c) => {
      try {
        if (c.api === 'tagging:GetResources') {
          const out = getTaggedResources(state, accountId, c.region, {
            resourceTypeFilters: [c.resourceType],
            tagFilters: Object.entries(c.tags).map(([key, value]) => ({ key, values: [value] })),
          });
          return {
            arns: (out.resourceTagMappingLists as { resourceArn: string }[]).map((m) => m.resourceArn),
          };
        }
        const out = getResource(state, accountId, c.region, {
          typeName: c.typeName,
          identifier: c.identifier,
        });
        return { properties: JSON.parse(String(out.properties)) };
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') return {};
        throw err;
      }
    });
}
const stackName = `organization/trailwarden/${account}`;

t.test(
  'an empty side file and an empty checkpoint are repaired from the backup; temp files go',
  async (t) => {
    const root = await tempDir(t);
    const stacks = join(root, '.pulumi', 'stacks', 'trailwarden');
    await mkdir(stacks, { recursive: true });
    const good = JSON.stringify({ version: 3, checkpoint: { stack: stackName, latest: { resources: [] } } });
    await writeFile(join(stacks, `${account}.json`), '');
    await writeFile(join(stacks, `${account}.json.attrs`), '');
    await writeFile(join(stacks, `${account}.json.bak`), good);
    await writeFile(join(stacks, `${account}.json.1700000000000000000.tmp`), '{"half');
    await writeFile(join(stacks, '111122223333.json.1700000000000000000.tmp'), 'another stack');
    const report = emptyReport(account);
    await repairFileCheckpoint(root, 'trailwarden', account, report);
    t.equal(await readFile(join(stacks, `${account}.json`), 'utf8'), good, 'restored from .bak');
    await t.rejects(stat(join(stacks, `${account}.json.attrs`)), 'the empty side file is gone');
    await t.rejects(stat(join(stacks, `${account}.json.1700000000000000000.tmp`)), 'our temp file is gone');
    t.ok(await stat(join(stacks, '111122223333.json.1700000000000000000.tmp')), "another stack's is left");
    t.equal(report.tempFilesRemoved, 1);
    t.equal(report.checkpointRepairs.length, 2);
    t.same(report.problems, []);
  },
);

t.test('without a valid backup, the newest valid history checkpoint is used', async (t) => {
  const root = await tempDir(t);
  const stacks = join(root, '.pulumi', 'stacks', 'trailwarden');
  const history = join(root, '.pulumi', 'history', 'trailwarden', account);
  await mkdir(stacks, { recursive: true });
  await mkdir(history, { recursive: true });
  await writeFile(join(stacks, `${account}.json`), '{"trunc');
  await writeFile(join(history, `${account}-1000.checkpoint.json`), '{"v":1}');
  await writeFile(join(history, `${account}-2000.checkpoint.json`), '{"v":2}');
  await writeFile(join(history, `${account}-3000.checkpoint.json`), '');
  const report = emptyReport(account);
  await repairFileCheckpoint(root, 'trailwarden', account, report);
  t.equal(await readFile(join(stacks, `${account}.json`), 'utf8'), '{"v":2}');
});

t.test(
  'pending creates: found ones move into the state with their id, absent ones are cleared',
  async (t) => {
    const dir = await tempDir(t);
    const sandbox = new SandboxState(dir);
    const tags = { 'trailwarden:stack': stackName, 'trailwarden:logical-name': 'baseline-key-key' };
    for (const id of ['key-1', 'key-2'])
      sandbox.put({
        type: 'aws:kms/key:Key',
        id,
        accountId: account,
        region: 'eu-west-1',
        inputs: { tags },
        outputs: { tagsAll: tags, arn: `arn:aws:kms:eu-west-1:${account}:key/${id}` },
      });
    sandbox.put({
      type: 'aws:kms/alias:Alias',
      id: 'alias/x',
      accountId: account,
      region: 'eu-west-1',
      inputs: { name: 'alias/x', targetKeyId: 'key-2' },
      outputs: {},
    });
    sandbox.put({
      type: 'aws:s3/bucket:Bucket',
      id: 'the-bucket',
      accountId: account,
      region: 'eu-west-1',
      inputs: { bucket: 'the-bucket' },
      outputs: {},
    });
    const urn = (type: string, name: string) => `urn:pulumi:${account}::trailwarden::${type}::${name}`;
    const deployment: Deployment = {
      resources: [
        {
          urn: urn('pulumi:providers:aws', 'aws'),
          type: 'pulumi:providers:aws',
          custom: true,
          id: 'p',
          inputs: { region: 'eu-west-1' },
        },
        {
          urn: urn('aws:kms/alias:Alias', 'alias'),
          type: 'aws:kms/alias:Alias',
          id: 'alias/x',
          inputs: { name: 'alias/x', targetKeyId: 'key-2' },
          provider: `${urn('pulumi:providers:aws', 'aws')}::p`,
        },
      ],
      pending_operations: [
        {
          type: 'creating',
          resource: {
            urn: urn('aws:kms/key:Key', 'baseline-key-key'),
            type: 'aws:kms/key:Key',
            inputs: { tags },
            provider: `${urn('pulumi:providers:aws', 'aws')}::p`,
          },
        },
        {
          type: 'creating',
          resource: {
            urn: urn('aws:s3/bucket:Bucket', 'b'),
            type: 'aws:s3/bucket:Bucket',
            inputs: { bucket: 'the-bucket', region: 'eu-west-1' },
          },
        },
        {
          type: 'creating',
          resource: {
            urn: urn('aws:iam/role:Role', 'r'),
            type: 'aws:iam/role:Role',
            inputs: { name: 'never-created' },
            provider: `${urn('pulumi:providers:aws', 'aws')}::p`,
          },
        },
        { type: 'updating', resource: { urn: urn('aws:sns/topic:Topic', 't'), type: 'aws:sns/topic:Topic' } },
      ],
    };
    const report = emptyReport(account);
    const found = await lookUpForRecovery(
      deployment,
      account,
      stackName,
      new ApiInventory(),
      sandboxLookups(sandbox, account),
    );
    t.ok(resolvePendingCreates(deployment, found, report));
    t.same(
      report.pendingCreates.map((p) => [p.type, p.outcome, p.id]),
      [
        ['aws:kms/key:Key', 'imported', 'key-2'],
        ['aws:s3/bucket:Bucket', 'imported', 'the-bucket'],
        ['aws:iam/role:Role', 'cleared', undefined],
      ],
      'the key the alias uses is imported; the absent role is cleared',
    );
    t.same(
      deployment.resources?.map((r) => r.id),
      ['p', 'alias/x', 'key-2', 'the-bucket'],
    );
    t.same(
      deployment.pending_operations?.map((o) => o.type),
      ['updating'],
      'updates are left to the refresh',
    );
    t.same(report.duplicates, [
      {
        urn: urn('aws:kms/key:Key', 'baseline-key-key'),
        type: 'aws:kms/key:Key',
        kept: 'key-2',
        duplicates: ['key-1'],
      },
    ]);
    findDuplicates(deployment, found, report);
    t.equal(report.duplicates.length, 1, 'reported once');
    t.match(describeRecovery({ ...report, lockReleased: true }), /DUPLICATE aws:kms\/key:Key/);
  },
);

t.test('child processes get only the variables they need', async (t) => {
  const env = inheritableEnv({
    PATH: '/bin',
    HOME: '/root',
    AWS_REGION: 'eu-west-1',
    PULUMI_HOME: '/p',
    PULUMI_CONFIG_PASSPHRASE: 'secret',
    WEBHOOK_SECRET: 'x'.repeat(20),
    DATABASE_URL: 'postgres://u:p@h/db',
    TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: '/t',
    OIDC_ISSUER: 'https://issuer',
  });
  t.same(Object.keys(env).sort(), ['AWS_REGION', 'HOME', 'PATH', 'PULUMI_HOME']);

  // The wrapped command spawns with exactly that environment (plus the workspace's own).
  const dir = await tempDir(t);
  const fake = join(dir, 'pulumi');
  await writeFile(fake, '#!/bin/sh\nenv\n', { mode: 0o755 });
  const before = process.env.WEBHOOK_SECRET;
  process.env.WEBHOOK_SECRET = 'y'.repeat(20);
  t.teardown(() => {
    if (before === undefined) delete process.env.WEBHOOK_SECRET;
    else process.env.WEBHOOK_SECRET = before;
  });
  const command = explicitEnvCommand(
    { command: fake } as never,
    { PATH: '/usr/bin:/bin' },
    'run-1',
  ) as unknown as {
    run(args: string[], cwd: string, env: Record<string, string>): Promise<{ stdout: string }>;
  };
  const { stdout } = await command.run(['version'], dir, { PULUMI_HOME: '/h' });
  const vars = stdout
    .trim()
    .split('\n')
    .map((l) => l.split('=')[0]);
  t.notOk(vars.includes('WEBHOOK_SECRET'), 'no service secret');
  t.ok(stdout.includes('TRAILWARDEN_ENGINE_RUN=run-1'), 'marked with the run');
  t.ok(stdout.includes('PULUMI_HOME=/h'), "the workspace's variables");
});
