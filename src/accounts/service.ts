// Trail requests of accounts: storing the desired spec, reading the state, listing accounts.
import type { AlarmCatalog } from '../alarm-sets/catalog.ts';
import type { Principal } from '../auth/principal.ts';
import type { Config } from '../config.ts';
import {
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  ValidationFailedError,
} from '../errors.ts';
import { decodeKeyCursor, encodeKeyCursor } from '../openapi/cursor.ts';
import { type OperationView, operationView } from '../operations/schemas.ts';
import type { OperationService } from '../operations/service.ts';
import type { OperationRecord, OperationStore } from '../operations/store.ts';
import { assertIfMatch, etagOf } from '../trail-request/etag.ts';
import { InvalidTrailRequestError, resolveTrailRequest } from '../trail-request/resolve.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { SpecVersionStore } from './spec-versions.ts';
import type {
  AccountRecord,
  AccountStatus,
  AccountStore,
  DriftSeverity,
  ExternalTrail,
  SaveSpecOutcome,
} from './store/account-store.ts';
import { checkTrailRequest } from './validate-trail-request.ts';

export interface TrailState {
  accountId: string;
  spec: ResolvedTrailRequest;
  specVersion: number;
  etag: string;
  status: AccountStatus;
  appliedVersion: number | null;
  upToDate: boolean;
  outputs: Record<string, unknown> | null;
  drift: { severity: DriftSeverity; checkedAt: string | null };
  lastOperation: OperationView | null;
  createdAt: string;
  updatedAt: string;
}

export interface AccountSummary {
  accountId: string;
  status: AccountStatus;
  specVersion: number;
  appliedVersion: number | null;
  upToDate: boolean;
  drift: { severity: DriftSeverity; checkedAt: string | null };
  lastOperation: {
    id: string;
    kind: string;
    state: string;
    createdAt: string;
    finishedAt: string | null;
  } | null;
  updatedAt: string;
}

/** A decommissioned account has no drift to show (rows decommissioned before drift was reset on destroy too). */
function driftOf(account: AccountRecord): { severity: DriftSeverity; checkedAt: string | null } {
  if (account.status === 'decommissioned') return { severity: 'unknown', checkedAt: null };
  return { severity: account.driftSeverity, checkedAt: account.driftCheckedAt };
}

export class AccountService {
  readonly #stores: { accounts: AccountStore; operations: OperationStore };
  readonly #operations: OperationService;
  readonly #config: Config;
  readonly #alarmCatalog: AlarmCatalog;
  readonly #versions: SpecVersionStore | undefined;

  constructor(deps: {
    stores: { accounts: AccountStore; operations: OperationStore };
    operations: OperationService;
    config: Config;
    alarmCatalog: AlarmCatalog;
    /** Keeps every stored version with who stored it (the account's history). */
    versions?: SpecVersionStore | undefined;
  }) {
    this.#versions = deps.versions;
    this.#stores = deps.stores;
    this.#operations = deps.operations;
    this.#config = deps.config;
    this.#alarmCatalog = deps.alarmCatalog;
    // Draft previews are validated exactly as PUT validates.
    deps.operations.resolveDraft = (accountId, body) => this.resolveSpec(accountId, body);
  }

  /** The spec as PUT would store it: defaults applied, every rule checked (400 with the fields otherwise). */
  async resolveSpec(accountId: string, body: unknown): Promise<ResolvedTrailRequest> {
    let spec: ResolvedTrailRequest;
    try {
      spec = resolveTrailRequest(body);
    } catch (err) {
      if (err instanceof InvalidTrailRequestError) throw new ValidationFailedError(err.issues);
      throw err;
    }
    const issues = checkTrailRequest(spec, {
      accountId,
      managementAccountId: this.#config.managementAccountId,
      alarmCatalog: this.#alarmCatalog,
      externalTrails: await this.#stores.accounts.getExternalTrails(accountId),
    });
    if (issues.length > 0) throw new ValidationFailedError(issues);
    return spec;
  }

  /** Validates, applies defaults and stores the desired spec; idempotent (same spec, same version). */
  async putTrailRequest(
    accountId: string,
    body: unknown,
    ifMatch: string | undefined,
    principal?: Principal | null,
  ): Promise<{ outcome: Exclude<SaveSpecOutcome, 'stale'>; state: TrailState }> {
    const spec = await this.resolveSpec(accountId, body);

    let ifVersion: number | undefined;
    const current = await this.#stores.accounts.getAccount(accountId);
    if (ifMatch !== undefined) {
      assertIfMatch(ifMatch, current?.specVersion, `the trail request of ${accountId}`);
      ifVersion = current?.specVersion;
    } else if (current) {
      // Two editors who both loaded version N must not silently overwrite each other: an update names
      // the version it replaces. Creating needs no If-Match (there is nothing to overwrite).
      throw new PreconditionRequiredError(
        `The trail request of ${accountId} exists (ETag ${etagOf(current.specVersion)}); send If-Match with the ETag of the version you are replacing`,
      );
    } else {
      ifVersion = 0; // a create: stale (412) if another create won the race
    }
    const { outcome, account } = await this.#stores.accounts.saveSpec(accountId, spec, {
      ifVersion,
      now: new Date().toISOString(),
    });
    if (outcome === 'stale' || !account) {
      throw new PreconditionFailedError(
        `The trail request of ${accountId} changed meanwhile (now ${account ? etagOf(account.specVersion) : 'gone'}); reload it and try again`,
      );
    }
    if (outcome !== 'unchanged') {
      await this.#versions?.record({
        accountId,
        version: account.specVersion,
        spec: account.spec,
        createdAt: account.updatedAt,
        createdBy: principal?.id ?? null,
        createdByName: principal?.name ?? null,
      });
    }
    return { outcome, state: await this.#stateOf(account) };
  }

  async getTrail(accountId: string): Promise<TrailState> {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account) throw new NotFoundError('trail_request', `Account ${accountId} has no trail request`);
    return this.#stateOf(account);
  }

  async list(
    query: {
      limit?: number | undefined;
      cursor?: string | undefined;
      status?: AccountStatus | undefined;
      drift?: DriftSeverity | undefined;
      prefix?: string | undefined;
    },
    scope: 'all' | ReadonlySet<string> = 'all',
  ): Promise<{ items: AccountSummary[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const filter = {
      ...(query.status ? { status: query.status } : {}),
      ...(query.drift ? { driftSeverity: query.drift } : {}),
      ...(query.prefix ? { accountIdPrefix: query.prefix } : {}),
    };
    let after = query.cursor ? decodeKeyCursor(query.cursor) : undefined;
    let rows: AccountRecord[] = [];
    // A caller scoped to some accounts sees only those: read on until the page is full or the rows end.
    for (;;) {
      const batch = await this.#stores.accounts.listAccounts({
        limit: limit + 1,
        ...(after === undefined ? {} : { afterAccountId: after }),
        ...filter,
      });
      rows.push(...(scope === 'all' ? batch : batch.filter((a) => scope.has(a.accountId))));
      if (scope === 'all' || batch.length <= limit || rows.length > limit) break;
      after = batch.at(-1)!.accountId;
    }
    rows = rows.slice(0, limit + 1);
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((a) => this.#summaryOf(a)));
    const last = page.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeKeyCursor(last.accountId) : null };
  }

  /** 404 (as remediation-policy) for an account the service knows nothing about: no trail request, no trails recorded. */
  async getExternalTrails(accountId: string): Promise<ExternalTrail[]> {
    const trails = await this.#stores.accounts.getExternalTrails(accountId);
    if (trails.length === 0 && !(await this.#stores.accounts.getAccount(accountId))) {
      throw new NotFoundError('account', `Account ${accountId} has no trail request and no external trails`);
    }
    return trails;
  }

  async putExternalTrails(accountId: string, trails: ExternalTrail[]): Promise<ExternalTrail[]> {
    const names = new Set<string>();
    for (const [i, t] of trails.entries()) {
      if (names.has(t.name)) {
        throw new ValidationFailedError([
          { path: `/trails/${i}/name`, message: `duplicate trail name ${t.name}` },
        ]);
      }
      names.add(t.name);
    }
    await this.#stores.accounts.replaceExternalTrails(accountId, trails);
    return this.#stores.accounts.getExternalTrails(accountId);
  }

  async #lastOperation(account: AccountRecord): Promise<OperationRecord | undefined> {
    return account.lastOperationId
      ? this.#stores.operations.getOperation(account.lastOperationId)
      : undefined;
  }

  async #stateOf(account: AccountRecord): Promise<TrailState> {
    const last = await this.#lastOperation(account);
    return {
      accountId: account.accountId,
      spec: account.spec,
      specVersion: account.specVersion,
      etag: etagOf(account.specVersion),
      status: account.status,
      appliedVersion: account.appliedVersion,
      upToDate: account.appliedVersion === account.specVersion,
      outputs: account.outputs,
      drift: driftOf(account),
      lastOperation: last ? operationView(last) : null,
      createdAt: account.createdAt,
      updatedAt: account.updatedAt,
    };
  }

  async #summaryOf(account: AccountRecord): Promise<AccountSummary> {
    const last = await this.#lastOperation(account);
    return {
      accountId: account.accountId,
      status: account.status,
      specVersion: account.specVersion,
      appliedVersion: account.appliedVersion,
      upToDate: account.appliedVersion === account.specVersion,
      drift: driftOf(account),
      lastOperation: last
        ? {
            id: last.id,
            kind: last.kind,
            state: last.state,
            createdAt: last.createdAt,
            finishedAt: last.finishedAt,
          }
        : null,
      updatedAt: account.updatedAt,
    };
  }
}
