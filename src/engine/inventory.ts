// Finding, in an account, the resource the engine meant to create: after a crash (a pending create)
// and when an account is onboarded again over the bucket and key it kept.
//
// Named resources (bucket, role, log group, alias, trail, ...) have ids derived from their inputs,
// in AWS's formats; the sandbox provider's resource table holds exactly these formats, so it is the
// one source of the id rules. Resources with generated ids (KMS keys) are found by the tags the
// engine puts on them: the stack and the logical name (see ownerTags).

import { RESOURCE_SPECS } from '../sandbox/resources.ts';
import type { Props } from '../sandbox/state.ts';
import { SandboxState } from '../sandbox/state.ts';

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
}

export interface Found {
  /** Ids in the account that match, best first; empty when the resource is absent. */
  ids: string[];
  /** How it was looked up. */
  by: 'name' | 'tags' | 'identity';
  /** true: the ids were seen in the account; false: derived, the engine's refresh verifies them. */
  verified: boolean;
}

export interface AccountInventory {
  /** undefined: this inventory cannot look the resource up. */
  find(accountId: string, stackName: string, wanted: WantedResource): Found | undefined;
}

function nameOf(urn: string): string {
  const parts = urn.split('::');
  return parts.slice(3).join('::');
}

export function wantedOf(resource: { urn: string; type: string; inputs?: Props }): WantedResource {
  return {
    urn: resource.urn,
    type: resource.type,
    name: nameOf(resource.urn),
    inputs: resource.inputs ?? {},
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The id AWS gives a named resource, from its checked inputs; undefined for generated ids. */
export function derivedId(accountId: string, wanted: WantedResource): string | undefined {
  if (GENERATED_ID_TYPES.has(wanted.type)) return undefined;
  const spec = RESOURCE_SPECS.get(wanted.type);
  if (!spec) return undefined;
  const region = str(wanted.inputs.region) ?? 'us-east-1';
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

/**
 * Production (aws mode): named resources by their derived id, which the engine's refresh then
 * verifies through the aws provider (a Read that finds nothing drops the resource again).
 * Generated-id resources cannot be looked up this way: undefined.
 */
export class DerivedIdInventory implements AccountInventory {
  find(accountId: string, _stackName: string, wanted: WantedResource): Found | undefined {
    const id = derivedId(accountId, wanted);
    return id ? { ids: [id], by: 'name', verified: false } : undefined;
  }
}

/** Sandbox mode: the sandbox's own state is the account. */
export class SandboxInventory implements AccountInventory {
  readonly #state: SandboxState;
  constructor(stateDir: string) {
    this.#state = new SandboxState(stateDir);
  }

  find(accountId: string, stackName: string, wanted: WantedResource): Found | undefined {
    if (!RESOURCE_SPECS.has(wanted.type)) return undefined;
    if (OWNER_TAGGED_TYPES.has(wanted.type)) {
      const ids = this.#state
        .list({ accountId, type: wanted.type })
        .filter((r) => {
          const tags = (r.outputs.tagsAll ?? r.inputs.tags ?? {}) as Record<string, unknown>;
          return tags[OWNER_TAGS.stack] === stackName && tags[OWNER_TAGS.name] === wanted.name;
        })
        .map((r) => r.id);
      return { ids: this.#preferReferenced(accountId, ids), by: 'tags', verified: true };
    }
    if (wanted.type === 'aws:sns/topicSubscription:TopicSubscription') {
      const keys = ['topic', 'protocol', 'endpoint'] as const;
      const ids = this.#state
        .list({ accountId, type: wanted.type })
        .filter((r) => keys.every((k) => r.inputs[k] === wanted.inputs[k]))
        .map((r) => r.id);
      return { ids, by: 'identity', verified: true };
    }
    const id = derivedId(accountId, wanted);
    if (!id) return undefined;
    return { ids: this.#state.get(accountId, wanted.type, id) ? [id] : [], by: 'name', verified: true };
  }

  /** Of several keys, the one an alias points at first (the one the account actually uses). */
  #preferReferenced(accountId: string, ids: string[]): string[] {
    if (ids.length < 2) return ids;
    const targets = new Set(
      this.#state.list({ accountId, type: 'aws:kms/alias:Alias' }).map((a) => String(a.inputs.targetKeyId)),
    );
    return [...ids].sort((a, b) => Number(targets.has(b)) - Number(targets.has(a)));
  }
}
