// Per-type behaviour of the sandbox AWS provider, kept as data, one file per AWS service beside
// this index: required inputs, the validation the real API (or the Terraform provider in front of
// it) performs, force-new properties, defaults, id format, computed outputs in AWS formats, and
// create-time preconditions that the real service checks. The refusals AWS gives live in rules.ts.
import type { Ctx, Failure } from '../core.ts';
import { checkFailures, enforceRules, type Op } from '../rules.ts';
import type { Props } from '../state.ts';
import { ATHENA } from './athena.ts';
import { CLOUDTRAIL } from './cloudtrail.ts';
import { CLOUDWATCH } from './cloudwatch.ts';
import { EVENTS } from './events.ts';
import { GLUE } from './glue.ts';
import { IAM } from './iam.ts';
import { KMS } from './kms.ts';
import { LOGS } from './logs.ts';
import { S3 } from './s3.ts';
import { SNS } from './sns.ts';
import type { ResourceSpec } from './spec.ts';

export { AwsApiError, type Ctx, type Failure, isUnknown, resolveKmsKey, UNKNOWN } from '../core.ts';
export type { ResourceSpec } from './spec.ts';

/** All validation of a resource's inputs: the AWS rules (rules.ts), then the schema's own. */
export function validateInputs(spec: ResourceSpec, inputs: Props): Failure[] {
  return [...checkFailures(spec.token, inputs), ...(spec.validate?.(inputs) ?? [])];
}

/** Runs the AWS rules (rules.ts) and the spec's own precondition before a create or update. */
export function preconditions(spec: ResourceSpec, inputs: Props, ctx: Ctx, op: Op, id?: string): void {
  const name = String(inputs[spec.nameProp ?? ''] ?? inputs.bucket ?? inputs.arn ?? id ?? '');
  enforceRules(spec.token, spec.label, name, inputs, ctx, op, id);
  spec.precondition?.(inputs, ctx, op, id);
}

export const RESOURCE_SPECS: ReadonlyMap<string, ResourceSpec> = new Map(
  [...KMS, ...S3, ...CLOUDTRAIL, ...LOGS, ...CLOUDWATCH, ...EVENTS, ...IAM, ...SNS, ...GLUE, ...ATHENA].map(
    (s) => [s.token, s],
  ),
);
