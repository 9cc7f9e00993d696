// The engine adapter: one Pulumi stack per AWS account, driven in-process through the
// Automation API with an inline program. This is the only module that talks to the CLI.
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import {
  CommandError,
  ConcurrentUpdateError,
  type EngineEvent,
  LocalWorkspace,
  type PulumiCommand,
  type PulumiFn,
  Stack,
} from '@pulumi/pulumi/automation/index.js';
import { canonicalJson } from '../canonical-json.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import { EngineError, OperationCancelledError, PreviewStaleError, StackLockedError } from './errors.ts';
import {
  type AccountInventory,
  type Found,
  LOOKED_UP_TYPES,
  type Lookups,
  lookupProgram,
  OWNER_TAGGED_TYPES,
  ownerTags,
  wantedOf,
} from './inventory.ts';
import { type EngineProcesses, explicitEnvCommand, inheritableEnv } from './processes.ts';
import { getPulumiCommand } from './pulumi-cli.ts';
import {
  type Deployment,
  emptyReport,
  findDuplicates,
  lookUpForRecovery,
  type RecoveryReport,
  repairFileCheckpoint,
  resolvePendingCreates,
} from './recovery.ts';
import { fileLocks, removeStackLocks } from './state-locks.ts';
import type {
  ChangeSummary,
  DestroyOptions,
  OperationKind,
  OperationResult,
  RunOptions,
  TrailEngine,
} from './types.ts';

export interface AssumedRole {
  roleArn: string;
  externalId?: string;
}

/** Builds the inline program for one account's request. */
export type ProgramFactory = (args: {
  accountId: string;
  request: ResolvedTrailRequest;
  assumeRole?: AssumedRole;
}) => PulumiFn;

export interface SandboxEngineOptions {
  /** Root of the sandbox provider's on-disk AWS state. */
  stateDir: string;
  /** Directory holding the `pulumi-resource-aws` sandbox plugin, put first on the CLI's PATH. */
  pluginBinDir: string;
  /**
   * The port of a long-running sandbox provider the engine attaches to instead of starting the
   * plugin for each operation (PULUMI_DEBUG_PROVIDERS); called as each CLI command starts.
   */
  attachedProviderPort?: () => Promise<number>;
}

export interface AccountStacksOptions {
  /** Workspaces live under <dataDir>/workspaces; the default DIY backend under <dataDir>/state. */
  dataDir: string;
  /** Any Pulumi backend URL (file://, s3://, ...); default file://<dataDir>/state. */
  backendUrl?: string;
  /** Passphrase of the passphrase secrets provider. */
  passphrase: string;
  /** `passphrase` (default) or a KMS URL such as awskms://alias/x?region=…, for stacks created from now on. */
  secretsProvider?: string;
  /** PULUMI_HOME of the engine (plugins, credentials); default <dataDir>/pulumi-home. */
  pulumiHome?: string;
  pulumiCommand?: PulumiCommand;
  projectName?: string;
  /** Sandbox mode: the engine loads our sandbox `aws` provider instead of pulumi-resource-aws. */
  sandbox?: SandboxEngineOptions;
  /** The role assumed in each account (production); undefined in sandbox mode. */
  assumeRoleFor?: (accountId: string) => AssumedRole | undefined;
  programFor: ProgramFactory;
  /**
   * Looks resources up in an account: pending creates after a crash, and the bucket and key an
   * account kept when it is onboarded again. Without one, pending creates cannot be resolved.
   */
  inventory?: AccountInventory;
  /** The service's environment the CLI and plugins may inherit (default: inheritableEnv()). */
  childEnv?: Record<string, string>;
  /** This service run's engine processes (processes.ts): marked, and killed on close(). */
  processes?: EngineProcesses;
  /** Called as each operation on an account ends (heap-trim.ts: memory back to the OS). */
  afterOperation?: () => void;
}

// Resource types that hold the audit record itself: kept (in the account and in the stack) when an
// account is decommissioned unless the caller asks to remove the data too.
const RETAINED_TYPES = new Set([
  'aws:kms/key:Key',
  'aws:kms/alias:Alias',
  'aws:s3/bucket:Bucket',
  'aws:s3/bucketVersioning:BucketVersioning',
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls',
  'aws:s3/bucketPolicy:BucketPolicy',
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  'aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration',
  'aws:s3/bucketLogging:BucketLogging',
]);

const ACCOUNT_ID = /^[0-9]{12}$/;
const PLAN_ID = /^[0-9a-f-]{36}$/;

// The Pulumi runtime's per-run state: an inline program runs in an AsyncLocalStorage store of its
// own (automation/server.js run()). Not in the SDK's typings.
const sdkRequire = createRequire(import.meta.url);
const runtimeState = sdkRequire('@pulumi/pulumi/runtime/state.js') as {
  getStore(): { settings: RunClients };
};
interface Closable {
  close(): void;
}
interface RunClients {
  monitor?: Closable;
  engine?: Closable;
  [PROBES]?: Closable[];
}
const PROBES = Symbol('trailwarden.callbackProbes');

// A run that registers a resource transform starts a callbacks server and a client that probes it
// with `invoke` until it answers (runtime/callbacks.js); the SDK never closes that client. Each
// probe is noted in its run's settings (the probe runs in the run's async context) to be closed.
const probed = sdkRequire('@pulumi/pulumi/proto/callback_grpc_pb.js').CallbacksClient.prototype as {
  invoke: (this: Closable, ...args: unknown[]) => unknown;
};
const sdkInvoke = probed.invoke;
probed.invoke = function (this: Closable, ...args: unknown[]) {
  const settings = runtimeState.getStore().settings;
  settings[PROBES] ??= [];
  if (!settings[PROBES].includes(this)) settings[PROBES].push(this);
  return sdkInvoke.apply(this, args);
};

/**
 * Closes the gRPC clients an inline program's run opened: to the engine, and the callbacks probe.
 * The runtime's disconnect (runtime/settings.js disconnectSync) closes only its module-level
 * clients, never those of a run's local store, so each run left channels behind whose timers
 * (grpc-js callRefTimer, in the run's async context) kept the whole run reachable: its resources,
 * outputs and state. The service's memory grew with every operation and was never returned.
 */
function closeRunClients(runs: RunClients[]): void {
  for (const settings of runs.splice(0)) {
    for (const client of [settings.monitor, settings.engine, ...(settings[PROBES] ?? [])]) {
      try {
        client?.close();
      } catch {
        // already closed
      }
    }
    settings.monitor = undefined;
    settings.engine = undefined;
    settings[PROBES] = [];
  }
}

export class AccountStacks implements TrailEngine {
  readonly #opts: AccountStacksOptions;
  readonly #projectName: string;
  #command: Promise<PulumiCommand> | undefined;
  readonly #stacks = new Map<string, Promise<Stack>>();
  // Tail of each account's chain of operations: two operations on one account never overlap.
  readonly #tails = new Map<string, Promise<unknown>>();
  // The runtime settings of each account's inline program runs, closed when its operation ends.
  readonly #runs = new Map<string, RunClients[]>();
  #closing = false;

  constructor(opts: AccountStacksOptions) {
    this.#opts = opts;
    this.#projectName = opts.projectName ?? 'trailwarden';
    if (opts.pulumiCommand) this.#command = Promise.resolve(opts.pulumiCommand);
  }

  /** Fully qualified stack name: <org>/<project>/<account-id> (DIY backends use the org "organization"). */
  stackName(accountId: string): string {
    return `organization/${this.#projectName}/${accountId}`;
  }

  get backendUrl(): string {
    return this.#opts.backendUrl ?? `file://${join(this.#opts.dataDir, 'state')}`;
  }

  async cliVersion(): Promise<string> {
    return (await this.#cli()).version?.toString() ?? 'unknown';
  }

  preview(accountId: string, request: ResolvedTrailRequest, opts: RunOptions = {}): Promise<OperationResult> {
    return this.#run('preview', accountId, opts, async (stack, common, seen) => {
      stack.workspace.program = this.#program(accountId, request);
      // Refresh as the apply does: the preview must show what the apply will do to the account as
      // it is now (drift included), not to the state recorded at the last apply. The update plan is
      // saved so that an apply confirmed from this preview does only this (see up).
      const plan = opts.planId ? await this.#planPath(accountId, opts.planId, true) : undefined;
      const result = await stack.preview({
        ...common,
        diff: false,
        refresh: true,
        ...(plan ? { plan } : {}),
      });
      return {
        changeSummary: summarize(result.changeSummary),
        // A preview changes nothing: the outputs are the recorded ones, as `stack output` gives them.
        outputs: seen.recordedOutputs,
        stateEtag: await stateEtag(stack),
      };
    });
  }

  up(accountId: string, request: ResolvedTrailRequest, opts: RunOptions = {}): Promise<OperationResult> {
    return this.#run('apply', accountId, opts, async (stack, common, seen) => {
      // Re-onboarding: the bucket and key a decommission kept are adopted, never created twice.
      stack.workspace.program = await this.#adopting(
        stack,
        accountId,
        this.#program(accountId, request),
        opts,
      );
      // Confirmed from a preview: refuse to apply over a recorded state the preview did not see (an
      // apply or destroy ran in between, through this service or the CLI), then run the preview's
      // update plan (`pulumi up --plan`, https://www.pulumi.com/docs/iac/concepts/update-plans/):
      // the engine fails ("violates plan") rather than make a change the preview did not show, such
      // as one for drift that appeared after the preview. Plans are a preview feature of the CLI;
      // without the plan file (another replica's disk) the state check still holds.
      if (opts.expectStateEtag !== undefined) {
        const now = await stateEtag(stack);
        if (now !== opts.expectStateEtag) {
          throw new PreviewStaleError(
            `recorded stack state ${now} is not the ${opts.expectStateEtag} the preview planned against`,
          );
        }
      }
      const plan = opts.planId ? await this.#planPath(accountId, opts.planId, false) : undefined;
      if (opts.planId && !plan) {
        opts.log?.warn({ accountId, planId: opts.planId }, 'no saved plan for the preview; applying without');
      }
      // Refresh first: converging means correcting what changed out of band, which a plain
      // up (diffing against the recorded state) would not see.
      try {
        await stack.up({ ...common, refresh: true, ...(plan ? { plan } : {}) });
      } finally {
        if (plan) await rm(plan, { force: true });
      }
      return { changeSummary: summarize(seen.summary), outputs: seen.outputs };
    });
  }

  refreshPreview(
    accountId: string,
    request: ResolvedTrailRequest,
    opts: RunOptions = {},
  ): Promise<OperationResult> {
    return this.#run('refresh-preview', accountId, opts, async (stack, common, seen) => {
      stack.workspace.program = this.#program(accountId, request);
      // One CLI process per drift check: `refresh --preview-only`, nothing before or after it.
      const result = await stack.previewRefresh(common);
      return { changeSummary: summarize(result.changeSummary), outputs: seen.recordedOutputs };
    });
  }

  refresh(accountId: string, request: ResolvedTrailRequest, opts: RunOptions = {}): Promise<OperationResult> {
    return this.#run('refresh', accountId, opts, async (stack, common, seen) => {
      stack.workspace.program = this.#program(accountId, request);
      await stack.refresh(common);
      return { changeSummary: summarize(seen.summary), outputs: seen.outputs };
    });
  }

  destroy(
    accountId: string,
    _request: ResolvedTrailRequest,
    opts: DestroyOptions = {},
  ): Promise<OperationResult> {
    return this.#run('destroy', accountId, opts, async (stack, common, seen) => {
      if (opts.retainData === false) {
        await stack.destroy(common);
        return { changeSummary: summarize(seen.summary), outputs: {} };
      }
      // Keeping the data: a destroy targeted at everything but the log bucket, the key and what
      // holds them (their components and providers). They stay in the account AND in the stack,
      // so onboarding the account again uses them as they are (the new trail writes into the
      // same bucket under the same key; no lookup, no second key, in aws mode as in the sandbox),
      // and a later DELETE ?retainData=false can still remove them. A retry after a kill
      // recomputes the targets from what the state still holds.
      const deployment = ((await stack.exportStack()).deployment ?? {}) as Deployment;
      const resources = deployment.resources ?? [];
      const byUrn = new Map(resources.map((r) => [r.urn, r]));
      const keep = new Set<string>();
      const kept = resources.filter((r) => RETAINED_TYPES.has(r.type));
      for (const r of kept) {
        for (let urn: string | undefined = r.urn; urn && !keep.has(urn); urn = byUrn.get(urn)?.parent)
          keep.add(urn);
      }
      const targets = resources
        .filter((r) => !keep.has(r.urn) && !r.type.startsWith('pulumi:'))
        .map((r) => r.urn);
      const changeSummary: ChangeSummary = {};
      if (targets.length) {
        await stack.destroy({ ...common, target: targets });
        Object.assign(changeSummary, summarize(seen.summary));
        delete changeSummary.same;
      }
      if (kept.length) changeSummary.kept = kept.length;
      return { changeSummary, outputs: {} };
    });
  }

  /**
   * Where the update plan of a preview is kept: <dataDir>/plans/<account>/<preview id>.json. For a
   * preview (create: true) the directory is made and plans older than a day are pruned; for an
   * apply, undefined when there is no such file.
   */
  async #planPath(accountId: string, planId: string, create: boolean): Promise<string | undefined> {
    if (!PLAN_ID.test(planId)) throw new TypeError(`not a plan id: ${planId}`);
    const dir = join(this.#opts.dataDir, 'plans', accountId);
    const path = join(dir, `${planId}.json`);
    if (!create) return (await stat(path).catch(() => undefined)) ? path : undefined;
    await mkdir(dir, { recursive: true });
    const cutoff = Date.now() - 86_400_000;
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(file, { force: true });
    }
    return path;
  }

  /**
   * Makes an account's stack usable after its update was killed, before the operation is
   * reported: a corrupt checkpoint repaired (DIY backend), temp files removed, the lock released
   * and checked, pending creates resolved against the account (imported when found, cleared when
   * absent) and the state refreshed, duplicates reported. Only call when no operation of this
   * service runs on the account.
   */
  recover(accountId: string): Promise<RecoveryReport> {
    if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`not an AWS account id: ${accountId}`);
    return this.#serialized(accountId, async () => {
      const report = emptyReport(accountId);
      const stackName = this.stackName(accountId);
      const fileRoot = this.backendUrl.startsWith('file://')
        ? this.backendUrl.slice('file://'.length)
        : undefined;
      // Before anything loads the checkpoint: a 0-byte side file makes every load fail with EOF.
      if (fileRoot) await repairFileCheckpoint(fileRoot, this.#projectName, accountId, report);
      const stack = await this.#stack(accountId).catch(async (err: unknown) => {
        // A kill inside `stack init` leaves the stack's lock and no stack (state-locks.ts): every
        // create fails on that lock until it is gone, and its owner is gone (that is why we recover).
        if (!/currently locked/i.test(String((err as Error).message))) throw err;
        report.locksRemoved += await removeStackLocks(
          this.backendUrl,
          stackName,
          this.#opts.childEnv ?? process.env,
        );
        return this.#stack(accountId);
      });
      try {
        await stack.cancel();
        report.lockReleased = true;
      } catch (err) {
        // "no update in progress" is the expected answer when the crash left no lock.
        if (/no update|not currently/i.test(String((err as Error).message))) report.lockReleased = true;
        else report.problems.push(`cancel: ${engineLines(String((err as Error).message))}`);
      }
      // Other DIY backends (s3://, test/engine/recovery-s3.test.ts): `cancel` deletes every lock
      // object of the stack (pkg/backend/diy/backend.go CancelCurrentUpdate), so its success is the
      // release; and nothing needs repair there, as a PUT is atomic and metadata is no side file.
      if (fileRoot) {
        // Verified on disk, not assumed: the previous process is gone, so no lock can be live.
        report.locksRemoved += await removeStackLocks(this.backendUrl, stackName);
        report.lockReleased = (await fileLocks(fileRoot, stackName)).length === 0;
      }
      const state = await stack.exportStack();
      const deployment = (state.deployment ?? {}) as Deployment;
      const pending = deployment.pending_operations?.length ?? 0;
      const inventory = this.#opts.inventory;
      // Asked of the account before the state changes: what was being created, and look-alikes of
      // the generated-id resources the state has (a second key). A preview can run with pending
      // operations in the checkpoint (the engine warns and plans from the resources).
      // Only when something was being created: the engine records a pending create before it calls
      // the provider, so a resource the state lacks (a second key) can only come from one, or from a
      // checkpoint restored from an older copy. Otherwise recovery spares the account the look-up.
      const creating =
        deployment.pending_operations?.some((op) => op.type === 'creating') ||
        report.checkpointRepairs.some((r) => r.startsWith('restored'));
      let found = new Map<string, Found | undefined>();
      if (inventory && creating) {
        try {
          found = await lookUpForRecovery(
            deployment,
            accountId,
            stackName,
            inventory,
            this.#lookups(stack, accountId),
          );
        } catch (err) {
          report.problems.push(`looking the account up: ${engineLines(String((err as Error).message))}`);
        }
      }
      if (pending) {
        resolvePendingCreates(deployment, found, report);
        await stack.importStack(state);
        // Reads every resource as it is now: imported ones get their real properties (and go again
        // if the provider finds nothing), pending updates and deletes are settled.
        await stack.refresh({ color: 'never' });
        report.refreshed = true;
      }
      findDuplicates(deployment, found, report);
      return report;
    });
  }

  /** The account's state as `pulumi stack export` gives it (for tools and tests). */
  exportState(accountId: string): Promise<{ version: number; deployment: unknown }> {
    if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`not an AWS account id: ${accountId}`);
    return this.#serialized(accountId, async () => (await this.#stack(accountId)).exportStack());
  }

  /** Replaces the account's state (`pulumi stack import`); only when no operation runs on it. */
  importState(accountId: string, state: { version: number; deployment: unknown }): Promise<void> {
    if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`not an AWS account id: ${accountId}`);
    return this.#serialized(accountId, async () => (await this.#stack(accountId)).importStack(state));
  }

  /** Service shutdown: kills every CLI and plugin this run started that is still running. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#opts.processes?.killAll();
  }

  /** Kept for callers of the older interface: recovery does more than clear the lock. */
  async cancelStaleLock(accountId: string): Promise<void> {
    await this.recover(accountId);
  }

  /**
   * Runs lookup calls against the account through a preview of a program that only calls the aws
   * provider's functions (real AWS in aws mode, the sandbox provider in sandbox mode): one code
   * path for both modes. A preview writes nothing; it runs while the caller holds the account.
   */
  #lookups(stack: Stack, accountId: string): Lookups {
    return async (calls) => {
      const { program, answers } = lookupProgram(accountId, this.#opts.assumeRoleFor?.(accountId), calls);
      const previous = stack.workspace.program;
      stack.workspace.program = program;
      try {
        await stack.preview({ color: 'never' });
      } finally {
        stack.workspace.program = previous;
      }
      return answers;
    };
  }

  /**
   * The program for an apply, with `import` on every resource it would create that the account
   * already has (an account onboarded again over the bucket and key its decommission kept, or a
   * stack whose state was lost). Only looked at while the state lacks the key or the bucket.
   */
  async #adopting(stack: Stack, accountId: string, program: PulumiFn, opts: RunOptions): Promise<PulumiFn> {
    const inventory = this.#opts.inventory;
    if (!inventory) return program;
    const deployment = ((await stack.exportStack()).deployment ?? {}) as Deployment;
    const types = new Set((deployment.resources ?? []).map((r) => r.type));
    if (types.has('aws:kms/key:Key') && types.has('aws:s3/bucket:Bucket')) return program;
    const stackName = this.stackName(accountId);
    const planned: { urn: string; type: string; inputs: Record<string, unknown>; provider?: string }[] = [];
    const regions = new Map<string, string>();
    stack.workspace.program = program;
    await stack.preview({
      color: 'never',
      signal: opts.signal,
      onEvent: (event) => {
        const meta = event.resourcePreEvent?.metadata;
        const state = meta?.new ?? meta?.old;
        // Providers, created or kept: the Region each resource will be created in.
        if (
          meta &&
          state &&
          meta.type.startsWith('pulumi:providers:') &&
          typeof state.inputs?.region === 'string'
        )
          regions.set(meta.urn, state.inputs.region);
        if (meta?.op === 'create' && !meta.type.startsWith('pulumi:') && meta.new?.custom)
          planned.push({
            urn: meta.urn,
            type: meta.type,
            inputs: meta.new.inputs ?? {},
            provider: meta.new.provider,
          });
      },
    });
    // Only what a create would refuse as a duplicate needs adopting; the others are overwritten.
    const wanted = planned
      .filter((p) => LOOKED_UP_TYPES.has(p.type))
      .map((p) => {
        // A provider reference is `<urn>::<id>` (the id unknown while a preview plans its create).
        const providerUrn = p.provider?.slice(0, p.provider.lastIndexOf('::'));
        return wantedOf(p, providerUrn ? regions.get(providerUrn) : undefined);
      });
    if (!wanted.length) return program;
    const found = await inventory.findAll(accountId, stackName, wanted, this.#lookups(stack, accountId));
    const adopt = new Map<string, string>();
    wanted.forEach((w, i) => {
      const hit = found[i];
      // Only what was seen in the account: an import of something absent fails the apply.
      if (!hit?.verified || !hit.ids[0]) return;
      adopt.set(`${w.type}::${w.name}`, hit.ids[0]);
      if (hit.ids.length > 1)
        opts.log?.warn(
          { accountId, urn: w.urn, adopted: hit.ids[0], duplicates: hit.ids.slice(1) },
          'duplicate resources in the account',
        );
    });
    if (!adopt.size) return program;
    opts.log?.info({ accountId, adopted: Object.fromEntries(adopt) }, 'adopting resources the account has');
    return async () => {
      pulumi.runtime.registerResourceTransform((args) => {
        const id = adopt.get(`${args.type}::${args.name}`);
        return id ? { props: args.props, opts: { ...args.opts, import: id } } : undefined;
      });
      return program();
    };
  }

  async #run(
    kind: OperationKind,
    accountId: string,
    opts: RunOptions,
    body: (stack: Stack, common: CommonOpts, seen: SeenInEvents) => Promise<Omit<OperationResult, 'kind'>>,
  ): Promise<OperationResult> {
    if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`not an AWS account id: ${accountId}`);
    return this.#serialized(accountId, async () => {
      if (opts.signal?.aborted) throw new OperationCancelledError();
      const diagnostics: string[] = [];
      const seen = new SeenInEvents();
      const common: CommonOpts = {
        onEvent: (event) => {
          seen.add(event);
          const diag = event.diagnosticEvent;
          if (diag?.severity === 'error') diagnostics.push(diag.message.trim());
          const step = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
          if (step && opts.log?.debug && !step.type.startsWith('pulumi:'))
            opts.log.debug(
              {
                accountId,
                kind,
                urn: step.urn,
                type: step.type,
                op: step.op,
                failed: !!event.resOpFailedEvent,
              },
              'resource step finished',
            );
          opts.onEvent?.(event);
        },
        signal: opts.signal,
        color: 'never',
      };
      const started = Date.now();
      opts.log?.info({ accountId, kind }, 'engine operation started');
      try {
        const stack = await this.#stack(accountId);
        const result = { kind, ...(await body(stack, common, seen)) };
        opts.log?.info(
          { accountId, kind, ms: Date.now() - started, changes: result.changeSummary },
          'engine operation finished',
        );
        return result;
      } catch (err) {
        const mapped = this.#mapError(err, diagnostics, opts.signal);
        opts.log?.warn(
          {
            accountId,
            kind,
            ms: Date.now() - started,
            code: mapped.code,
            engineMessage: mapped.engineMessage,
          },
          'engine operation failed',
        );
        throw mapped;
      }
    });
  }

  /**
   * Accounts whose last engine run (operation or recovery) never finished: a killed service leaves
   * their marker behind, and the next start recovers them even when no operation says so.
   */
  async unfinishedAccounts(): Promise<string[]> {
    try {
      return (await readdir(this.#markerDir())).filter((n) => ACCOUNT_ID.test(n));
    } catch {
      return [];
    }
  }

  #markerDir(): string {
    return join(this.#opts.dataDir, 'run', 'in-flight');
  }

  #serialized<T>(accountId: string, body: () => Promise<T>): Promise<T> {
    const marker = join(this.#markerDir(), accountId);
    const fn = async () => {
      await mkdir(this.#markerDir(), { recursive: true, mode: 0o700 });
      await writeFile(marker, `${process.pid}\n`, { mode: 0o600 });
      const result = await body()
        .finally(() => {
          closeRunClients(this.#runs.get(accountId) ?? []);
          this.#opts.afterOperation?.();
        })
        .catch((err: unknown) => {
          // Killed by close(): the CLI had no chance to release its lock; the next start recovers.
          if (this.#closing) throw err;
          return rm(marker, { force: true }).then(() => Promise.reject(err));
        });
      // A run that got to its end (success or a reported failure) clears it; a kill does not.
      await rm(marker, { force: true });
      return result;
    };
    const previous = this.#tails.get(accountId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#tails.set(accountId, tail);
    void tail.then(() => {
      if (this.#tails.get(accountId) === tail) this.#tails.delete(accountId);
    });
    return next;
  }

  #mapError(err: unknown, diagnostics: string[], signal: AbortSignal | undefined): EngineError {
    if (err instanceof EngineError) return err;
    const stderr = err instanceof CommandError ? err.message : String((err as Error)?.message ?? err);
    const engineMessage = diagnostics.length ? diagnostics.join('\n') : engineLines(stderr);
    if (signal?.aborted) return new OperationCancelledError(engineMessage, { cause: err });
    if (err instanceof ConcurrentUpdateError) return new StackLockedError(engineMessage, { cause: err });
    // The account changed after the preview the apply was confirmed from: its plan no longer holds.
    if (/violates plan/.test(engineMessage) || /violates plan/.test(stderr))
      return new PreviewStaleError(engineMessage);
    return new EngineError(`the engine failed: ${firstLine(engineMessage)}`, engineMessage, { cause: err });
  }

  #program(accountId: string, request: ResolvedTrailRequest): PulumiFn {
    const program = this.#opts.programFor({
      accountId,
      request,
      assumeRole: this.#opts.assumeRoleFor?.(accountId),
    });
    const stackName = this.stackName(accountId);
    return this.#tracked(accountId, async () => {
      // Resources whose id AWS generates (KMS keys) carry their stack and logical name, so that one
      // created by an update that was killed can be found again (recovery, re-onboarding).
      pulumi.runtime.registerResourceTransform((args) =>
        OWNER_TAGGED_TYPES.has(args.type)
          ? {
              props: {
                ...args.props,
                tags: {
                  ...((args.props.tags as Record<string, string>) ?? {}),
                  ...ownerTags(stackName, args.name),
                },
              },
              opts: args.opts,
            }
          : undefined,
      );
      return program();
    });
  }

  /** The program, noting the runtime settings of each run so that its clients get closed. */
  #tracked(accountId: string, program: PulumiFn): PulumiFn {
    return async () => {
      const runs = this.#runs.get(accountId) ?? [];
      this.#runs.set(accountId, runs);
      runs.push(runtimeState.getStore().settings);
      return program();
    };
  }

  #cli(): Promise<PulumiCommand> {
    this.#command ??= getPulumiCommand().catch((err) => {
      this.#command = undefined;
      throw err;
    });
    const attached = this.#opts.sandbox?.attachedProviderPort;
    // The CLI gets an explicit environment: no service secret reaches it or its plugins.
    return this.#command.then((cmd) =>
      explicitEnvCommand(
        cmd,
        this.#opts.childEnv ?? inheritableEnv(),
        this.#opts.processes?.runId ?? 'unmarked',
        attached && (async () => ({ PULUMI_DEBUG_PROVIDERS: `aws:${await attached()}` })),
      ),
    );
  }

  // Creating the workspace and selecting the stack happen once per account and process.
  #stack(accountId: string): Promise<Stack> {
    let stack = this.#stacks.get(accountId);
    if (!stack) {
      stack = this.#createStack(accountId).catch((err) => {
        this.#stacks.delete(accountId);
        throw err;
      });
      this.#stacks.set(accountId, stack);
    }
    return stack;
  }

  async #createStack(accountId: string): Promise<Stack> {
    const { dataDir, sandbox } = this.#opts;
    const workDir = join(dataDir, 'workspaces', accountId);
    const pulumiHome = this.#opts.pulumiHome ?? join(dataDir, 'pulumi-home');
    await mkdir(workDir, { recursive: true });
    await mkdir(pulumiHome, { recursive: true });
    if (this.backendUrl.startsWith('file://'))
      await mkdir(this.backendUrl.slice('file://'.length), { recursive: true });
    const secretsProvider = this.#opts.secretsProvider ?? 'passphrase';
    const envVars: Record<string, string> = {
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_HOME: pulumiHome,
      PULUMI_BACKEND_URL: this.backendUrl,
      // Never let the engine try to download a plugin at run time: production images carry it.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    };
    // Stacks made with the passphrase provider need it for every load; a KMS provider needs none.
    if (this.#opts.passphrase) envVars.PULUMI_CONFIG_PASSPHRASE = this.#opts.passphrase;
    if (sandbox) {
      envVars.PATH = `${sandbox.pluginBinDir}:${process.env.PATH ?? ''}`;
      envVars.TRAILWARDEN_SANDBOX_DIR = sandbox.stateDir;
      envVars.TRAILWARDEN_SANDBOX_ACCOUNT_ID = accountId;
    }
    const workspace = await LocalWorkspace.create({
      workDir,
      pulumiHome,
      pulumiCommand: await this.#cli(),
      envVars,
      secretsProvider,
      projectSettings: {
        name: this.#projectName,
        runtime: 'nodejs',
        backend: { url: this.backendUrl },
      },
      // Replaced before each operation with the program of the request at hand.
      program: this.#tracked(accountId, async () => ({})),
    });
    const stackName = this.stackName(accountId);
    let stack: Stack;
    if (await this.#checkpointExists(accountId)) {
      // Every command names its stack (--stack), so selecting an existing one is a CLI process
      // (≈ 0.2 s, once per account and service process: every check of a fleet run) for nothing.
      workspace.selectStack = async () => {};
      stack = await Stack.select(stackName, workspace);
    } else {
      stack = await Stack.createOrSelect(stackName, workspace);
    }
    // The operation's own event stream carries its summary and the stack outputs (SeenInEvents):
    // the follow-up `stack output` (twice) and `stack history` the Automation API runs after up,
    // refresh and destroy would be three more CLI processes, each deriving the passphrase key.
    return Object.assign(stack, {
      outputs: async () => ({}),
      info: async () => undefined,
    });
  }

  /** DIY file backend: whether the stack's checkpoint is on disk (other backends: unknown, false). */
  async #checkpointExists(accountId: string): Promise<boolean> {
    if (!this.backendUrl.startsWith('file://')) return false;
    const dir = join(this.backendUrl.slice('file://'.length), '.pulumi', 'stacks', this.#projectName);
    for (const name of [`${accountId}.json`, `${accountId}.json.gz`]) {
      if (
        await access(join(dir, name)).then(
          () => true,
          () => false,
        )
      )
        return true;
    }
    return false;
  }
}

interface CommonOpts {
  onEvent: (event: EngineEvent) => void;
  signal: AbortSignal | undefined;
  color: 'never';
}

function summarize(changes: Record<string, number> | undefined): ChangeSummary {
  return Object.fromEntries(Object.entries(changes ?? {}).filter(([, n]) => n > 0));
}

/**
 * What an operation's own event stream says: its change summary (the summary event, as `stack
 * history` records it) and the stack outputs, from the root stack resource's step events: the
 * recorded ones (its old state) and those after the operation (its new state). The engine masks
 * secret values as "[secret]" there, as the service did with `stack output`.
 */
class SeenInEvents {
  summary: Record<string, number> | undefined;
  #old: Record<string, unknown> | undefined;
  #new: Record<string, unknown> | undefined;

  add(event: EngineEvent): void {
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges as Record<string, number>;
    const meta = event.resOutputsEvent?.metadata ?? event.resourcePreEvent?.metadata;
    if (meta?.type !== 'pulumi:pulumi:Stack') return;
    if (meta.old?.outputs) this.#old ??= meta.old.outputs;
    if (meta.new?.outputs && event.resOutputsEvent) this.#new = meta.new.outputs;
  }

  get recordedOutputs(): Record<string, unknown> {
    return { ...(this.#old ?? {}) };
  }

  /** After an operation that ran the program (up) or read the account (refresh). */
  get outputs(): Record<string, unknown> {
    return { ...(this.#new ?? this.#old ?? {}) };
  }
}

/**
 * A hash of the recorded resources of the stack (the checkpoint without its timestamps): two equal
 * hashes mean the engine would diff the program against the same recorded state.
 */
async function stateEtag(stack: Stack): Promise<string> {
  const exported = await stack.exportStack();
  const resources = (exported.deployment as { resources?: unknown } | undefined)?.resources ?? [];
  return createHash('sha256').update(canonicalJson(resources)).digest('hex').slice(0, 32);
}

// The CLI's stderr carries the engine's own words on lines that start with "error:".
function engineLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^error:/i.test(l))
    .map((l) => l.replace(/^error:\s*/i, ''));
  return lines.length ? lines.join('\n') : stderr.trim();
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim()) ?? text;
}
