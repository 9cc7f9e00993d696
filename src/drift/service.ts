// Reading stored drift reports: an account's history and the fleet view (latest report per account).

import {
  type AccountStatus,
  type AccountStore,
  type DriftSeverity,
  REMEDIATION_POLICIES,
  type RemediationPolicy,
} from '../accounts/store/account-store.ts';
import { NotFoundError, ValidationFailedError } from '../errors.ts';
import { decodeSeqCursor, encodeSeqCursor } from '../openapi/cursor.ts';
import type { DriftReport } from './schemas.ts';
import type { DriftReportRecord, DriftReportStore } from './store.ts';

export type StoredDriftReportView = DriftReport & { id: string; links?: { operation: string } };

/** The stored report, with the drift check that produced it (operationId and a link to it). */
export function driftReportView(rec: DriftReportRecord): StoredDriftReportView {
  const operationId = rec.report.operationId ?? rec.operationId ?? undefined;
  return {
    id: rec.id,
    ...rec.report,
    ...(operationId ? { operationId, links: { operation: `/v1/operations/${operationId}` } } : {}),
  };
}

export interface FleetAccountDrift {
  accountId: string;
  severity: DriftSeverity;
  checkedAt: string | null;
  clean: boolean | null;
  counts: { critical: number; high: number; low: number } | null;
  reportId: string | null;
  remediationPolicy: RemediationPolicy;
  /** The account's status (applied, failed, …), for the fleet page's filter. */
  status: AccountStatus;
}

export class DriftService {
  readonly #stores: { accounts: AccountStore; drift: DriftReportStore };
  constructor(stores: { accounts: AccountStore; drift: DriftReportStore }) {
    this.#stores = stores;
  }

  /** Whether the report is one of the account's (its latest hundred, the ones a converge may start from). */
  async hasReport(accountId: string, reportId: string): Promise<boolean> {
    const reports = await this.#stores.drift.listDriftReports(accountId, { limit: 100 });
    return reports.some((r) => r.id === reportId);
  }

  async #requireAccount(accountId: string) {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account) throw new NotFoundError('trail_request', `Account ${accountId} has no trail request`);
    return account;
  }

  async history(
    accountId: string,
    q: { limit?: number | undefined; cursor?: string | undefined; operationId?: string | undefined },
  ): Promise<{ items: StoredDriftReportView[]; nextCursor: string | null }> {
    await this.#requireAccount(accountId);
    // The report of one drift check (the operation's links.driftReport): a page of one, or none.
    if (q.operationId !== undefined) {
      const rec = await this.#stores.drift.getDriftReportByOperation(q.operationId);
      return { items: rec && rec.accountId === accountId ? [driftReportView(rec)] : [], nextCursor: null };
    }
    const limit = q.limit ?? 20;
    const rows = await this.#stores.drift.listDriftReports(accountId, {
      limit: limit + 1,
      ...(q.cursor ? { beforeSeq: decodeSeqCursor(q.cursor) } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(driftReportView),
      nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null,
    };
  }

  /** Latest report of every managed (not decommissioned) account; unchecked accounts count as unknown. */
  async fleet(): Promise<{
    counts: Record<DriftSeverity, number>;
    accounts: FleetAccountDrift[];
  }> {
    const latest = new Map((await this.#stores.drift.latestDriftReports()).map((r) => [r.accountId, r]));
    const counts: Record<DriftSeverity, number> = { critical: 0, high: 0, low: 0, none: 0, unknown: 0 };
    const accounts: FleetAccountDrift[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.#stores.accounts.listAccounts({
        limit: 500,
        ...(after ? { afterAccountId: after } : {}),
      });
      for (const a of page) {
        if (a.status === 'decommissioned') continue;
        const rec = latest.get(a.accountId);
        const severity: DriftSeverity = rec
          ? (rec.report.severity ?? (rec.report.clean ? 'none' : 'unknown'))
          : 'unknown';
        counts[severity]++;
        accounts.push({
          accountId: a.accountId,
          severity,
          checkedAt: rec?.checkedAt ?? null,
          clean: rec ? rec.report.clean : null,
          counts: rec ? rec.report.counts : null,
          reportId: rec?.id ?? null,
          remediationPolicy: a.remediationPolicy,
          status: a.status,
        });
      }
      if (page.length < 500) break;
      after = page.at(-1)!.accountId;
    }
    return { counts, accounts };
  }

  async getPolicy(accountId: string): Promise<{ accountId: string; policy: RemediationPolicy }> {
    const account = await this.#requireAccount(accountId);
    return { accountId, policy: account.remediationPolicy };
  }

  async setPolicy(
    accountId: string,
    policy: RemediationPolicy,
  ): Promise<{ accountId: string; policy: RemediationPolicy }> {
    await this.#requireAccount(accountId);
    if (!REMEDIATION_POLICIES.includes(policy)) {
      throw new ValidationFailedError([{ path: '/policy', message: 'is not a remediation policy' }]);
    }
    await this.#stores.accounts.updateAccount(
      accountId,
      { remediationPolicy: policy },
      new Date().toISOString(),
    );
    return { accountId, policy };
  }
}
