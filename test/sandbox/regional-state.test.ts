// Same-named regional resources in two regions under the real engine (no Trailwarden program, so
// this shows the sandbox alone): log groups, metric filters, alarms, rules and topics named alike in
// eu-west-1 and us-east-1 are two resources each. Before the state was keyed by region they shared a
// file: a second up replaced them and a refresh reported drift that nobody made.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as aws from '@pulumi/aws';
import * as automation from '@pulumi/pulumi/automation/index.js';
import t from 'tap';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { tempDir } from '../helpers/engine.ts';

const CLI_ROOT =
  process.env.PULUMI_CLI_ROOT ?? join(process.env.HOME ?? '/root', '.cache/trailwarden/pulumi-cli/v3.260.0');
const ACCOUNT = '210987654321';
const REGIONS = ['eu-west-1', 'us-east-1'] as const;

if (!existsSync(join(CLI_ROOT, 'bin', 'pulumi'))) {
  t.plan(0, `no Pulumi CLI at ${CLI_ROOT}`);
} else {
  t.test('same names in two regions: up, then preview and refresh show no change', async (t) => {
    const tmp = await tempDir(t, 'tw-regional-');
    const sandboxDir = join(tmp, 'sandbox');
    const binDir = await installSandboxPlugin(join(tmp, 'bin'));
    const { default: semver } = await import('semver');
    const pulumiCommand = await automation.PulumiCommand.get({
      root: CLI_ROOT,
      version: semver.parse('3.260.0')!,
    });

    const program = async () => {
      for (const region of REGIONS) {
        const provider = new aws.Provider(`aws-${region}`, {
          region,
          allowedAccountIds: [ACCOUNT],
        });
        const opts = { provider };
        const group = new aws.cloudwatch.LogGroup(
          `logs-${region}`,
          { name: '/trailwarden/cloudtrail', retentionInDays: 365 },
          opts,
        );
        new aws.cloudwatch.LogMetricFilter(
          `filter-${region}`,
          {
            name: 'trailwarden-root-usage',
            logGroupName: group.name,
            pattern: '{ $.userIdentity.type = "Root" }',
            metricTransformation: { name: 'RootUsage', namespace: 'Trailwarden', value: '1' },
          },
          opts,
        );
        const topic = new aws.sns.Topic(`topic-${region}`, { name: 'trailwarden-alarms' }, opts);
        new aws.cloudwatch.MetricAlarm(
          `alarm-${region}`,
          {
            name: 'trailwarden-root-usage',
            comparisonOperator: 'GreaterThanOrEqualToThreshold',
            evaluationPeriods: 1,
            metricName: 'RootUsage',
            namespace: 'Trailwarden',
            period: 300,
            statistic: 'Sum',
            threshold: 1,
            alarmActions: [topic.arn],
          },
          opts,
        );
        new aws.cloudwatch.EventRule(
          `rule-${region}`,
          { name: 'trailwarden-stop-logging', eventPattern: JSON.stringify({ source: ['aws.cloudtrail'] }) },
          opts,
        );
      }
      return {};
    };
    const stack = await automation.LocalWorkspace.createOrSelectStack(
      { projectName: 'tw-regional', stackName: 'dev', program },
      {
        pulumiCommand,
        workDir: tmp,
        projectSettings: { name: 'tw-regional', runtime: 'nodejs', backend: { url: `file://${tmp}` } },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: 'sandbox',
          PULUMI_HOME: join(tmp, '.pulumi'),
          PULUMI_SKIP_UPDATE_CHECK: 'true',
          PATH: `${binDir}:${process.env.PATH}`,
          TRAILWARDEN_SANDBOX_DIR: sandboxDir,
        },
      },
    );

    const up = await stack.up();
    t.equal(up.summary.result, 'succeeded');
    const state = new SandboxState(sandboxDir);
    for (const type of [
      'aws:cloudwatch/logGroup:LogGroup',
      'aws:cloudwatch/logMetricFilter:LogMetricFilter',
      'aws:cloudwatch/metricAlarm:MetricAlarm',
      'aws:cloudwatch/eventRule:EventRule',
    ]) {
      t.same(
        state
          .list({ accountId: ACCOUNT, type })
          .map((r) => r.region)
          .sort(),
        [...REGIONS].sort(),
        `${type}: one per region`,
      );
    }

    const preview = await stack.preview();
    t.same(
      Object.keys(preview.changeSummary),
      ['same'],
      'a preview after up changes nothing (no replacements)',
    );
    const again = await stack.up();
    t.same(Object.keys(again.summary.resourceChanges ?? {}), ['same'], 'a second up changes nothing');
    const refresh = await stack.previewRefresh();
    t.same(Object.keys(refresh.changeSummary), ['same'], 'a refresh finds no drift');

    await stack.destroy();
    t.same(state.list({ accountId: ACCOUNT }), [], 'destroy removes both regions');
  });
}
