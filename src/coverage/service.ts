// The coverage of an account's stored spec, with the alarm topic's subscriptions as the account's
// latest read of them: the drift check (refresh) or the apply (which refreshes first), whichever
// is newer.
import { type CoverageReport, coverageReport, type SubscriptionState } from '../../stacks/public.ts';
import type { AccountRecord, AccountStore } from '../accounts/store/account-store.ts';
import type { DriftReportStore } from '../drift/store.ts';
import { NotFoundError } from '../errors.ts';
import type { OperationStore } from '../operations/store.ts';

export interface AccountCoverage extends CoverageReport {
  accountId: string;
  specVersion: number;
  /** Where delivery.subscriptions come from; null when the account was never applied. */
  deliveryReadFrom: { source: 'drift-check' | 'apply'; at: string | null } | null;
}

function subscriptionsFromOutputs(outputs: Record<string, unknown> | null): SubscriptionState[] | undefined {
  const subs = outputs?.alarmSubscriptions;
  if (!Array.isArray(subs)) return undefined;
  return subs.flatMap((s) => {
    if (typeof s !== 'object' || s === null) return [];
    const { protocol, endpoint, pendingConfirmation, region } = s as Record<string, unknown>;
    return [
      {
        protocol: typeof protocol === 'string' ? protocol : 'unknown',
        ...(typeof endpoint === 'string' ? { endpoint } : {}),
        pendingConfirmation: pendingConfirmation !== false,
        ...(typeof region === 'string' ? { region } : {}),
      },
    ];
  });
}

export class CoverageService {
  readonly #stores: { accounts: AccountStore; operations: OperationStore; drift: DriftReportStore };
  constructor(stores: { accounts: AccountStore; operations: OperationStore; drift: DriftReportStore }) {
    this.#stores = stores;
  }

  async forAccount(accountId: string): Promise<AccountCoverage> {
    const account = await this.#stores.accounts.getAccount(accountId);
    if (!account) throw new NotFoundError('trail_request', `Account ${accountId} has no trail request`);
    const { subscriptions, readFrom } = await this.#subscriptions(account);
    return {
      accountId,
      specVersion: account.specVersion,
      deliveryReadFrom: readFrom,
      ...coverageReport(account.spec, { subscriptions }),
    };
  }

  async #subscriptions(account: AccountRecord): Promise<{
    subscriptions: SubscriptionState[] | undefined;
    readFrom: AccountCoverage['deliveryReadFrom'];
  }> {
    // Nothing deployed (never applied, or decommissioned): nothing was read.
    if (account.appliedVersion === null || account.status === 'decommissioned')
      return { subscriptions: undefined, readFrom: null };
    const fromApply = subscriptionsFromOutputs(account.outputs);
    const [latest] = await this.#stores.drift.listDriftReports(account.accountId, { limit: 1 });
    const delivery = latest?.report.alarmDelivery;
    const last = account.lastOperationId
      ? await this.#stores.operations.getOperation(account.lastOperationId)
      : undefined;
    const applyAt = last?.kind === 'apply' && last.state === 'succeeded' ? last.finishedAt : null;
    const reportIsNewer = latest && (!applyAt || latest.checkedAt >= applyAt);
    if (delivery && (reportIsNewer || fromApply === undefined)) {
      return {
        subscriptions: delivery.subscriptions.map(({ protocol, endpoint, pendingConfirmation, region }) => ({
          protocol,
          ...(endpoint === undefined ? {} : { endpoint }),
          pendingConfirmation,
          ...(region === undefined ? {} : { region }),
        })),
        readFrom: { source: 'drift-check', at: latest.checkedAt },
      };
    }
    if (fromApply !== undefined)
      return { subscriptions: fromApply, readFrom: { source: 'apply', at: applyAt } };
    return { subscriptions: undefined, readFrom: null };
  }
}
