// Entry point for `pulumi` CLI runs of the same program (Pulumi.yaml at the repo root).
import * as pulumi from '@pulumi/pulumi';
import { resolveTrailRequest } from '../src/trail-request/resolve.ts';
import { declareAccountTrail } from './program.ts';

const config = new pulumi.Config('trailwarden');
const assumeRoleArn = config.get('assumeRoleArn');
const declared = declareAccountTrail({
  accountId: config.require('accountId'),
  request: resolveTrailRequest(config.requireObject<unknown>('request')),
  assumeRole: assumeRoleArn
    ? { roleArn: assumeRoleArn, externalId: config.get('assumeRoleExternalId') }
    : undefined,
  managementAccountId: config.get('managementAccountId'),
});

export const trailArns = declared.baseline.outputs.trailArns;
export const bucketName = declared.baseline.outputs.bucketName;
export const bucketArn = declared.baseline.outputs.bucketArn;
export const keyArn = declared.baseline.outputs.keyArn;
export const logGroupName = declared.baseline.outputs.logGroupName;
export const logGroupArn = declared.baseline.outputs.logGroupArn;
export const logGroupArns = declared.baseline.outputs.logGroupArns;
export const topicArn = declared.baseline.outputs.topicArn;
export const topicArns = declared.baseline.outputs.topicArns;
export const alarmNames = declared.baseline.outputs.alarmNames;
export const eventRuleNames = declared.baseline.outputs.eventRuleNames;
export const alarmSubscriptions = declared.baseline.outputs.alarmSubscriptions;
