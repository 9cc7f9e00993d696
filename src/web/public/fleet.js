// The fleet's drift (GET /v1/drift): accounts by worst severity, filtered by severity, account
// status and scope (id prefix or group:<name>), a page at a time; the severities explained.
import { describeError } from './api.js';
import { badge, formatTime, h, nextId, pageTitle } from './dom.js';
import { SEVERITY_MEANINGS, severityLegend } from './drift.js';
import { pagedTable } from './paged-table.js';

/** @typedef {import('./types.d.ts').FleetDrift} FleetDrift */
/** @typedef {import('./types.d.ts').FleetAccount} FleetAccount */

/** @type {readonly (keyof FleetDrift['counts'])[]} */
const SEVERITIES = ['critical', 'high', 'low', 'unknown', 'none'];
const STATUSES = ['pending', 'applying', 'applied', 'failed', 'decommissioning'];

/**
 * A labelled select of the values, with 'Any' first.
 * @param {string} label
 * @param {string} name
 * @param {readonly string[]} values
 * @param {string | null} selected
 */
function select(label, name, values, selected) {
  const id = nextId(name);
  const el = h(
    'select',
    { id, name },
    h('option', { value: '' }, 'Any'),
    values.map((v) => h('option', { value: v, selected: v === selected }, v)),
  );
  return { el, row: h('div', { class: 'filter' }, h('label', { for: id }, label), el) };
}

/** @param {HTMLElement} main */
export async function renderFleetPage(main) {
  pageTitle(main, 'Fleet drift').focus();
  const params = new URLSearchParams(location.search);
  const sev = select('Severity', 'severity', SEVERITIES, params.get('severity'));
  const status = select('Account status', 'status', STATUSES, params.get('status'));
  const scopeId = nextId('scope');
  const scope = h('input', {
    id: scopeId,
    name: 'scope',
    type: 'text',
    value: params.get('scope') ?? '',
    'aria-describedby': `${scopeId}-hint`,
    autocomplete: 'off',
    class: 'input-account',
  });
  const form = h(
    'form',
    { class: 'filters', id: 'fleet-filters', role: 'search', 'aria-label': 'Filter accounts' },
    sev.row,
    status.row,
    h(
      'div',
      { class: 'filter' },
      h('label', { for: scopeId }, 'Scope'),
      scope,
      h('p', { class: 'hint', id: `${scopeId}-hint` }, 'Account id prefix, or group:<name>'),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (sev.el.value) q.set('severity', sev.el.value);
    if (status.el.value) q.set('status', status.el.value);
    if (scope.value.trim()) q.set('scope', scope.value.trim());
    location.assign(`/drift${q.size ? `?${q}` : ''}`);
  });
  const counts = h('ul', {
    class: 'change-counts',
    id: 'fleet-counts',
    'aria-label': 'Accounts by severity',
  });
  const note = h('p', { role: 'status', class: 'progress' }, 'Loading…');
  const fleet = pagedTable({
    id: 'fleet-table',
    className: 'accounts',
    caption: 'Accounts by worst drift severity',
    captionHidden: true,
    columns: ['Account', 'Drift', 'Findings', 'Checked', 'Status'],
    moreLabel: 'Show more accounts',
    path: '/v1/drift',
    limit: 25,
    filters: { severity: params.get('severity'), status: params.get('status'), scope: params.get('scope') },
    items: (/** @type {FleetDrift} */ data) => data.accounts,
    row: accountRow,
    afterPage: (data, { first, tbody }) => {
      if (first) counts.replaceChildren(...SEVERITIES.map((s) => severityCount(s, data.counts[s] ?? 0)));
      note.textContent = tbody.children.length
        ? `${tbody.children.length} accounts shown`
        : 'No account matches these filters.';
    },
    onError: (err) => {
      note.textContent = '';
      note.after(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
    },
  });
  main.append(
    h(
      'p',
      { class: 'lead' },
      'Each account’s latest drift check, worst first. A drift check compares what was applied with what is in the account now.',
    ),
    form,
    severityLegend(),
    counts,
    note,
    fleet.table,
    fleet.more,
  );
  await fleet.load();
}

/**
 * @param {string} severity
 * @param {number} count
 */
function severityCount(severity, count) {
  return h(
    'li',
    { class: `count count-${severity}`, title: SEVERITY_MEANINGS[severity] },
    h('span', { class: 'count-number' }, String(count)),
    ' ',
    badge(severity),
  );
}

/** @param {FleetAccount} a */
function accountRow(a) {
  const c = a.counts;
  return h(
    'tr',
    { 'data-account': a.accountId, 'data-severity': a.severity },
    h('th', { scope: 'row' }, h('a', { href: `/accounts/${encodeURIComponent(a.accountId)}` }, a.accountId)),
    h('td', {}, badge(a.severity)),
    h(
      'td',
      {},
      c
        ? /** @type {const} */ (['critical', 'high', 'low'])
            .filter((k) => c[k])
            .map((k) => `${c[k]} ${k}`)
            .join(', ') || 'none'
        : '—',
    ),
    h('td', {}, formatTime(a.checkedAt)),
    h('td', {}, badge(a.status)),
  );
}
