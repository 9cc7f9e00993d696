// The sandbox's AWS rules seen through the real service (`node src/main.ts`, sandbox mode, the
// real Pulumi CLI), over HTTP as a portal would: a 3-region per-region request applies cleanly, a
// second apply changes nothing, a drift check right after is clean (same-named regional resources no
// longer overwrite each other); a request with Athena applies; a request that breaks an AWS rule
// fails with AWS's error name in the operation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/sandbox/cli.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { tempDir } from '../helpers/engine.ts';
import { followEvents, type RunningService, startService } from '../helpers/service.ts';

const CLI_ROOT =
  process.env.PULUMI_CLI_ROOT ?? join(process.env.HOME ?? '/root', '.cache/trailwarden/pulumi-cli/v3.260.0');

interface Operation {
  id: string;
  state: string;
  changeSummary: Record<string, number> | null;
  error: { code: string; message: string } | null;
}

const json = { 'content-type': 'application/json' };

async function put(service: RunningService, account: string, request: unknown) {
  const res = await service.fetch(`/v1/accounts/${account}/trail`, {
    method: 'PUT',
    headers: json,
    body: JSON.stringify(request),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT: ${res.status} ${await res.text()}`);
}

async function run(service: RunningService, path: string): Promise<Operation> {
  const res = await service.fetch(path, { method: 'POST' });
  if (res.status !== 202) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as Operation;
  await followEvents(service, id);
  return (await (await service.fetch(`/v1/operations/${id}`)).json()) as Operation;
}

const apply = (s: RunningService, account: string) => run(s, `/v1/accounts/${account}/trail/applies`);
const driftCheck = (s: RunningService, account: string) => run(s, `/v1/accounts/${account}/drift-checks`);

if (!existsSync(join(CLI_ROOT, 'bin', 'pulumi'))) {
  t.plan(0, `no Pulumi CLI at ${CLI_ROOT}`);
} else {
  t.test('3 regions, per-region trails: applies, a second apply is all same, no false drift', async (t) => {
    const dataDir = await tempDir(t);
    const service = await startService(dataDir, { PULUMI_CLI_ROOT: CLI_ROOT });
    t.teardown(() => service.stop());
    const account = '123456789012';
    const regions = ['eu-west-1', 'us-east-1', 'eu-central-1'];
    await put(service, account, { homeRegion: 'eu-west-1', regions, alarms: { set: 'cis' } });

    const first = await apply(service, account);
    t.equal(first.state, 'succeeded', `the apply succeeds: ${first.error?.message ?? ''}`);
    const state = new SandboxState(join(dataDir, 'sandbox', 'state'));
    const trails = state.list({ accountId: account, type: 'aws:cloudtrail/trail:Trail' });
    t.same(trails.map((r) => r.region).sort(), [...regions].sort(), 'one trail per region');
    for (const trail of trails) {
      // What AWS requires (CreateTrail): the log group of the trail's own region.
      t.match(
        String(trail.outputs.cloudWatchLogsGroupArn),
        new RegExp(`^arn:aws:logs:${trail.region}:${account}:log-group:`),
        `the ${trail.region} trail delivers to a ${trail.region} log group`,
      );
    }

    const second = await apply(service, account);
    t.equal(second.state, 'succeeded', `second apply: ${second.error?.message ?? ''}`);
    t.same(Object.keys(second.changeSummary ?? {}), ['same'], 'a second apply changes nothing');

    const drift = await driftCheck(service, account);
    t.equal(drift.state, 'succeeded', `drift check: ${drift.error?.message ?? ''}`);
    const reports = (await (await service.fetch(`/v1/accounts/${account}/drift-reports`)).json()) as {
      items: { clean: boolean; resources: unknown[] }[];
    };
    // No false drift: no resource differs (the request names no alarm recipient, so the unsubscribed
    // topic finding is expected and true).
    t.same(reports.items[0]?.resources, [], `no false drift: ${JSON.stringify(reports.items[0]?.resources)}`);
  });

  t.test('athena enabled: the Glue catalog and the workgroup are applied in the home region', async (t) => {
    const dataDir = await tempDir(t);
    const service = await startService(dataDir, { PULUMI_CLI_ROOT: CLI_ROOT });
    t.teardown(() => service.stop());
    const account = '210987654321';
    await put(service, account, { homeRegion: 'us-east-1', athena: { enabled: true } });
    const op = await apply(service, account);
    t.equal(op.state, 'succeeded', `the apply succeeds: ${op.error?.message ?? ''}`);
    const state = new SandboxState(join(dataDir, 'sandbox', 'state'));
    const table = state.list({ accountId: account, type: 'aws:glue/catalogTable:CatalogTable' });
    t.equal(table.length, 1);
    t.equal(table[0]?.region, 'us-east-1');
    t.match(
      table[0]?.outputs.arn,
      `arn:aws:glue:us-east-1:${account}:table/trailwarden_audit/cloudtrail_logs`,
    );
    const wg = state.list({ accountId: account, type: 'aws:athena/workgroup:Workgroup' });
    t.equal(wg.length, 1);
    t.match(wg[0]?.outputs, {
      arn: `arn:aws:athena:us-east-1:${account}:workgroup/trailwarden-cloudtrail`,
      configuration: { resultConfiguration: { encryptionConfiguration: { encryptionOption: 'SSE_KMS' } } },
    });
    const again = await apply(service, account);
    t.same(Object.keys(again.changeSummary ?? {}), ['same'], 'a second apply changes nothing');
  });

  t.test('a request that breaks an AWS rule fails with AWS error name in the operation', async (t) => {
    const dataDir = await tempDir(t);
    const service = await startService(dataDir, { PULUMI_CLI_ROOT: CLI_ROOT });
    t.teardown(() => service.stop());
    const account = '123456789012';
    // S3 server access logs must go to an existing bucket of the same account and Region.
    await put(service, account, { homeRegion: 'eu-west-1', accessLogBucket: 'no-such-access-log-bucket' });
    const op = await apply(service, account);
    t.equal(op.state, 'failed');
    t.match(op.error?.message, /InvalidTargetBucketForLogging/, 'AWS error name in the operation');
  });

  t.test(
    'organization trail: refused until the account is the management account of an organization',
    async (t) => {
      const dataDir = await tempDir(t);
      const account = '123456789012';
      const service = await startService(dataDir, {
        PULUMI_CLI_ROOT: CLI_ROOT,
        MANAGEMENT_ACCOUNT_ID: account,
      });
      t.teardown(() => service.stop());
      const sandbox = { TRAILWARDEN_SANDBOX_DIR: join(dataDir, 'sandbox', 'state') };
      const quiet = () => {};
      await put(service, account, {
        homeRegion: 'us-east-1',
        organizationTrail: true,
        organizationId: 'o-abcdefghij',
      });
      // The sandbox has no organization yet: the account is in none.
      const none = await apply(service, account);
      t.equal(none.state, 'failed');
      t.match(none.error?.message, /OrganizationsNotInUseException/);
      // In an organization whose management account is another one.
      runCli(
        ['organization', '--management-account', '999988887777', '--member', account, '--id', 'o-abcdefghij'],
        sandbox,
        quiet,
      );
      const member = await apply(service, account);
      t.equal(member.state, 'failed');
      t.match(member.error?.message, /NotOrganizationMasterAccountException/);
      // The management account itself.
      new SandboxState(sandbox.TRAILWARDEN_SANDBOX_DIR).remove(
        '999988887777',
        'aws:organizations/organization:Organization',
        'o-abcdefghij',
      );
      runCli(['organization', '--management-account', account, '--id', 'o-abcdefghij'], sandbox, quiet);
      const management = await apply(service, account);
      t.equal(
        management.state,
        'succeeded',
        `the management account may: ${management.error?.message ?? ''}`,
      );
    },
  );
}
