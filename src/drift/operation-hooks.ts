// What operations mean for an account's drift: a drift check (refresh preview) that succeeds stores its
// drift report, built from the run's engine events, and the account's drift state follows it; a
// decommission leaves nothing managed, so no report describes the account any more. Plugged into the
// queue at wiring time (app.ts).
import { randomUUID } from 'node:crypto';
import type { DriftSeverity } from '../accounts/store/account-store.ts';
import type { OperationHook } from '../operations/queue.ts';
import { buildDriftReport } from './report.ts';
import type { DriftReport } from './schemas.ts';
import type { DriftReportStore } from './store.ts';

/** The account's drift state from its latest report: none when clean, unknown when resources went unread. */
export function driftSeverityOfReport(report: DriftReport): DriftSeverity {
  if (report.severity) return report.severity;
  return report.clean ? 'none' : 'unknown';
}

/** A drift check that ran but whose report could not be built or stored: the check failed. */
class DriftReportFailed extends Error {
  readonly code = 'drift_report_failed';
  constructor(cause: unknown) {
    super(cause instanceof Error && cause.message ? cause.message : String(cause), { cause });
  }
}

export function driftOperationHooks(stores: { drift: DriftReportStore }): OperationHook[] {
  const driftCheck: OperationHook = {
    kinds: ['refresh-preview'],
    keepEvents: true,
    async finished({ operation: op, state, events, now }) {
      if (state !== 'succeeded') return undefined;
      let report: DriftReport;
      try {
        report = buildDriftReport({ accountId: op.accountId, events, checkedAt: now, operationId: op.id });
        await stores.drift.insertDriftReport({
          id: randomUUID(),
          accountId: op.accountId,
          operationId: op.id,
          checkedAt: report.checkedAt,
          report,
        });
      } catch (err) {
        throw new DriftReportFailed(err);
      }
      return { driftSeverity: driftSeverityOfReport(report), driftCheckedAt: report.checkedAt };
    },
  };
  const decommission: OperationHook = {
    kinds: ['destroy'],
    // Nothing is managed any more: the last drift report no longer describes the account.
    finished: ({ state }) =>
      state === 'succeeded' ? { driftSeverity: 'unknown', driftCheckedAt: null } : undefined,
  };
  return [driftCheck, decommission];
}
