// The sandbox AWS provider: implements @pulumi/pulumi/provider's Provider interface for the subset of
// aws resources Trailwarden uses, backed by SandboxState on disk instead of an AWS account.
// Provider configuration arrives through configure() (wired in main.ts, because the Node provider
// SDK answers Configure/CheckConfig/DiffConfig itself and never shows them to the Provider object).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type * as provider from '@pulumi/pulumi/provider/index.js';
import { isSecretMarker } from '../../engine-values.ts';
import { getResource, getTaggedResources } from '../lookups.ts';
import { type PolicyDocumentArgs, policyError, renderPolicyDocument } from '../policy.ts';
import {
  AwsApiError,
  type Ctx,
  type Failure,
  isUnknown,
  preconditions,
  RESOURCE_SPECS,
  type ResourceSpec,
  UNKNOWN,
  validateInputs,
} from '../resources/index.ts';
import { isGlobalType, type Props, SandboxState } from '../state.ts';

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

export const DEFAULT_ACCOUNT_ID = '123456789012';

/**
 * The engine connection a call came in on (main.ts sets it around every RPC). One long-running
 * provider serves every engine of the service (attached mode, PULUMI_DEBUG_PROVIDERS): each engine
 * provider instance dials its own gRPC connection and configures it, so configuration is kept per
 * connection. Outside a call (unit tests, one engine per process) there is one configuration.
 */
export const connection = new AsyncLocalStorage<string>();
// Connections are not announced when they close; the oldest configurations are dropped beyond this.
const MAX_CONNECTIONS = 4096;
const DEFAULTS_KEY = '__defaults';

export interface SandboxConfig {
  accountId: string;
  region: string;
  defaultTags: Record<string, string>;
  assumeRoleArn?: string;
  sessionName?: string;
}

export interface PropertyDiffEntry {
  kind: 'ADD' | 'ADD_REPLACE' | 'DELETE' | 'DELETE_REPLACE' | 'UPDATE' | 'UPDATE_REPLACE';
}

export interface SandboxDiffResult extends provider.DiffResult {
  readonly diffs: string[];
  readonly detailedDiff: Record<string, PropertyDiffEntry>;
}

export interface SandboxProviderOptions {
  state?: SandboxState;
  version?: string;
  env?: NodeJS.ProcessEnv;
}

/** Strips the engine's secret wrappers (the engine re-applies secretness to outputs by name). */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === 'object') {
    const o = v as Props;
    if (isSecretMarker(o)) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** Provider config values arrive as strings; lists and maps are JSON-encoded by @pulumi/aws. */
function decodeConfigValue(v: unknown): unknown {
  if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

/** Reads the provider config map (keys with or without the `aws:config:` prefix). */
export function parseProviderConfig(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  providerUrn?: string,
): SandboxConfig {
  const get = (k: string) => decodeConfigValue(unwrapSecrets(raw[k] ?? raw[`aws:config:${k}`]));
  const allowed = get('allowedAccountIds');
  const allowedIds = Array.isArray(allowed) ? allowed.map(String) : [];
  const assumeRoles = get('assumeRoles');
  const role = Array.isArray(assumeRoles) ? (assumeRoles[0] as Props | undefined) : undefined;
  const roleArn = typeof role?.roleArn === 'string' ? role.roleArn : undefined;
  const roleAccount = roleArn ? /^arn:aws[\w-]*:iam::(\d{12}):/.exec(roleArn)?.[1] : undefined;
  // A stack per account, named by its id (src/engine): an attached provider, which serves every
  // stack and so has no TRAILWARDEN_SANDBOX_ACCOUNT_ID, reads the account from the provider's URN.
  const stackAccount = /^urn:pulumi:(\d{12})::/.exec(providerUrn ?? '')?.[1];
  const accountId =
    allowedIds[0] ?? roleAccount ?? env.TRAILWARDEN_SANDBOX_ACCOUNT_ID ?? stackAccount ?? DEFAULT_ACCOUNT_ID;
  if (roleAccount && allowedIds.length > 0 && !allowedIds.includes(roleAccount)) {
    throw new Error(`AWS account ID not allowed: ${roleAccount}`);
  }
  const forbidden = get('forbiddenAccountIds');
  if (Array.isArray(forbidden) && forbidden.map(String).includes(accountId)) {
    throw new Error(`AWS account ID not allowed: ${accountId}`);
  }
  const region = get('region');
  const dt = get('defaultTags') as { tags?: Record<string, string> } | undefined;
  return {
    accountId,
    region:
      typeof region === 'string' && region
        ? region
        : (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1'),
    defaultTags: dt && typeof dt === 'object' && dt.tags ? { ...dt.tags } : {},
    ...(roleArn ? { assumeRoleArn: roleArn } : {}),
    ...(typeof role?.sessionName === 'string' ? { sessionName: role.sessionName } : {}),
  };
}

/** `urn:pulumi:stack::project::parent$aws:s3/bucket:Bucket::name` -> type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split('::');
  const qualified = parts[2] ?? '';
  return { type: qualified.split('$').pop() ?? '', name: parts.slice(3).join('::') };
}

const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);

function normalizeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Props)[k] !== undefined && (a as Props)[k] !== null);
    const kb = Object.keys(b).filter((k) => (b as Props)[k] !== undefined && (b as Props)[k] !== null);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Props)[k], (b as Props)[k]));
  }
  return false;
}

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

export class SandboxAwsProvider implements provider.Provider {
  readonly version: string;
  readonly state: SandboxState;
  private readonly env: NodeJS.ProcessEnv;
  #unconnected: SandboxConfig;
  readonly #byConnection = new Map<string, SandboxConfig>();

  constructor(opts: SandboxProviderOptions = {}) {
    this.env = opts.env ?? process.env;
    this.version = opts.version ?? '0.0.0';
    this.state = opts.state ?? new SandboxState(this.env.TRAILWARDEN_SANDBOX_DIR || undefined);
    this.#unconnected = parseProviderConfig({}, this.env);
  }

  private get config(): SandboxConfig {
    const key = connection.getStore();
    return (key === undefined ? undefined : this.#byConnection.get(key)) ?? this.#unconnected;
  }

  get configuration(): SandboxConfig {
    return this.config;
  }

  /** Called with the engine's ConfigureRequest variables (`aws:config:<key>` -> string). */
  configure(variables: Record<string, unknown>, providerUrn?: string): void {
    const config = parseProviderConfig(variables, this.env, providerUrn);
    const key = connection.getStore();
    if (key === undefined) {
      this.#unconnected = config;
      return;
    }
    this.#byConnection.delete(key);
    this.#byConnection.set(key, config);
    if (this.#byConnection.size > MAX_CONNECTIONS)
      this.#byConnection.delete(this.#byConnection.keys().next().value as string);
  }

  /** CheckConfig: validates the provider's inputs; returns them unchanged. */
  async checkConfig(_urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    const failures: Failure[] = [];
    const region = unwrapSecrets(news.region);
    if (
      typeof region === 'string' &&
      region !== UNKNOWN &&
      !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/.test(region)
    ) {
      failures.push({ property: 'region', reason: `invalid AWS Region: ${region}` });
    }
    for (const key of ['allowedAccountIds', 'forbiddenAccountIds']) {
      const v = decodeConfigValue(unwrapSecrets(news[key]));
      if (Array.isArray(v)) {
        for (const id of v) {
          if (id !== UNKNOWN && !/^\d{12}$/.test(String(id))) {
            failures.push({
              property: key,
              reason: `invalid account ID ${JSON.stringify(id)}: must be 12 digits`,
            });
          }
        }
      }
    }
    return { inputs: news, failures };
  }

  /** DiffConfig: a different account replaces the provider (and so its resources); the rest updates. */
  async diffConfig(_urn: string, olds: Props, news: Props): Promise<SandboxDiffResult> {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)].filter((k) => k !== 'version'));
    const detailedDiff: Record<string, PropertyDiffEntry> = {};
    const replaces: string[] = [];
    for (const k of keys) {
      const o = decodeConfigValue(unwrapSecrets(olds[k]));
      const n = decodeConfigValue(unwrapSecrets(news[k]));
      if (deepEqual(o, n) || (isEmpty(o) && isEmpty(n))) continue;
      const replace =
        k === 'allowedAccountIds' &&
        (isUnknown(n) || !deepEqual((o as unknown[] | undefined)?.[0], (n as unknown[] | undefined)?.[0]));
      if (replace) replaces.push(k);
      const base = o === undefined ? 'ADD' : n === undefined ? 'DELETE' : 'UPDATE';
      detailedDiff[k] = { kind: (replace ? `${base}_REPLACE` : base) as PropertyDiffEntry['kind'] };
    }
    const diffs = Object.keys(detailedDiff);
    return { changes: diffs.length > 0, replaces, diffs, detailedDiff, deleteBeforeReplace: false };
  }

  private spec(type: string): ResourceSpec {
    const spec = RESOURCE_SPECS.get(type);
    if (!spec) throw new Error(`the sandbox aws provider does not implement resource type ${type}`);
    return spec;
  }

  private ctx(inputs: Props, prev?: Props): Ctx {
    const region =
      typeof inputs.region === 'string' && inputs.region !== UNKNOWN ? inputs.region : this.config.region;
    return {
      accountId: this.config.accountId,
      region,
      state: this.state,
      defaultTags: this.config.defaultTags,
      ...(prev ? { prev } : {}),
    };
  }

  private autoname(spec: ResourceSpec, urnName: string, news: Props): string {
    const prefix = spec.prefixProp ? news[spec.prefixProp] : undefined;
    if (typeof prefix === 'string' && prefix !== UNKNOWN) {
      // Terraform's PrefixedUniqueId: prefix + timestamp + counter (26 characters).
      const ts = new Date().toISOString().replace(/\D/g, '').slice(0, 17);
      return `${prefix}${ts}${hex(9)}`.slice(0, prefix.length + 26);
    }
    let name = `${urnName}-${hex(7)}`;
    if (spec.autoname === 'lower') name = name.toLowerCase();
    if (spec.autoname === 'alias') name = `alias/${name}`;
    if (spec.token === 'aws:sns/topic:Topic' && news.fifoTopic === true) name = `${name}.fifo`;
    return name;
  }

  async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
    const { type, name } = parseUrn(urn);
    const spec = RESOURCE_SPECS.get(type);
    if (!spec) {
      return {
        inputs: news,
        failures: [
          { property: '', reason: `the sandbox aws provider does not implement resource type ${type}` },
        ],
      };
    }
    const inputs: Props = { ...(unwrapSecrets(news) as Props) };
    delete inputs[DEFAULTS_KEY];
    const oldInputs = unwrapSecrets(olds ?? {}) as Props;
    const oldDefaults = Array.isArray(oldInputs[DEFAULTS_KEY]) ? (oldInputs[DEFAULTS_KEY] as string[]) : [];
    const defaulted: string[] = [];
    if (spec.nameProp && inputs[spec.nameProp] === undefined) {
      const prefixUnchanged =
        !spec.prefixProp || deepEqual(inputs[spec.prefixProp], oldInputs[spec.prefixProp]);
      const keep =
        oldDefaults.includes(spec.nameProp) &&
        typeof oldInputs[spec.nameProp] === 'string' &&
        prefixUnchanged;
      inputs[spec.nameProp] = keep ? oldInputs[spec.nameProp] : this.autoname(spec, name, inputs);
      defaulted.push(spec.nameProp);
    }
    for (const [k, v] of Object.entries(spec.defaults)) {
      if (inputs[k] === undefined) {
        inputs[k] = v;
        defaulted.push(k);
      }
    }
    if (
      type !== 'aws:iam/role:Role' &&
      type !== 'aws:iam/rolePolicy:RolePolicy' &&
      inputs.region === undefined
    ) {
      inputs.region = this.config.region;
      defaulted.push('region');
    }
    const failures: Failure[] = [];
    for (const req of spec.required) {
      if (inputs[req] === undefined || inputs[req] === null) {
        failures.push({ property: req, reason: `Missing required property '${req}'` });
      }
    }
    for (const prop of spec.jsonProps) {
      const v = inputs[prop];
      if (v === undefined || v === null || isUnknown(v)) continue;
      const err = policyError(v);
      if (err) failures.push({ property: prop, reason: `"${prop}" contains an invalid JSON policy: ${err}` });
    }
    for (const f of validateInputs(spec, inputs)) failures.push(f);
    inputs[DEFAULTS_KEY] = defaulted.sort();
    return { inputs, failures };
  }

  /**
   * Property-level diff of the old inputs (falls back to the old outputs) against the checked new
   * inputs. Unknown new values count as changes.
   */
  async diff(
    _id: string,
    urn: string,
    olds: Props,
    news: Props,
    oldInputs?: Props,
  ): Promise<SandboxDiffResult> {
    const spec = this.spec(parseUrn(urn).type);
    const before = unwrapSecrets(oldInputs && Object.keys(oldInputs).length > 0 ? oldInputs : olds) as Props;
    const after = unwrapSecrets(news) as Props;
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    keys.delete(DEFAULTS_KEY);
    const fromOutputs = !(oldInputs && Object.keys(oldInputs).length > 0);
    const detailedDiff: Record<string, PropertyDiffEntry> = {};
    const replaces: string[] = [];
    for (const k of keys) {
      // Comparing against outputs: properties the program never set are computed, not removed.
      if (fromOutputs && !(k in after)) continue;
      let o = before[k];
      let n = after[k];
      if (spec.jsonProps.includes(k)) {
        o = normalizeJson(o);
        n = normalizeJson(n);
      }
      const unknown = isUnknown(n);
      if (!unknown && (deepEqual(o, n) || (isEmpty(o) && isEmpty(n)))) continue;
      const replace = spec.forceNew.includes(k);
      if (replace) replaces.push(k);
      const base = isEmpty(o) ? 'ADD' : isEmpty(n) ? 'DELETE' : 'UPDATE';
      detailedDiff[k] = { kind: (replace ? `${base}_REPLACE` : base) as PropertyDiffEntry['kind'] };
    }
    // Provider default tags changed: tagsAll (tags + default tags) needs an update even though the
    // resource's own inputs did not change.
    const outs = unwrapSecrets(olds) as Props;
    if (spec.tags && !detailedDiff.tags && outs.tagsAll && !isUnknown(after.tags)) {
      const want = { ...this.config.defaultTags, ...((after.tags as Props | undefined) ?? {}) };
      if (!deepEqual(outs.tagsAll, want)) detailedDiff.tagsAll = { kind: 'UPDATE' };
    }
    const diffs = Object.keys(detailedDiff).sort();
    const defaults = Array.isArray(after[DEFAULTS_KEY]) ? (after[DEFAULTS_KEY] as string[]) : [];
    // A fixed (user-chosen) name or a bucket-scoped singleton cannot exist twice: delete first.
    const fixedIdentity = spec.nameProp
      ? !defaults.includes(spec.nameProp)
      : !/topicSubscription|kms\/key:/.test(spec.token);
    return {
      changes: diffs.length > 0,
      replaces,
      diffs,
      detailedDiff,
      deleteBeforeReplace: replaces.length > 0 && fixedIdentity,
    };
  }

  private outputsFor(spec: ResourceSpec, inputs: Props, id: string, ctx: Ctx): Props {
    const clean: Props = { ...inputs };
    delete clean[DEFAULTS_KEY];
    const outs: Props = { ...clean, ...(spec.outputs?.(clean, id, ctx) ?? {}) };
    if (spec.token !== 'aws:iam/role:Role' && spec.token !== 'aws:iam/rolePolicy:RolePolicy')
      outs.region = ctx.region;
    if (spec.tags) outs.tagsAll = { ...ctx.defaultTags, ...((clean.tags as Props | undefined) ?? {}) };
    for (const [k, v] of Object.entries(outs)) if (v === undefined) delete outs[k];
    return outs;
  }

  async create(urn: string, news: Props): Promise<provider.CreateResult> {
    const spec = this.spec(parseUrn(urn).type);
    const inputs = unwrapSecrets(news) as Props;
    const ctx = this.ctx(inputs);
    preconditions(spec, inputs, ctx, 'create');
    const id = spec.id(inputs, ctx);
    const outs = this.outputsFor(spec, inputs, id, ctx);
    this.state.put({
      type: spec.token,
      id,
      accountId: ctx.accountId,
      region: ctx.region,
      inputs,
      outputs: outs,
    });
    return { id, outs };
  }

  /**
   * Planned outputs of a create during preview: nothing is written. Outputs that depend on the id
   * the service assigns are left out, which the engine shows as unknown.
   */
  async previewCreate(urn: string, news: Props): Promise<Props> {
    const spec = this.spec(parseUrn(urn).type);
    const inputs = unwrapSecrets(news) as Props;
    const ctx = this.ctx(inputs);
    const outs: Props = { ...inputs };
    delete outs[DEFAULTS_KEY];
    if (spec.token !== 'aws:iam/role:Role' && spec.token !== 'aws:iam/rolePolicy:RolePolicy')
      outs.region = ctx.region;
    if (spec.tags) outs.tagsAll = { ...ctx.defaultTags, ...((inputs.tags as Props | undefined) ?? {}) };
    return outs;
  }

  /** Planned outputs of an update during preview: computed outputs keep their values; nothing is written. */
  async previewUpdate(id: string, urn: string, olds: Props, news: Props): Promise<Props> {
    const spec = this.spec(parseUrn(urn).type);
    const inputs = unwrapSecrets(news) as Props;
    const prev = unwrapSecrets(olds) as Props;
    return this.outputsFor(spec, inputs, id, this.ctx(inputs, prev));
  }

  /** The region a recorded resource lives in: its recorded `region`, else the provider's. */
  private regionOf(type: string, props?: Props): string {
    const r = props ? unwrapSecrets(props.region) : undefined;
    return isGlobalType(type) || typeof r !== 'string' || r === UNKNOWN ? this.config.region : r;
  }

  async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
    const { type } = parseUrn(urn);
    this.spec(type);
    const rec = this.state.get(this.config.accountId, type, id, this.regionOf(type, props));
    if (!rec) return { id: '', props: {}, inputs: {} };
    return { id: rec.id, props: rec.outputs, inputs: rec.inputs };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const spec = this.spec(parseUrn(urn).type);
    const inputs = unwrapSecrets(news) as Props;
    const ctx = this.ctx(inputs, unwrapSecrets(olds) as Props);
    const rec = this.state.get(ctx.accountId, spec.token, id, this.regionOf(spec.token, olds));
    if (!rec) {
      throw new AwsApiError(
        `updating ${spec.label} (${id})`,
        spec.token.split(/[:/]/)[1]!.toUpperCase(),
        'Update',
        'ResourceNotFoundException',
        `${spec.label} ${id} does not exist`,
        404,
      );
    }
    const ctxWithPrev = { ...ctx, prev: rec.outputs };
    preconditions(spec, inputs, ctxWithPrev, 'update', id);
    const outs = this.outputsFor(spec, inputs, id, ctxWithPrev);
    this.state.put({ ...rec, region: ctx.region, inputs, outputs: outs });
    return { outs };
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    const { type } = parseUrn(urn);
    this.spec(type);
    // Deleting something already gone succeeds, as the Terraform provider treats NotFound on delete.
    this.state.remove(this.config.accountId, type, id, this.regionOf(type, props));
  }

  async invoke(token: string, rawArgs: Props): Promise<provider.InvokeResult> {
    const args = unwrapSecrets(rawArgs ?? {}) as Props;
    const { accountId, region } = this.config;
    switch (token) {
      case 'aws:index/getCallerIdentity:getCallerIdentity': {
        const role = this.config.assumeRoleArn
          ? /role\/(?:.*\/)?([^/]+)$/.exec(this.config.assumeRoleArn)?.[1]
          : undefined;
        const session = this.config.sessionName ?? 'trailwarden-sandbox';
        return {
          outputs: role
            ? {
                accountId,
                arn: `arn:aws:sts::${accountId}:assumed-role/${role}/${session}`,
                userId: `AROASANDBOX${accountId}:${session}`,
                id: accountId,
              }
            : {
                accountId,
                arn: `arn:aws:iam::${accountId}:user/sandbox`,
                userId: `AIDASANDBOX${accountId}`,
                id: accountId,
              },
        };
      }
      case 'aws:index/getRegion:getRegion': {
        const r = (args.region as string | undefined) ?? (args.name as string | undefined) ?? region;
        return {
          outputs: {
            name: r,
            region: r,
            id: r,
            endpoint: `ec2.${r}.amazonaws.com`,
            description: REGION_NAMES[r] ?? r,
          },
        };
      }
      case 'aws:index/getPartition:getPartition':
        return {
          outputs: {
            partition: 'aws',
            dnsSuffix: 'amazonaws.com',
            reverseDnsPrefix: 'com.amazonaws',
            id: 'aws',
          },
        };
      case 'aws:index/getDefaultTags:getDefaultTags':
        return { outputs: { tags: { ...this.config.defaultTags }, id: 'aws' } };
      case 'aws:iam/getPolicyDocument:getPolicyDocument': {
        const doc = renderPolicyDocument(args as PolicyDocumentArgs);
        return { outputs: { ...args, ...doc } };
      }
      case 'aws:cloudcontrol/getResource:getResource':
        return { outputs: getResource(this.state, accountId, str(args.region) ?? region, args) };
      case 'aws:resourcegroupstaggingapi/getResources:getResources':
        return { outputs: getTaggedResources(this.state, accountId, str(args.region) ?? region, args) };
      default:
        throw new Error(`the sandbox aws provider does not implement function ${token}`);
    }
  }
}

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'Europe (Ireland)',
  'eu-west-2': 'Europe (London)',
  'eu-west-3': 'Europe (Paris)',
  'eu-central-1': 'Europe (Frankfurt)',
  'eu-north-1': 'Europe (Stockholm)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
};
