// Finding, in an account, the resource the engine meant to create: after a crash (a pending create)
// and when an account is onboarded again over the bucket and key it kept.
//
// Named resources (bucket, role, log group, alias, trail, ...) have ids derived from their inputs,
// in AWS's formats (the pulumi import ids); the sandbox provider's resource table holds exactly
// these formats, so it is the one source of the id rules. Whether one exists is asked of the account
// itself through the aws provider's functions, in both modes (the sandbox provider answers the same
// functions): Cloud Control's GetResource by primary identifier, and for KMS keys, whose id AWS
// generates, the Resource Groups Tagging API by the tags the engine puts on them (see ownerTags).

import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { RESOURCE_SPECS } from '../sandbox/resources/index.ts';
import type { Props } from '../sandbox/state.ts';

/** Tags that name the stack and logical name of a resource whose id AWS generates. */
export const OWNER_TAGS = { stack: 'trailwarden:stack', name: 'trailwarden:logical-name' } as const;

/** Types whose id the service generates: found by tags (or identity inputs), never by name. */
export const GENERATED_ID_TYPES = new Set(['aws:kms/key:Key', 'aws:sns/topicSubscription:TopicSubscription']);

/** Types that carry OWNER_TAGS (taggable and with a generated id). */
export const OWNER_TAGGED_TYPES = new Set(['aws:kms/key:Key']);

export function ownerTags(stackName: string, logicalName: string): Record<string, string> {
  return { [OWNER_TAGS.stack]: stackName, [OWNER_TAGS.name]: logicalName };
}

export interface WantedResource {
  urn: string;
  type: string;
  /** The logical name (last URN segment). */
  name: string;
  /** The checked inputs the engine recorded (pending create) or planned (preview). */
  inputs: Props;
  /** The Region of its provider (a resource's own `region` input wins). */
  region?: string;
}

export interface Found {
  /** Ids in the account that match, best first; empty when the resource is absent. */
  ids: string[];
  /** How it was looked up. */
  by: 'name' | 'tags' | 'identity';
  /** true: the ids were seen in the account; false: derived, the engine's refresh verifies them. */
  verified: boolean;
}

/** One call of an AWS lookup API, made through the account's aws provider. */
export type LookupCall =
  | { api: 'cloudcontrol:GetResource'; region: string; typeName: string; identifier: string }
  | { api: 'tagging:GetResources'; region: string; resourceType: string; tags: Record<string, string> };

/** properties: GetResource found it (absent: not found); arns: what GetResources matched. */
export interface LookupAnswer {
  properties?: Record<string, unknown>;
  arns?: string[];
}

/** Runs lookup calls against the account (the engine: through a preview of a lookup program). */
export type Lookups = (calls: LookupCall[]) => Promise<LookupAnswer[]>;

export interface AccountInventory {
  /** One answer per wanted resource; undefined: this inventory cannot look that resource up. */
  findAll(
    accountId: string,
    stackName: string,
    wanted: WantedResource[],
    lookups: Lookups,
  ): Promise<(Found | undefined)[]>;
}

function nameOf(urn: string): string {
  const parts = urn.split('::');
  return parts.slice(3).join('::');
}

export function wantedOf(
  resource: { urn: string; type: string; inputs?: Props },
  region?: string,
): WantedResource {
  const inputs = resource.inputs ?? {};
  return {
    urn: resource.urn,
    type: resource.type,
    name: nameOf(resource.urn),
    inputs,
    region: str(inputs.region) ?? region,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The id AWS gives a named resource, from its checked inputs; undefined for generated ids. */
export function derivedId(accountId: string, wanted: WantedResource): string | undefined {
  if (GENERATED_ID_TYPES.has(wanted.type)) return undefined;
  const spec = RESOURCE_SPECS.get(wanted.type);
  if (!spec) return undefined;
  const region = wanted.region ?? str(wanted.inputs.region) ?? 'us-east-1';
  try {
    const id = spec.id(wanted.inputs, {
      accountId,
      region,
      state: undefined as never,
      defaultTags: {},
    });
    return id && !id.includes('undefined') ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Named resources found without looking (aws mode before lookups): the refresh verifies them. */
export class DerivedIdInventory implements AccountInventory {
  async findAll(accountId: string, _stackName: string, wanted: WantedResource[]) {
    return wanted.map((w): Found | undefined => {
      const id = derivedId(accountId, w);
      return id ? { ids: [id], by: 'name', verified: false } : undefined;
    });
  }
}

/**
 * The types whose Create refuses a duplicate (AlreadyExists: the sandbox's rules table) and how
 * Cloud Control names them: these are the ones a retry or a re-onboarding must find and import.
 * Other named types are written with Put* calls that overwrite (role policy, bucket settings,
 * alarms, metric filters, event rules and targets, topic policy; CreateTopic is idempotent): they
 * keep their derived id, which the refresh verifies, and are never adopted, as creating them
 * again converges. Glue tables (`CreateTable`, AlreadyExists) are not looked up: Cloud Control's
 * support for AWS::Glue::Table is not established here, so a killed table create is reported.
 */
const CLOUD_CONTROL: Record<
  string,
  { typeName: string; identifier: (id: string, w: WantedResource) => string }
> = {
  'aws:s3/bucket:Bucket': { typeName: 'AWS::S3::Bucket', identifier: (id) => id },
  'aws:iam/role:Role': { typeName: 'AWS::IAM::Role', identifier: (id) => id },
  // The pulumi id of a trail is its ARN; Cloud Control's primary identifier is TrailName.
  'aws:cloudtrail/trail:Trail': {
    typeName: 'AWS::CloudTrail::Trail',
    identifier: (id, w) => str(w.inputs.name) ?? id.slice(id.indexOf(':trail/') + 7),
  },
  'aws:cloudwatch/logGroup:LogGroup': { typeName: 'AWS::Logs::LogGroup', identifier: (id) => id },
  'aws:kms/alias:Alias': { typeName: 'AWS::KMS::Alias', identifier: (id) => id },
  'aws:athena/workgroup:Workgroup': { typeName: 'AWS::Athena::WorkGroup', identifier: (id) => id },
  // The pulumi id is `<catalog id>:<name>`; Cloud Control's is DatabaseName.
  'aws:glue/catalogDatabase:CatalogDatabase': {
    typeName: 'AWS::Glue::Database',
    identifier: (id, w) => str(w.inputs.name) ?? id.slice(id.indexOf(':') + 1),
  },
};

/** Types with an AlreadyExists on create that this inventory can confirm in the account. */
export const LOOKED_UP_TYPES = new Set([...Object.keys(CLOUD_CONTROL), ...OWNER_TAGGED_TYPES]);

const KEY_ARN_ID = /:key\/([^/]+)$/;

/**
 * The inventory of both modes: asks the account, through the lookup APIs, whether each wanted
 * resource exists. Two rounds at most: the first finds keys by tags and named resources by
 * identifier; the second asks Cloud Control about each key found, as its handler answers
 * "not found" for a key pending deletion (a key a decommission gave up), which must not be adopted.
 */
export class ApiInventory implements AccountInventory {
  async findAll(
    accountId: string,
    stackName: string,
    wanted: WantedResource[],
    lookups: Lookups,
  ): Promise<(Found | undefined)[]> {
    const results: (Found | undefined)[] = wanted.map(() => undefined);
    const calls: LookupCall[] = [];
    const callOf: { index: number; kind: 'key' | 'named' | 'alias'; id?: string }[] = [];
    wanted.forEach((w, index) => {
      const region = w.region ?? 'us-east-1';
      if (OWNER_TAGGED_TYPES.has(w.type)) {
        calls.push({
          api: 'tagging:GetResources',
          region,
          resourceType: 'kms:key',
          tags: ownerTags(stackName, w.name),
        });
        callOf.push({ index, kind: 'key' });
        return;
      }
      const id = derivedId(accountId, w);
      const cc = CLOUD_CONTROL[w.type];
      if (!id) return;
      if (!cc) {
        // Overwritten by a create: nothing to adopt; the refresh verifies a pending one.
        results[index] = { ids: [id], by: 'name', verified: false };
        return;
      }
      calls.push({
        api: 'cloudcontrol:GetResource',
        region,
        typeName: cc.typeName,
        identifier: cc.identifier(id, w),
      });
      callOf.push({ index, kind: w.type === 'aws:kms/alias:Alias' ? 'alias' : 'named', id });
    });
    if (!calls.length) return results;
    const answers = await lookups(calls);
    const aliasTargets = new Set<string>();
    const keys: { index: number; ids: string[] }[] = [];
    callOf.forEach((c, i) => {
      const answer = answers[i] ?? {};
      if (c.kind === 'key') {
        const ids = (answer.arns ?? [])
          .map((arn) => KEY_ARN_ID.exec(arn)?.[1])
          .filter((id): id is string => !!id);
        keys.push({ index: c.index, ids });
        return;
      }
      results[c.index] = { ids: answer.properties ? [c.id!] : [], by: 'name', verified: true };
      const target = answer.properties?.TargetKeyId;
      if (typeof target === 'string') aliasTargets.add(KEY_ARN_ID.exec(target)?.[1] ?? target);
    });
    const keyCalls = keys.flatMap((k) =>
      k.ids.map(
        (id): LookupCall => ({
          api: 'cloudcontrol:GetResource',
          region: wanted[k.index]!.region ?? 'us-east-1',
          typeName: 'AWS::KMS::Key',
          identifier: id,
        }),
      ),
    );
    const keyAnswers = keyCalls.length ? await lookups(keyCalls) : [];
    let n = 0;
    for (const k of keys) {
      const live = k.ids.filter(() => !!keyAnswers[n++]?.properties);
      // Of several keys, the one the account's alias points at first: the one in use.
      live.sort((a, b) => Number(aliasTargets.has(b)) - Number(aliasTargets.has(a)));
      results[k.index] = { ids: live, by: 'tags', verified: true };
    }
    return results;
  }
}

/** Matches the "not found" of Cloud Control's GetResource as the aws provider reports it. */
const NOT_FOUND = /ResourceNotFoundException|couldn't find resource|NotFound/;

/**
 * An inline program that makes the lookup calls through aws providers configured as the account's
 * program configures them (Region, allowed account, assumed role), and the answers it collects. Run
 * by a preview: functions are called during a preview, and nothing is written.
 */
export function lookupProgram(
  accountId: string,
  assumeRole: { roleArn: string; externalId?: string; sessionName?: string } | undefined,
  calls: LookupCall[],
): { program: () => Promise<Record<string, never>>; answers: LookupAnswer[] } {
  const answers: LookupAnswer[] = calls.map(() => ({}));
  const program = async () => {
    const providers = new Map<string, aws.Provider>();
    const providerFor = (region: string) => {
      let p = providers.get(region);
      if (!p) {
        p = new aws.Provider(`trailwarden-lookup-${region}`, {
          region: region as aws.Region,
          allowedAccountIds: [accountId],
          assumeRoles: assumeRole
            ? [
                {
                  roleArn: assumeRole.roleArn,
                  externalId: assumeRole.externalId,
                  sessionName: assumeRole.sessionName ?? 'trailwarden',
                },
              ]
            : undefined,
        });
        providers.set(region, p);
      }
      return p;
    };
    await Promise.all(
      calls.map(async (call, i) => {
        const opts: pulumi.InvokeOptions = { provider: providerFor(call.region) };
        if (call.api === 'tagging:GetResources') {
          const r = await aws.resourcegroupstaggingapi.getResources(
            {
              resourceTypeFilters: [call.resourceType],
              tagFilters: Object.entries(call.tags).map(([key, value]) => ({ key, values: [value] })),
            },
            opts,
          );
          answers[i] = { arns: r.resourceTagMappingLists.map((m) => m.resourceArn) };
          return;
        }
        try {
          const r = await aws.cloudcontrol.getResource(
            { typeName: call.typeName, identifier: call.identifier },
            opts,
          );
          answers[i] = { properties: JSON.parse(r.properties || '{}') as Record<string, unknown> };
        } catch (err) {
          if (!NOT_FOUND.test(String((err as Error)?.message ?? err))) throw err;
        }
      }),
    );
    return {};
  };
  return { program, answers };
}
