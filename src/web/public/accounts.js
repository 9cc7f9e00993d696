// The account list: status, drift severity and last operation of every account with a request.

import { KIND_WORDS } from './account.js';
import { describeError } from './api.js';
import { badge, formatTime, h, pageTitle } from './dom.js';
import { pagedTable } from './paged-table.js';

/** @param {HTMLElement} main */
export async function renderAccountsPage(main) {
  pageTitle(main, 'Accounts').focus();
  const status = h('p', { role: 'status', class: 'progress' }, 'Loading accounts…');
  const accounts = pagedTable({
    id: 'accounts-table',
    className: 'accounts',
    caption: 'Accounts with a trail request',
    columns: ['Account', 'Status', 'Drift', 'Last operation', 'Updated'],
    moreLabel: 'Show more accounts',
    path: '/v1/accounts',
    limit: 50,
    row,
    afterPage: (_data, { tbody }) => {
      status.textContent = tbody.children.length
        ? `${tbody.children.length} accounts`
        : 'No account has a trail request yet.';
    },
    onError: (err) => {
      status.textContent = '';
      status.after(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
    },
  });
  main.append(
    h(
      'p',
      { class: 'lead' },
      'Drift comes from the last drift check of each account. ',
      h('a', { href: '/' }, 'Request a trail'),
      ' for an account not listed here.',
    ),
    status,
    accounts.table,
    accounts.more,
  );
  await accounts.load();
}

/** @param {import('./types.d.ts').AccountSummary} a */
function row(a) {
  const op = a.lastOperation;
  return h(
    'tr',
    { 'data-account': a.accountId },
    h('th', { scope: 'row' }, h('a', { href: `/accounts/${encodeURIComponent(a.accountId)}` }, a.accountId)),
    h('td', {}, badge(a.status), a.upToDate ? '' : h('span', { class: 'hint' }, ' (not applied yet)')),
    h(
      'td',
      {},
      badge(a.drift.severity),
      a.drift.checkedAt ? h('span', { class: 'hint' }, ` ${formatTime(a.drift.checkedAt)}`) : '',
    ),
    h(
      'td',
      {},
      op
        ? [
            h('a', { href: `/operations/${encodeURIComponent(op.id)}` }, KIND_WORDS[op.kind] ?? op.kind),
            ' ',
            badge(op.state),
          ]
        : '—',
    ),
    h('td', {}, formatTime(a.updatedAt)),
  );
}
