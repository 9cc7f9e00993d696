// The contract between the service and the Pulumi engine adapter (src/engine/account-stacks.ts).
// Services and tests depend on this interface; the adapter is the only place that touches
// the Automation API.
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { RecoveryReport } from './recovery.ts';

export type { EngineEvent, RecoveryReport };

export type OperationKind = 'preview' | 'apply' | 'refresh-preview' | 'refresh' | 'destroy';

export interface RunOptions {
  /** Every engine event, in order, as the engine emits it. */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting cancels the engine operation (the CLI is told to cancel, then the call rejects). */
  signal?: AbortSignal;
  /** Extra bindings for the log lines the adapter writes (e.g. the operation id). */
  log?: {
    info: (obj: object, msg?: string) => void;
    warn: (obj: object, msg?: string) => void;
    /** Per-resource progress (LOG_LEVEL=debug). */
    debug?: (obj: object, msg?: string) => void;
  };
  /**
   * up only: the recorded stack state (stateEtag of the preview it was confirmed from) the apply must
   * start from; the engine refuses (PreviewStaleError) when the state is another one.
   */
  expectStateEtag?: string;
  /**
   * preview: save the engine's update plan under this id (the preview operation's id); up: run the
   * plan saved under it (the preview it was confirmed from), so it does only what was previewed.
   */
  planId?: string;
}

/** Counts of resources by operation (create, update, replace, delete, same), as the engine reports them. */
export type ChangeSummary = Record<string, number>;

export interface OperationResult {
  kind: OperationKind;
  changeSummary: ChangeSummary;
  /** Stack outputs after the operation (plain values; secrets stay masked). */
  outputs: Record<string, unknown>;
  /** preview: a hash of the recorded stack state the plan was computed against. */
  stateEtag?: string;
}

export interface DestroyOptions extends RunOptions {
  /** Keep the log bucket and the key (the default); false removes them too. */
  retainData?: boolean;
}

export interface TrailEngine {
  preview(accountId: string, request: ResolvedTrailRequest, opts?: RunOptions): Promise<OperationResult>;
  up(accountId: string, request: ResolvedTrailRequest, opts?: RunOptions): Promise<OperationResult>;
  /** Refresh without writing state: what changed out of band. */
  refreshPreview(
    accountId: string,
    request: ResolvedTrailRequest,
    opts?: RunOptions,
  ): Promise<OperationResult>;
  refresh(accountId: string, request: ResolvedTrailRequest, opts?: RunOptions): Promise<OperationResult>;
  destroy(accountId: string, request: ResolvedTrailRequest, opts?: DestroyOptions): Promise<OperationResult>;
  /** Clears a lock left by a crashed process; only safe when no operation of ours runs on the stack. */
  cancelStaleLock(accountId: string): Promise<void>;
  /**
   * After a crash: makes the stack usable (lock, checkpoint, pending creates resolved against the
   * account) and says what it did. Engines without it only get cancelStaleLock.
   */
  recover?(accountId: string): Promise<RecoveryReport>;
  /** Accounts whose engine run a kill cut short (recovered at start even without an operation). */
  unfinishedAccounts?(): Promise<string[]>;
  /** Kills every process the engine started (service shutdown). */
  close?(): Promise<void>;
  /** The CLI version in use, for /readyz. */
  cliVersion(): Promise<string>;
}
