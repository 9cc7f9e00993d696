// What operations do to the account they run on: its status while an apply or a decommission runs,
// and after; the applied version and the stack outputs after an apply. Plugged into the queue at
// wiring time (app.ts), stored in one transaction with the operation's final state.
import type { OperationHook } from '../operations/queue.ts';
import type { AccountStore } from './store/account-store.ts';

export function accountOperationHook(stores: { accounts: AccountStore }): OperationHook {
  return {
    kinds: ['apply', 'destroy'],
    started: (op) => (op.kind === 'apply' ? { status: 'applying' } : { status: 'decommissioning' }),
    async finished({ operation: op, state, result }) {
      if (op.kind === 'apply') {
        if (state !== 'succeeded' || !result) return { status: 'failed' };
        // The stored spec changed while the apply ran: applied, but not the current version.
        const current = (await stores.accounts.getAccount(op.accountId))?.specVersion;
        return {
          status: current === undefined || current === op.specVersion ? 'applied' : 'pending',
          appliedVersion: op.specVersion,
          outputs: result.outputs,
        };
      }
      if (state !== 'succeeded') return { status: 'failed' };
      return { status: 'decommissioned', outputs: null, appliedVersion: null };
    },
  };
}
