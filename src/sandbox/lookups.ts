// The lookup APIs recovery and re-onboarding call to find, in an account, what the engine meant to
// create: Cloud Control's GetResource (a named resource by its primary identifier) and the Resource
// Groups Tagging API's GetResources (a KMS key, whose id AWS generates, by the tags the service put
// on it). The sandbox provider answers them as the functions `aws:cloudcontrol/getResource` and
// `aws:resourcegroupstaggingapi/getResources`, from its state, with AWS's error names, so that the
// service's one lookup path (src/engine/inventory.ts) runs unchanged against the sandbox.
import { AwsApiError, T } from './core.ts';
import type { Props, SandboxRecord, SandboxState } from './state.ts';

/**
 * Cloud Control type name -> the sandbox type and how its primary identifier names a record.
 * Identifiers: https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/resource-identifier.html
 * (the primaryIdentifier of each type's schema: BucketName, RoleName, TrailName, LogGroupName,
 * AliasName, KeyId, WorkGroup Name, DatabaseName).
 */
export const CLOUD_CONTROL_TYPES: Record<
  string,
  { token: string; matches: (r: SandboxRecord, id: string) => boolean }
> = {
  'AWS::S3::Bucket': { token: T.bucket, matches: (r, id) => r.id === id },
  'AWS::IAM::Role': { token: T.role, matches: (r, id) => r.id === id },
  'AWS::CloudTrail::Trail': { token: T.trail, matches: (r, id) => r.inputs.name === id || r.id === id },
  'AWS::Logs::LogGroup': { token: T.logGroup, matches: (r, id) => r.id === id },
  'AWS::KMS::Alias': { token: T.alias, matches: (r, id) => r.id === id },
  'AWS::KMS::Key': { token: T.key, matches: (r, id) => r.id === id || r.outputs.arn === id },
  'AWS::Athena::WorkGroup': { token: T.workgroup, matches: (r, id) => r.id === id },
  'AWS::Glue::Database': { token: T.glueDatabase, matches: (r, id) => r.inputs.name === id },
};

/** The properties GetResource returns that the service reads (a subset of each type's schema). */
function properties(typeName: string, r: SandboxRecord): Props {
  switch (typeName) {
    case 'AWS::KMS::Alias':
      return { AliasName: r.id, TargetKeyId: r.inputs.targetKeyId };
    case 'AWS::KMS::Key':
      return { KeyId: r.id, Arn: r.outputs.arn, Enabled: r.inputs.isEnabled !== false };
    default:
      return { Arn: r.outputs.arn ?? r.id };
  }
}

/** Cloud Control GetResource. https://docs.aws.amazon.com/cloudcontrolapi/latest/APIReference/API_GetResource.html */
export function getResource(state: SandboxState, accountId: string, region: string, args: Props): Props {
  const typeName = String(args.typeName ?? '');
  const identifier = String(args.identifier ?? '');
  const spec = CLOUD_CONTROL_TYPES[typeName];
  const op = `reading Cloud Control API (${typeName}) Resource (${identifier})`;
  if (!spec)
    throw new AwsApiError(
      op,
      'CloudControl',
      'GetResource',
      'TypeNotFoundException',
      `${typeName} is not supported`,
    );
  const where = state.list({ accountId, type: spec.token });
  // IAM and S3 are global: GetResource in any Region finds them.
  const found = where.find(
    (r) => (r.region === region || /^aws:(iam|s3)\//.test(spec.token)) && spec.matches(r, identifier),
  );
  // The aws provider turns ResourceNotFoundException into "couldn't find resource" (the
  // Terraform provider's NotFoundError); both are in the message, as callers may see either.
  if (!found)
    throw new AwsApiError(
      op,
      'CloudControl',
      'GetResource',
      'ResourceNotFoundException',
      `couldn't find resource: ${typeName} with identifier ${identifier} was not found`,
      404,
    );
  return {
    id: identifier,
    identifier,
    typeName,
    region,
    properties: JSON.stringify(properties(typeName, found)),
  };
}

/** Tagging API resource type filters (`service:resourceType`) the sandbox knows. */
const TAGGING_TYPES: Record<string, string> = {
  'kms:key': T.key,
  's3:bucket': T.bucket,
  'iam:role': T.role,
  'cloudtrail:trail': T.trail,
  'logs:log-group': T.logGroup,
  'sns:topic': T.topic,
};

/**
 * Resource Groups Tagging API GetResources: resources with every tag filter (a filter's values are
 * alternatives; a filter without values matches any value).
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 */
export function getTaggedResources(
  state: SandboxState,
  accountId: string,
  region: string,
  args: Props,
): Props {
  const filters = (args.resourceTypeFilters as string[] | undefined) ?? Object.keys(TAGGING_TYPES);
  const tagFilters = (args.tagFilters as { key: string; values?: string[] }[] | undefined) ?? [];
  for (const f of filters)
    if (!TAGGING_TYPES[f])
      throw new AwsApiError(
        'reading Resource Groups Tagging API',
        'ResourceGroupsTaggingAPI',
        'GetResources',
        'InvalidParameterException',
        `Unsupported service or resource type: ${f}`,
      );
  const list: Props[] = [];
  for (const f of filters) {
    const token = TAGGING_TYPES[f]!;
    for (const r of state.list({ accountId, type: token })) {
      if (!/^aws:(iam|s3)\//.test(token) && r.region !== region) continue;
      const tags = (r.outputs.tagsAll ?? r.inputs.tags ?? {}) as Record<string, string>;
      if (!Object.keys(tags).length) continue;
      const ok = tagFilters.every((tf) =>
        tf.values?.length ? tf.values.includes(tags[tf.key] as string) : tf.key in tags,
      );
      if (ok)
        list.push({
          resourceArn: String(r.outputs.arn ?? r.id),
          tags,
          complianceDetails: [],
        });
    }
  }
  return { ...args, id: region, region, resourceTagMappingLists: list };
}
