// Who asked for an operation and who approved or rejected it, with the reason: facts for the
// operation page (as dt/dd pairs), from the operation resource.
import { h } from './dom.js';

/**
 * @param {import('./types.d.ts').Operation} op
 * @returns {HTMLElement[]}
 */
export function decisionFacts(op) {
  const out = [];
  if (op.requestedBy || op.requestedByName) {
    out.push(
      h('dt', {}, 'Requested by'),
      h('dd', { id: 'requested-by' }, op.requestedByName ?? op.requestedBy),
    );
  }
  if (op.approvedBy) {
    const rejected = op.error?.code === 'approval_rejected';
    out.push(
      h('dt', {}, rejected ? 'Rejected by' : 'Approved by'),
      h('dd', { id: 'decided-by' }, op.decidedByName ?? op.approvedBy),
    );
    if (op.decisionReason)
      out.push(h('dt', {}, 'Reason'), h('dd', { id: 'decision-reason' }, op.decisionReason));
  }
  if (op.state === 'pending-approval') {
    out.push(h('dt', {}, 'Approval'), h('dd', {}, h('a', { href: '/approvals' }, 'Waits for an approver')));
  }
  return out;
}
