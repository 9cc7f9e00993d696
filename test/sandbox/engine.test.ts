// The sandbox provider under the real Pulumi engine, through the Automation API: the CLI loads our
// `pulumi-resource-aws` from PATH in place of the real plugin.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as automation from '@pulumi/pulumi/automation/index.js';
import t from 'tap';
import { installSandboxPlugin, sandboxProjectPlugins } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';

const CLI_ROOT = process.env.PULUMI_CLI_ROOT ?? '/root/.cache/trailwarden/pulumi-cli/v3.260.0';
const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const BUCKET = `tw-engine-${process.pid}`;

if (!existsSync(join(CLI_ROOT, 'bin', 'pulumi'))) {
  t.plan(0, `no Pulumi CLI at ${CLI_ROOT}`);
} else {
  t.test('up, drift, refresh-preview, converge and destroy with the sandbox provider', async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'tw-engine-'));
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    const sandboxDir = join(tmp, 'sandbox');
    const binDir = await installSandboxPlugin(join(tmp, 'bin'));
    const state = new SandboxState(sandboxDir);
    const { default: semver } = await import('semver');
    const pulumiCmd = await automation.PulumiCommand.get({
      root: CLI_ROOT,
      version: semver.parse('3.260.0')!,
    });

    const program = async () => {
      const provider = new aws.Provider('sandbox', {
        region: REGION as aws.Region,
        allowedAccountIds: [ACCOUNT],
        defaultTags: { tags: { 'trailwarden:managed': 'true' } },
      });
      const opts = { provider };
      const caller = await aws.getCallerIdentity({}, opts);
      const key = new aws.kms.Key(
        'trail-key',
        {
          description: 'trail key',
          policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${caller.accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
              {
                Effect: 'Allow',
                Principal: { Service: 'cloudtrail.amazonaws.com' },
                Action: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
                Resource: '*',
              },
            ],
          }),
        },
        opts,
      );
      const bucket = new aws.s3.Bucket('logs', { bucket: BUCKET, tags: { team: 'security' } }, opts);
      const policyDoc = aws.iam.getPolicyDocumentOutput(
        {
          statements: [
            {
              sid: 'AWSCloudTrailAclCheck',
              principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
              actions: ['s3:GetBucketAcl'],
              resources: [bucket.arn],
            },
            {
              sid: 'AWSCloudTrailWrite',
              principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
              actions: ['s3:PutObject'],
              resources: [pulumi.interpolate`${bucket.arn}/AWSLogs/${caller.accountId}/*`],
            },
          ],
        },
        opts,
      );
      const policy = new aws.s3.BucketPolicy('logs', { bucket: bucket.id, policy: policyDoc.json }, opts);
      const logGroup = new aws.cloudwatch.LogGroup('trail', { retentionInDays: 90 }, opts);
      const trail = new aws.cloudtrail.Trail(
        'main',
        {
          name: 'org-main',
          s3BucketName: bucket.id,
          kmsKeyId: key.arn,
          enableLogFileValidation: true,
          isMultiRegionTrail: true,
        },
        { ...opts, dependsOn: [policy] },
      );
      return {
        trailArn: trail.arn,
        keyArn: key.arn,
        logGroupArn: logGroup.arn,
        logGroupName: logGroup.name,
        homeRegion: trail.homeRegion,
        accountId: caller.accountId,
      };
    };

    const stack = await automation.LocalWorkspace.createOrSelectStack(
      { projectName: 'tw-sandbox-engine', stackName: 'dev', program },
      {
        pulumiCommand: pulumiCmd,
        workDir: tmp,
        projectSettings: { name: 'tw-sandbox-engine', runtime: 'nodejs', backend: { url: `file://${tmp}` } },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: 'sandbox',
          PULUMI_HOME: join(tmp, '.pulumi'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PATH: `${binDir}:${process.env.PATH}`,
          TRAILWARDEN_SANDBOX_DIR: sandboxDir,
        },
      },
    );
    const timings: Record<string, number> = {};
    const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await fn();
      } finally {
        timings[label] = Math.round(performance.now() - start);
      }
    };
    t.teardown(() => t.comment(`timings (ms): ${JSON.stringify(timings)}`));

    const up = await timed('up', () => stack.up());
    t.equal(up.summary.result, 'succeeded');
    for (const line of `${up.stdout}\n${up.stderr}`.split('\n').filter((l) => /warning|error/i.test(l))) {
      t.comment(`engine said: ${line.trim()}`);
    }
    t.match(
      up.summary.resourceChanges,
      { create: 7 },
      'stack, provider, key, bucket, policy, log group, trail',
    );
    const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/org-main`;
    t.equal(up.outputs.trailArn?.value, trailArn);
    t.equal(up.outputs.homeRegion?.value, REGION);
    t.equal(up.outputs.accountId?.value, ACCOUNT);
    t.match(up.outputs.keyArn?.value, new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT}:key/[0-9a-f-]{36}$`));
    t.match(up.outputs.logGroupName?.value, /^trail-[0-9a-f]{7}$/);
    t.equal(
      up.outputs.logGroupArn?.value,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${up.outputs.logGroupName?.value}`,
    );
    const onDisk = state.list({ accountId: ACCOUNT });
    t.same(onDisk.map((r) => r.type).sort(), [
      'aws:cloudtrail/trail:Trail',
      'aws:cloudwatch/logGroup:LogGroup',
      'aws:kms/key:Key',
      'aws:s3/bucket:Bucket',
      'aws:s3/bucketPolicy:BucketPolicy',
    ]);
    const trailRec = state.get(ACCOUNT, 'aws:cloudtrail/trail:Trail', trailArn);
    t.equal(trailRec?.outputs.enableLogFileValidation, true);
    t.same(state.get(ACCOUNT, 'aws:s3/bucket:Bucket', BUCKET)?.outputs.tagsAll, {
      'trailwarden:managed': 'true',
      team: 'security',
    });

    const clean = await timed('preview', () => stack.preview());
    t.same(Object.keys(clean.changeSummary).sort(), ['same'], 'no changes right after up');

    state.drift(ACCOUNT, 'aws:cloudtrail/trail:Trail', trailArn, { enableLogFileValidation: false });
    state.drift(ACCOUNT, 'aws:s3/bucket:Bucket', BUCKET, { tags: { team: 'someone-else' } });

    const updatesOf = (events: automation.EngineEvent[]) =>
      new Map(
        events
          .flatMap((e) => [e.resourcePreEvent?.metadata, e.resOutputsEvent?.metadata])
          .filter((m) => m?.op === 'update')
          .map((m) => [m!.type, m!.diffs ?? []]),
      );

    const refreshEvents: automation.EngineEvent[] = [];
    const refreshOnly = await timed('preview-refresh', () =>
      stack.previewRefresh({ onEvent: (e) => refreshEvents.push(e) }),
    );
    t.match(refreshOnly.changeSummary, { update: 2 }, 'previewRefresh reports the two drifted resources');
    t.same([...updatesOf(refreshEvents)].sort(), [
      ['aws:cloudtrail/trail:Trail', ['enableLogFileValidation']],
      ['aws:s3/bucket:Bucket', ['tags']],
    ]);

    // Where the values are in previewRefresh: the pre-event (op 'refresh') has old = new = the
    // recorded state; the outputs event (op 'update') goes from recorded (old) to what was read (new).
    const trailMeta = (kind: 'resOutputsEvent' | 'resourcePreEvent') =>
      refreshEvents.map((e) => e[kind]?.metadata).find((m) => m?.type === 'aws:cloudtrail/trail:Trail');
    t.match(trailMeta('resourcePreEvent'), {
      op: 'refresh',
      new: { outputs: { enableLogFileValidation: true } },
    });
    t.match(
      trailMeta('resOutputsEvent'),
      {
        op: 'update',
        old: { outputs: { enableLogFileValidation: true } },
        new: { outputs: { enableLogFileValidation: false }, inputs: { enableLogFileValidation: false } },
      },
      'the refresh read the drifted value',
    );

    const events: automation.EngineEvent[] = [];
    const drifted = await timed('preview --refresh', () =>
      stack.preview({ refresh: true, onEvent: (e) => events.push(e) }),
    );
    t.match(drifted.changeSummary, { update: 2 });
    t.same(
      [...updatesOf(events)].sort(),
      [
        ['aws:cloudtrail/trail:Trail', ['enableLogFileValidation']],
        ['aws:s3/bucket:Bucket', ['tags']],
      ],
      'preview --refresh names the drifted properties',
    );

    // Without a refresh the engine's state still holds the old values: nothing to do, drift stays.
    const stale = await timed('up (no refresh)', () => stack.up());
    t.notOk(stale.summary.resourceChanges?.update, 'plain up does not see drift');
    t.equal(
      state.get(ACCOUNT, 'aws:cloudtrail/trail:Trail', trailArn)?.inputs.enableLogFileValidation,
      false,
    );

    const converge = await timed('up --refresh', () => stack.up({ refresh: true }));
    t.match(converge.summary.resourceChanges, { update: 2 });
    t.equal(state.get(ACCOUNT, 'aws:cloudtrail/trail:Trail', trailArn)?.inputs.enableLogFileValidation, true);
    t.same(state.get(ACCOUNT, 'aws:s3/bucket:Bucket', BUCKET)?.inputs.tags, { team: 'security' });

    const after = await timed('preview --refresh (clean)', () => stack.preview({ refresh: true }));
    t.same(Object.keys(after.changeSummary).sort(), ['same'], 'converged: refresh-preview is clean');

    // Deleted out of band: a refresh drops it from the state and the next up recreates it.
    state.remove(ACCOUNT, 'aws:cloudwatch/logGroup:LogGroup', String(up.outputs.logGroupName?.value));
    const recreate = await timed('preview --refresh (deleted)', () => stack.preview({ refresh: true }));
    t.match(recreate.changeSummary, { create: 1 });

    const destroy = await timed('destroy', () => stack.destroy());
    t.equal(destroy.summary.result, 'succeeded');
    t.same(state.list({}), [], 'no resources left in the sandbox');
    t.same(
      readdirSync(sandboxDir, { recursive: true }).filter((f) => String(f).endsWith('.json')),
      [],
    );
    const exported = await stack.exportStack();
    t.same(exported.deployment.resources ?? [], [], 'stack is empty');
  });

  t.test('project plugin mode, and a provider config change (default tags) reaches tagsAll', async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'tw-engine-'));
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    const sandboxDir = join(tmp, 'sandbox');
    const binDir = await installSandboxPlugin(join(tmp, 'bin'));
    const state = new SandboxState(sandboxDir);
    const { default: semver } = await import('semver');
    const pulumiCmd = await automation.PulumiCommand.get({
      root: CLI_ROOT,
      version: semver.parse('3.260.0')!,
    });
    let costCenter = 'cc-1';
    const program = async () => {
      const provider = new aws.Provider('sandbox', {
        region: 'us-east-2',
        allowedAccountIds: [ACCOUNT],
        defaultTags: { tags: { costCenter } },
      });
      const topic = new aws.sns.Topic('alerts', { tags: { team: 'sec' } }, { provider });
      return { topicArn: topic.arn };
    };
    const stack = await automation.LocalWorkspace.createOrSelectStack(
      { projectName: 'tw-sandbox-plugins', stackName: 'dev', program },
      {
        pulumiCommand: pulumiCmd,
        workDir: tmp,
        projectSettings: {
          name: 'tw-sandbox-plugins',
          runtime: 'nodejs',
          backend: { url: `file://${tmp}` },
          plugins: sandboxProjectPlugins(binDir),
        } as automation.ProjectSettings,
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: 'sandbox',
          PULUMI_HOME: join(tmp, '.pulumi'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
          TRAILWARDEN_SANDBOX_DIR: sandboxDir,
        },
      },
    );
    const up = await stack.up();
    t.notMatch(`${up.stdout}${up.stderr}`, /from \$PATH/, 'no ambient-plugin warning');
    const arn = String(up.outputs.topicArn?.value);
    t.match(arn, new RegExp(`^arn:aws:sns:us-east-2:${ACCOUNT}:alerts-[0-9a-f]{7}$`));
    t.same(state.get(ACCOUNT, 'aws:sns/topic:Topic', arn)?.outputs.tagsAll, {
      costCenter: 'cc-1',
      team: 'sec',
    });

    costCenter = 'cc-2';
    const events: automation.EngineEvent[] = [];
    const preview = await stack.preview({ onEvent: (e) => events.push(e) });
    const topicStep = events
      .map((e) => e.resourcePreEvent?.metadata)
      .find((m) => m?.type === 'aws:sns/topic:Topic');
    t.match(topicStep, { op: 'update', diffs: ['tagsAll'] });
    t.match(preview.changeSummary, { update: 2 }, 'provider and topic');
    await stack.up();
    t.same(state.get(ACCOUNT, 'aws:sns/topic:Topic', arn)?.outputs.tagsAll, {
      costCenter: 'cc-2',
      team: 'sec',
    });
    await stack.destroy();
    t.same(state.list({}), []);
  });

  t.test('service errors and unsupported types surface through the engine', async (t) => {
    const tmp = mkdtempSync(join(tmpdir(), 'tw-engine-'));
    t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
    const sandboxDir = join(tmp, 'sandbox');
    const binDir = await installSandboxPlugin(join(tmp, 'bin'));
    const { default: semver } = await import('semver');
    const pulumiCmd = await automation.PulumiCommand.get({
      root: CLI_ROOT,
      version: semver.parse('3.260.0')!,
    });
    let mode: 'no-policy' | 'unsupported' = 'no-policy';
    const program = async () => {
      const provider = new aws.Provider('sandbox', {
        region: REGION as aws.Region,
        allowedAccountIds: [ACCOUNT],
      });
      if (mode === 'unsupported') {
        new aws.ec2.Vpc('vpc', { cidrBlock: '10.0.0.0/16' }, { provider });
        return {};
      }
      const bucket = new aws.s3.Bucket('logs', {}, { provider });
      new aws.cloudtrail.Trail('main', { s3BucketName: bucket.id }, { provider });
      return {};
    };
    const stack = await automation.LocalWorkspace.createOrSelectStack(
      { projectName: 'tw-sandbox-errors', stackName: 'dev', program },
      {
        pulumiCommand: pulumiCmd,
        workDir: tmp,
        projectSettings: { name: 'tw-sandbox-errors', runtime: 'nodejs', backend: { url: `file://${tmp}` } },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: 'sandbox',
          PULUMI_HOME: join(tmp, '.pulumi'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PATH: `${binDir}:${process.env.PATH}`,
          TRAILWARDEN_SANDBOX_DIR: sandboxDir,
        },
      },
    );
    await t.rejects(
      stack.up(),
      /InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected/,
    );
    const state = new SandboxState(sandboxDir);
    t.same(
      state.list({}).map((r) => r.type),
      ['aws:s3/bucket:Bucket'],
      'the bucket was created, the trail was not',
    );
    mode = 'unsupported';
    await t.rejects(stack.preview(), /does not implement resource type aws:ec2\/vpc:Vpc/);
    mode = 'no-policy';
    await stack.destroy();
    t.same(state.list({}), []);
  });
}
