// stacks/index.ts (the Pulumi.yaml entry) reads its stack config and exports the outputs.
import * as pulumi from '@pulumi/pulumi';
import t from 'tap';
import { ACCOUNT, resolve } from './harness.ts';

t.test('the CLI entry resolves the request from config and exports the outputs', async (t) => {
  pulumi.runtime.setConfig('trailwarden:accountId', ACCOUNT);
  pulumi.runtime.setConfig('trailwarden:managementAccountId', ACCOUNT);
  pulumi.runtime.setConfig(
    'trailwarden:request',
    JSON.stringify({
      homeRegion: 'eu-north-1',
      regions: ['eu-north-1', 'us-east-1'],
      alarms: { set: 'cis' },
    }),
  );
  const mod = (await import('../../stacks/index.ts')) as Record<string, pulumi.Output<unknown>>;
  const names = [
    'trailArns',
    'bucketName',
    'bucketArn',
    'keyArn',
    'logGroupName',
    'logGroupArn',
    'logGroupArns',
    'topicArn',
    'topicArns',
    'alarmNames',
    'eventRuleNames',
    'alarmSubscriptions',
  ];
  for (const name of names) t.ok(pulumi.Output.isInstance(mod[name]), `exports ${name}`);
  const trailArns = (await resolve(mod.trailArns!)) as Record<string, string>;
  t.same(
    Object.keys(trailArns).sort(),
    ['eu-north-1', 'us-east-1'],
    'request came from config, defaults applied',
  );
  const alarms = (await resolve(mod.alarmNames!)) as string[];
  t.equal(alarms.length, 15, 'the cis set from config');
});
