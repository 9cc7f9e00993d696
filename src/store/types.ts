// The persistence boundary. The service and the queue depend on `Store` only; SqlStore implements it
// over SQL that runs unchanged on SQLite (node:sqlite, the default) and PostgreSQL.

import type { DriftReport } from '../drift/schemas.ts';
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

export const DRIFT_SEVERITIES = ['unknown', 'none', 'low', 'high', 'critical'] as const;
/**
 * From the account's latest drift report: none (clean), else the report's highest severity (low, high,
 * critical); unknown when never checked or when the check could not read every resource.
 */
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

export const REMEDIATION_POLICIES = ['report', 'remediate', 'remediate-critical'] as const;
/** What a reconciliation does when it finds drift: report only, apply the desired spec, or apply only for critical drift. */
export type RemediationPolicy = (typeof REMEDIATION_POLICIES)[number];

export const OPERATION_STATES = [
  'pending-approval',
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
  remediationPolicy: RemediationPolicy;
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
  /** apply: the preview it was confirmed from (its plan is what the apply must do). */
  previewId?: string;
  /** apply: the recorded stack state its preview saw; the engine refuses to apply over another. */
  expectStateEtag?: string;
  /** preview: the recorded stack state it was computed against (set when it succeeds). */
  stateEtag?: string;
  /** preview: started from a drift report's "converge" (a preview of the last applied spec). */
  convergeOf?: string;
  /** apply: remediation by the reconciler (of the last applied spec). */
  remediation?: boolean;
  /** Display name of the requester at the time (the id is requestedBy). */
  requestedByName?: string;
  /** Display name of whoever approved or rejected it, and their reason. */
  decidedByName?: string;
  decisionReason?: string;
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
  /** Principal id of whoever asked for it; null for the service itself (reconciliations, older rows). */
  requestedBy: string | null;
  /** For a service token requester: the principal that created the token (four-eyes checks). */
  requestedByOwner: string | null;
  /** Principal id of whoever approved (or rejected) it, when it waited in pending-approval. */
  approvedBy: string | null;
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
  /** 'pending-approval': waits for POST /v1/operations/{id}/approve. Default 'queued'. */
  state?: 'queued' | 'pending-approval';
  requestedBy?: string | null;
  requestedByOwner?: string | null;
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
    | 'status'
    | 'appliedVersion'
    | 'outputs'
    | 'lastOperationId'
    | 'driftSeverity'
    | 'driftCheckedAt'
    | 'remediationPolicy'
  >
>;

export type OperationPatch = Partial<
  Pick<
    OperationRecord,
    | 'state'
    | 'startedAt'
    | 'finishedAt'
    | 'changeSummary'
    | 'outputs'
    | 'error'
    | 'cancelRequested'
    | 'approvedBy'
    | 'options'
  >
>;

/** A stored drift report (the DriftReport document of src/drift/report.ts, kept as JSON). */
export interface DriftReportRecord {
  id: string;
  /** Global insertion order; newest first in listings. */
  seq: number;
  accountId: string;
  operationId: string | null;
  checkedAt: string;
  report: DriftReport;
}

export const RECONCILIATION_STATES = ['running', 'succeeded', 'interrupted'] as const;
export type ReconciliationState = (typeof RECONCILIATION_STATES)[number];

export const RECONCILIATION_OUTCOMES = [
  'pending',
  'clean',
  'drifted',
  'remediated',
  'failed',
  'skipped',
] as const;
export type ReconciliationOutcomeKind = (typeof RECONCILIATION_OUTCOMES)[number];

export interface ReconciliationAccountOutcome {
  accountId: string;
  outcome: ReconciliationOutcomeKind;
  /** Severity of the drift found (drifted, remediated, or failed after drift was found). */
  severity: 'low' | 'high' | 'critical' | null;
  /** Stable keys of the drift found ("<urn>#<path>"), to tell new drift from drift already reported. */
  findings: string[];
  driftReportId: string | null;
  operationIds: string[];
  error: OperationError | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * The stored spec is not the applied one (a change waiting for approval or for an apply): remediation
   * restored the applied version, not this one.
   */
  pendingSpec?: { specVersion: number; appliedVersion: number | null; waitingOperationIds: string[] };
}

export interface ReconciliationTotals {
  accounts: number;
  clean: number;
  drifted: number;
  remediated: number;
  failed: number;
  skipped: number;
}

export interface ReconciliationNotification {
  url: string;
  delivered: boolean;
  attempts: number;
  status: number | null;
  error?: string;
}

export interface ReconciliationRecord {
  id: string;
  seq: number;
  trigger: 'schedule' | 'api';
  state: ReconciliationState;
  /** Process that ran it (lease holder). */
  holder: string;
  startedAt: string;
  finishedAt: string | null;
  totals: ReconciliationTotals;
  accounts: ReconciliationAccountOutcome[];
  notifications: ReconciliationNotification[];
  error: OperationError | null;
}

export type ReconciliationPatch = Partial<
  Pick<ReconciliationRecord, 'state' | 'finishedAt' | 'totals' | 'accounts' | 'notifications' | 'error'>
>;

export interface Lease {
  name: string;
  holder: string;
  runId: string | null;
  expiresAt: string;
}

export interface Store {
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  /**
   * Stores the desired spec in one transaction: bumps the version only when the spec changed.
   * With ifVersion set, nothing is written unless the stored version equals it ('stale'); ifVersion 0
   * means the account must have no trail request yet.
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

  insertDriftReport(rec: Omit<DriftReportRecord, 'seq'>): Promise<DriftReportRecord>;
  getDriftReportByOperation(operationId: string): Promise<DriftReportRecord | undefined>;
  /** The account's reports, newest first; beforeSeq for keyset pagination. */
  listDriftReports(accountId: string, q: { limit: number; beforeSeq?: number }): Promise<DriftReportRecord[]>;
  /** The latest report of every account that has one. */
  latestDriftReports(): Promise<DriftReportRecord[]>;

  insertReconciliation(rec: Omit<ReconciliationRecord, 'seq'>): Promise<ReconciliationRecord>;
  getReconciliation(id: string): Promise<ReconciliationRecord | undefined>;
  updateReconciliation(
    id: string,
    patch: ReconciliationPatch,
    opts?: { ifState?: ReconciliationState },
  ): Promise<boolean>;
  /** Newest first; beforeSeq for keyset pagination; state filters. */
  listReconciliations(q: {
    limit: number;
    beforeSeq?: number;
    state?: ReconciliationState;
  }): Promise<ReconciliationRecord[]>;

  /**
   * Takes the named lease for holder until expiresAt when it is free or expired (or already held by
   * holder). Atomic against other processes; false when someone else holds it.
   */
  acquireLease(lease: Lease, now: string): Promise<boolean>;
  /** Extends the lease if holder still holds it; false when it was lost. */
  renewLease(name: string, holder: string, expiresAt: string): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
}
