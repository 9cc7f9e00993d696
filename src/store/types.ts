// The persistence boundary. The service and the queue depend on `Store` only; SqlStore implements it
// over SQL that runs unchanged on SQLite (node:sqlite, the default) and PostgreSQL.
import type { ChangeSummary, OperationKind } from '../engine/types.ts';
import type { AwsRegion, ResolvedTrailRequest } from '../trail-request/schema.ts';

export const ACCOUNT_STATUSES = [
  'pending',
  'applying',
  'applied',
  'failed',
  'decommissioning',
  'decommissioned',
] as const;
/** pending: desired spec not applied yet; the others follow the last apply/destroy operation. */
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const DRIFT_SEVERITIES = ['unknown', 'none', 'minor', 'major'] as const;
/** From the last drift check (refresh-preview): none, minor (in-place updates), major (deletes/replacements/creates). */
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

export const OPERATION_STATES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];
export const FINAL_OPERATION_STATES: readonly OperationState[] = [
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

export interface AccountRecord {
  accountId: string;
  spec: ResolvedTrailRequest;
  /** Bumped on every change of the spec; the ETag is derived from it. */
  specVersion: number;
  status: AccountStatus;
  appliedVersion: number | null;
  outputs: Record<string, unknown> | null;
  lastOperationId: string | null;
  driftSeverity: DriftSeverity;
  driftCheckedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A trail of the account that this service does not manage; counts toward the 5-per-region limit. */
export interface ExternalTrail {
  name: string;
  /** 'all' for a multi-region trail (counts in every region). */
  regions: 'all' | AwsRegion[];
}

export interface OperationError {
  code: string;
  message: string;
  /** What the engine itself said (diagnostics or CLI stderr), when it differs from message. */
  engineMessage?: string;
}

export interface OperationOptions {
  /** destroy only: keep log bucket and key (default true). */
  retainData?: boolean;
}

export interface OperationRecord {
  id: string;
  /** Global enqueue order; the queue starts operations in this order. */
  seq: number;
  accountId: string;
  kind: OperationKind;
  state: OperationState;
  spec: ResolvedTrailRequest;
  specVersion: number;
  options: OperationOptions;
  retryOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  changeSummary: ChangeSummary | null;
  outputs: Record<string, unknown> | null;
  error: OperationError | null;
  cancelRequested: boolean;
}

export interface NewOperation {
  id: string;
  accountId: string;
  kind: OperationKind;
  spec: ResolvedTrailRequest;
  specVersion: number;
  options: OperationOptions;
  retryOf: string | null;
  createdAt: string;
}

export interface OperationEventRecord {
  operationId: string;
  seq: number;
  createdAt: string;
  event: unknown;
}

export type SaveSpecOutcome = 'created' | 'updated' | 'unchanged' | 'stale';

export interface AccountListQuery {
  limit: number;
  /** Return accounts whose id sorts after this one (keyset pagination). */
  afterAccountId?: string;
  status?: AccountStatus;
  driftSeverity?: DriftSeverity;
  accountIdPrefix?: string;
}

export type AccountPatch = Partial<
  Pick<
    AccountRecord,
    'status' | 'appliedVersion' | 'outputs' | 'lastOperationId' | 'driftSeverity' | 'driftCheckedAt'
  >
>;

export type OperationPatch = Partial<
  Pick<
    OperationRecord,
    'state' | 'startedAt' | 'finishedAt' | 'changeSummary' | 'outputs' | 'error' | 'cancelRequested'
  >
>;

export interface Store {
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  /**
   * Stores the desired spec in one transaction: bumps the version only when the spec changed.
   * With ifVersion set, nothing is written unless the stored version equals it ('stale').
   */
  saveSpec(
    accountId: string,
    spec: ResolvedTrailRequest,
    opts: { ifVersion?: number | undefined; now: string },
  ): Promise<{ outcome: SaveSpecOutcome; account: AccountRecord | undefined }>;
  listAccounts(query: AccountListQuery): Promise<AccountRecord[]>;
  updateAccount(accountId: string, patch: AccountPatch, now: string): Promise<void>;

  getExternalTrails(accountId: string): Promise<ExternalTrail[]>;
  replaceExternalTrails(accountId: string, trails: ExternalTrail[]): Promise<void>;

  /**
   * Inserts a queued operation and records it as the account's last operation, in one transaction.
   * With requireIdle, inserts nothing and returns undefined when the account has a queued or running one.
   */
  insertOperation(op: NewOperation, opts?: { requireIdle?: boolean }): Promise<OperationRecord | undefined>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** Operations of the account in the given states, oldest first. */
  listAccountOperations(accountId: string, states: readonly OperationState[]): Promise<OperationRecord[]>;
  listOperationsInState(state: OperationState): Promise<OperationRecord[]>;
  /**
   * Marks up to `limit` queued operations as running and returns them: the oldest queued operation of
   * each account that has none running. The conditional update makes a claim safe against other claimers.
   */
  claimRunnable(limit: number, now: string): Promise<OperationRecord[]>;
  /** Updates the operation (and the account, in the same transaction) only if it is in `ifState`. */
  updateOperation(
    id: string,
    patch: OperationPatch,
    opts?: { ifState?: OperationState; account?: { accountId: string; patch: AccountPatch; now: string } },
  ): Promise<boolean>;

  appendOperationEvents(events: OperationEventRecord[]): Promise<void>;
  listOperationEvents(operationId: string, afterSeq: number): Promise<OperationEventRecord[]>;
}
