// Approvals: the operations waiting for an approver that the signed-in principal may approve (the
// API filters them: role, account scope, not their own), each with its requester, the spec diff
// against the last applied spec, why it waits and the preview; approve or reject with a reason.
import { ApiError, api, describeError } from './api.js';
import { announce, formatTime, h, nextId, pageTitle, showValue, tableHead } from './dom.js';
import { CHANGE_KINDS } from './events.js';

/** @typedef {import('./types.d.ts').Approval} Approval */
/** @typedef {import('./types.d.ts').Operation} Operation */

const LABELS = { create: 'to create', update: 'to update', replace: 'to replace', delete: 'to delete' };

/** @param {HTMLElement} main */
export async function renderApprovalsPage(main) {
  pageTitle(main, 'Approvals');
  main.append(
    h(
      'p',
      {},
      'Applies and decommissions that wait for a second pair of eyes. You see those you may approve: ' +
        'on your accounts, requested by someone else.',
    ),
  );
  const status = h('p', { role: 'status', class: 'progress' }, 'Loading…');
  main.append(status);
  /** @type {Approval[]} */
  let items;
  try {
    ({ items } = /** @type {import('./types.d.ts').Answer<'listApprovals'>} */ (
      (await api('/v1/approvals')).data
    ));
  } catch (err) {
    status.textContent = '';
    main.append(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        err instanceof ApiError && err.status === 403
          ? 'Approving needs the approver role.'
          : describeError(err),
      ),
    );
    return;
  }
  status.textContent = items.length
    ? `${items.length} ${items.length === 1 ? 'operation waits' : 'operations wait'} for your approval`
    : 'Nothing waits for your approval.';
  for (const item of items) main.append(renderApproval(item));
}

/** @param {Approval} item */
function renderApproval(item) {
  const op = item.operation;
  const titleId = nextId('approval-title');
  const what = op.kind === 'destroy' ? 'Decommission' : 'Apply';
  const article = h(
    'article',
    { class: 'approval', 'data-operation': op.id, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, `${what} to account ${op.accountId} (version ${op.specVersion})`),
    h(
      'p',
      { class: 'requester' },
      'Requested by ',
      h('strong', {}, item.requestedByName ?? item.requestedBy ?? 'the service'),
      item.requestedByName && item.requestedBy ? ` (${item.requestedBy})` : '',
      ` ${formatTime(op.createdAt)}. `,
      h('a', { href: `/operations/${encodeURIComponent(op.id)}` }, 'Operation'),
    ),
    item.reasons.length
      ? h('p', { class: 'reasons' }, `Needs approval because it changes: ${item.reasons.join(', ')}.`)
      : null,
  );
  if (op.kind === 'apply') {
    article.append(
      h('h3', {}, 'Changes to the spec'),
      item.diff.length
        ? h(
            'table',
            { class: 'approval-diff' },
            h('caption', {}, `Against the applied version ${item.appliedVersion ?? '(none yet)'}`),
            tableHead(['Field', 'Applied', 'Requested']),
            h(
              'tbody',
              {},
              item.diff.map((d) =>
                h(
                  'tr',
                  { 'data-path': d.path },
                  h('th', { scope: 'row' }, h('code', {}, d.path)),
                  h('td', { class: 'before' }, h('code', {}, showValue(d.before))),
                  h('td', { class: 'after' }, h('code', {}, showValue(d.after))),
                ),
              ),
            ),
          )
        : h('p', {}, 'The spec is the applied one.'),
    );
  }
  article.append(h('h3', {}, 'Preview'), renderPreview(item, op));

  const reasonId = nextId('reason');
  const reason = h('textarea', { id: reasonId, rows: '2', maxlength: '1000', class: 'decision-reason' });
  const error = h('p', { class: 'error-message', role: 'alert', hidden: true });
  const approve = h('button', { type: 'button', class: 'primary approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'secondary reject' }, 'Reject');
  const decide = async (/** @type {'approve' | 'reject'} */ decision) => {
    const text = reason.value.trim();
    if (decision === 'reject' && !text) {
      error.textContent = 'Say why you reject it: the requester sees your reason.';
      error.hidden = false;
      reason.focus();
      return;
    }
    approve.disabled = true;
    reject.disabled = true;
    try {
      const { data } = await api(`/v1/operations/${encodeURIComponent(op.id)}/${decision}`, {
        method: 'POST',
        ...(text ? { body: { reason: text } } : {}),
      });
      announce(decision === 'approve' ? 'Approved: the operation runs now' : 'Rejected');
      location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
    } catch (err) {
      approve.disabled = false;
      reject.disabled = false;
      error.textContent = describeError(err);
      error.hidden = false;
    }
  };
  approve.addEventListener('click', () => decide('approve'));
  reject.addEventListener('click', () => decide('reject'));
  article.append(
    h(
      'div',
      { class: 'decision' },
      h('label', { for: reasonId }, 'Reason (recorded with your decision; required to reject)'),
      reason,
      error,
      h('div', { class: 'form-actions' }, approve, reject),
    ),
  );
  return article;
}

/**
 * @param {Approval} item
 * @param {Operation} op
 */
function renderPreview(item, op) {
  const preview = item.preview;
  if (!preview) {
    return h(
      'p',
      { class: 'notice' },
      'No preview of this spec has run. Open the account and preview it before approving.',
    );
  }
  const summary = preview.changeSummary ?? {};
  return h(
    'div',
    { class: 'approval-preview' },
    h(
      'ul',
      { class: 'change-counts', 'aria-label': 'What the preview planned' },
      CHANGE_KINDS.map((k) => h('li', { class: `count count-${k}` }, `${summary[k] ?? 0} ${LABELS[k]}`)),
    ),
    h(
      'p',
      {},
      `Preview ${preview.state} ${formatTime(preview.finishedAt ?? preview.createdAt)}`,
      preview.id === op.previewId ? ' (the one the requester confirmed). ' : '. ',
      h('a', { href: `/operations/${encodeURIComponent(preview.id)}` }, 'Its details'),
    ),
  );
}
