// The account list: status, drift severity and last operation of every account with a request.

import { KIND_WORDS } from './account.js';
import { api, describeError } from './api.js';
import { badge, formatTime, h, pageTitle } from './dom.js';

export async function renderAccountsPage(main) {
  pageTitle(main, 'Accounts').focus();
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'accounts', id: 'accounts-table' },
    h('caption', {}, 'Accounts with a trail request'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Account', 'Status', 'Drift', 'Last operation', 'Updated'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    tbody,
  );
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more accounts');
  const status = h('p', { role: 'status', class: 'progress' }, 'Loading accounts…');
  main.append(
    h(
      'p',
      { class: 'lead' },
      'Drift comes from the last drift check of each account. ',
      h('a', { href: '/' }, 'Request a trail'),
      ' for an account not listed here.',
    ),
    status,
    h('div', { class: 'table-wrap' }, table),
    more,
  );

  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (cursor) q.set('cursor', cursor);
      const { data } = await api(`/v1/accounts?${q}`);
      for (const a of data.items) tbody.append(row(a));
      cursor = data.nextCursor;
      more.hidden = !cursor;
      status.textContent = tbody.children.length
        ? `${tbody.children.length} accounts`
        : 'No account has a trail request yet.';
    } catch (err) {
      status.textContent = '';
      status.after(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}

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
