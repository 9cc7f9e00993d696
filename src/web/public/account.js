// One account, its story in order: state and drift first (the latest drift check, severities
// explained), then history (operations, versions of the request with a diff between two), the
// outputs with console links, the requested spec, and decommissioning with its retain-data choice.
import { ApiError, api, describeError, member } from './api.js';
import { renderConvergeSection } from './converge.js';
import { showAccountCoverage } from './coverage.js';
import {
  announce,
  badge,
  formatDuration,
  formatTime,
  h,
  nextId,
  pageTitle,
  showValue,
  tableHead,
} from './dom.js';
import { loadDriftReports, renderDriftReport, SEVERITY_MEANINGS, severityLegend } from './drift.js';
import { outputsTable, settings } from './outputs.js';
import { pagedTable } from './paged-table.js';

/** @typedef {import('./types.d.ts').TrailState} TrailState */
/** @typedef {import('./types.d.ts').Operation} Operation */
/** @typedef {import('./types.d.ts').TrailVersion} TrailVersion */

/** @type {Record<string, string>} */
export const KIND_WORDS = {
  preview: 'Preview',
  apply: 'Apply',
  'refresh-preview': 'Drift check',
  refresh: 'Refresh',
  destroy: 'Decommission',
};

/**
 * @param {HTMLElement} main
 * @param {string} accountId
 */
export async function renderAccountPage(main, accountId) {
  const heading = pageTitle(main, `Account ${accountId}`);
  heading.focus();
  /** @type {TrailState} */
  let trail;
  try {
    trail = /** @type {TrailState} */ (
      (await api(`/v1/accounts/${encodeURIComponent(accountId)}/trail`)).data
    );
  } catch (err) {
    main.append(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        err instanceof ApiError && err.status === 404
          ? [
              'This account has no trail request. ',
              h('a', { href: `/?account=${encodeURIComponent(accountId)}` }, 'Request one'),
            ]
          : describeError(err),
      ),
    );
    return;
  }
  const sandbox = (await settings()).mode === 'sandbox';
  const id = encodeURIComponent(accountId);

  const driftCheck = h(
    'button',
    { type: 'button', class: 'secondary', id: 'drift-check-button' },
    'Check for drift now',
  );
  const actionError = h('p', { class: 'error-message', role: 'alert', hidden: true });
  driftCheck.addEventListener('click', async () => {
    driftCheck.disabled = true;
    try {
      const { data } = await api(`/v1/accounts/${id}/drift-checks`, { method: 'POST' });
      location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
    } catch (err) {
      driftCheck.disabled = false;
      actionError.textContent = describeError(err);
      actionError.hidden = false;
    }
  });
  const severity = trail.drift.severity;
  main.append(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '/accounts' }, 'All accounts'),
      ' · ',
      h('a', { href: '/drift' }, 'Fleet drift'),
    ),
    h(
      'dl',
      { class: 'facts', id: 'account-facts' },
      h('dt', {}, 'Status'),
      h('dd', {}, badge(trail.status)),
      h('dt', {}, 'Drift'),
      h(
        'dd',
        { id: 'account-drift' },
        badge(severity),
        ` ${SEVERITY_MEANINGS[severity] ?? ''}`,
        h(
          'span',
          { class: 'hint' },
          trail.drift.checkedAt ? ` (checked ${formatTime(trail.drift.checkedAt)})` : ' (never checked)',
        ),
        staleDriftNote(trail),
      ),
      h('dt', {}, 'Request version'),
      h(
        'dd',
        {},
        String(trail.specVersion),
        trail.upToDate ? ' (applied)' : ` (applied: ${trail.appliedVersion ?? 'none'})`,
      ),
      h('dt', {}, 'Updated'),
      h('dd', {}, formatTime(trail.updatedAt)),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h('a', { class: 'button', href: `/?account=${id}` }, 'Change the request'),
      driftCheck,
    ),
    actionError,
  );

  // --- drift first -------------------------------------------------------------------------
  const driftSection = h(
    'section',
    { id: 'drift', 'aria-labelledby': 'drift-title' },
    h('h2', { id: 'drift-title' }, 'Drift'),
    severityLegend(),
  );
  const driftStatus = h('p', { role: 'status', class: 'progress' }, 'Loading drift reports…');
  driftSection.append(driftStatus);
  // --- then history ------------------------------------------------------------------------
  const history = h(
    'section',
    { id: 'history', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'History'),
  );
  const opsSection = h(
    'section',
    { 'aria-labelledby': 'ops-title' },
    h('h3', { id: 'ops-title' }, 'Operations'),
  );
  const versionsSection = h(
    'section',
    { id: 'versions', 'aria-labelledby': 'versions-title' },
    h('h3', { id: 'versions-title' }, 'Versions of the request'),
  );
  history.append(opsSection, versionsSection);
  // Coverage first: what this account's request lets its alarms see, and whether anyone receives them.
  const coverageSection = h('section', { class: 'coverage', id: 'coverage' });
  void showAccountCoverage(coverageSection, accountId);
  main.append(coverageSection, driftSection, history);

  const outputs = trail.outputs ?? {};
  if (Object.keys(outputs).length) {
    main.append(
      h(
        'section',
        { 'aria-labelledby': 'outputs-title' },
        h('h2', { id: 'outputs-title' }, 'Outputs'),
        outputsTable(outputs, { id: 'account-outputs', sandbox }),
      ),
    );
  }
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'spec-title' },
      h('h2', { id: 'spec-title' }, 'Requested spec'),
      h(
        'details',
        { id: 'spec' },
        h('summary', {}, `Version ${trail.specVersion}, defaults applied`),
        specTable(trail.spec),
      ),
    ),
  );
  if (trail.status !== 'decommissioned') main.append(decommissionSection(accountId));

  await Promise.all([
    (async () => {
      try {
        const reports = await loadDriftReports(accountId, trail);
        driftStatus.textContent = reports.length
          ? `${reports.length} drift ${reports.length === 1 ? 'report' : 'reports'}; the latest first`
          : 'No drift check yet.';
        const [latest, ...older] = reports;
        // The latest report found drift: offer to converge (preview, then apply) right above the reports.
        const converge = renderConvergeSection(accountId, latest);
        if (converge) driftSection.before(converge);
        if (latest) driftSection.append(renderDriftReport(latest, 0));
        if (older.length)
          driftSection.append(
            h(
              'details',
              {},
              h('summary', {}, `${older.length} earlier drift ${older.length === 1 ? 'report' : 'reports'}`),
              older.map((r, i) => renderDriftReport(r, i + 1)),
            ),
          );
      } catch (err) {
        driftStatus.textContent = '';
        driftSection.append(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
      }
    })(),
    renderOperations(opsSection, accountId),
    renderVersions(versionsSection, accountId),
  ]);
}

/**
 * An apply after the last drift check may have corrected it: say so rather than let it stand.
 * @param {TrailState} trail
 */
function staleDriftNote(trail) {
  const op = trail.lastOperation;
  const checked = trail.drift.checkedAt;
  if (!checked || !op || op.kind !== 'apply' || op.state !== 'succeeded') return null;
  if (!op.finishedAt || op.finishedAt <= checked) return null;
  return h(
    'p',
    { class: 'notice', id: 'drift-stale' },
    `An apply finished after this check (${formatTime(op.finishedAt)}); it converges what it manages. Check for drift again to confirm.`,
  );
}

/**
 * @param {HTMLElement} section
 * @param {string} accountId
 */
async function renderOperations(section, accountId) {
  const operations = pagedTable({
    id: 'operations-table',
    className: 'history-table',
    caption: 'Operations of the account, newest first',
    captionHidden: true,
    columns: ['Operation', 'Outcome', 'Version', 'Who', 'When', 'Took'],
    moreLabel: 'Show older operations',
    path: `/v1/accounts/${encodeURIComponent(accountId)}/operations`,
    limit: 10,
    row: operationRow,
    afterPage: (_data, { tbody }) => {
      if (!tbody.children.length) tbody.append(h('tr', {}, h('td', { colspan: '6' }, 'No operation yet.')));
    },
    onError: (err) => section.append(h('p', { class: 'notice error', role: 'alert' }, describeError(err))),
  });
  section.append(operations.table, operations.more);
  await operations.load();
}

/** @param {Operation} op */
function operationRow(op) {
  return h(
    'tr',
    { 'data-operation': op.id, 'data-kind': op.kind },
    h(
      'th',
      { scope: 'row' },
      h('a', { href: `/operations/${encodeURIComponent(op.id)}` }, KIND_WORDS[op.kind] ?? op.kind),
    ),
    h('td', {}, badge(op.state), op.error ? h('span', { class: 'cause' }, ` ${op.error.message}`) : null),
    h('td', {}, String(op.specVersion)),
    h('td', {}, op.requestedBy ?? 'the service', op.approvedBy ? `, approved by ${op.approvedBy}` : ''),
    h('td', {}, formatTime(op.createdAt)),
    h('td', {}, formatDuration(op.durationMs)),
  );
}

/**
 * Leaf paths of a JSON value: [['retention.cloudWatchLogsDays', 90], …].
 * @param {unknown} value
 * @param {string} [prefix]
 * @returns {[string, unknown][]}
 */
function flatten(value, prefix = '') {
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, []]];
    return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return [[prefix, {}]];
    return keys.flatMap((k) => flatten(member(value, k), prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value]];
}

/** @param {TrailState['spec']} spec */
function specTable(spec) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'outputs-table spec-table' },
      h('caption', { class: 'visually-hidden' }, 'Requested spec'),
      tableHead(['Setting', 'Value']),
      h(
        'tbody',
        {},
        flatten(spec).map(([k, v]) =>
          h(
            'tr',
            { 'data-path': k },
            h('th', { scope: 'row' }, h('code', {}, k)),
            h('td', {}, h('code', {}, showValue(v))),
          ),
        ),
      ),
    ),
  );
}

/**
 * What changed from one version to another, setting by setting.
 * @param {unknown} older
 * @param {unknown} newer
 */
export function specDiff(older, newer) {
  const a = new Map(flatten(older));
  const b = new Map(flatten(newer));
  /** @type {{ path: string, old: unknown, new: unknown }[]} */
  const out = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = JSON.stringify(a.get(path));
    const y = JSON.stringify(b.get(path));
    if (x !== y)
      out.push({
        path,
        old: a.has(path) ? a.get(path) : undefined,
        new: b.has(path) ? b.get(path) : undefined,
      });
  }
  return out.sort((p, q) => p.path.localeCompare(q.path));
}

/**
 * @param {HTMLElement} section
 * @param {string} accountId
 */
async function renderVersions(section, accountId) {
  /** @type {TrailVersion[]} */
  let versions;
  try {
    const { data } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/trail/versions?limit=50`);
    versions = /** @type {import('./types.d.ts').Answer<'listTrailRequestVersions'>} */ (data).items;
  } catch (err) {
    section.append(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
    return;
  }
  section.append(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'history-table', id: 'versions-table' },
        h('caption', { class: 'visually-hidden' }, 'Versions of the trail request, newest first'),
        tableHead(['Version', 'Stored by', 'When', '']),
        h(
          'tbody',
          {},
          versions.map((v) =>
            h(
              'tr',
              { 'data-version': String(v.version) },
              h('th', { scope: 'row' }, String(v.version)),
              h('td', {}, v.createdByName ?? v.createdBy ?? 'unknown'),
              h('td', {}, formatTime(v.createdAt)),
              h('td', {}, v.current ? badge('current', 'none') : '', ' ', v.applied ? badge('applied') : ''),
            ),
          ),
        ),
      ),
    ),
  );
  if (versions.length < 2) {
    section.append(h('p', { class: 'hint' }, 'One version so far: nothing to compare.'));
    return;
  }
  const fromId = nextId('from');
  const toId = nextId('to');
  const opts = (/** @type {number} */ selected) =>
    versions.map((v) =>
      h('option', { value: String(v.version), selected: v.version === selected }, `Version ${v.version}`),
    );
  const from = h('select', { id: fromId }, opts(versions[1].version));
  const to = h('select', { id: toId }, opts(versions[0].version));
  const result = h('div', { id: 'version-diff', 'aria-live': 'polite' });
  const show = () => {
    const a = versions.find((v) => String(v.version) === from.value);
    const b = versions.find((v) => String(v.version) === to.value);
    result.replaceChildren();
    const changes = a && b ? specDiff(a.spec, b.spec) : [];
    if (!a || !b || !changes.length) {
      result.append(h('p', {}, 'No difference.'));
      return;
    }
    result.append(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'diff-table' },
          h('caption', {}, `From version ${a.version} to version ${b.version}`),
          tableHead(['Setting', `Version ${a.version}`, `Version ${b.version}`]),
          h(
            'tbody',
            {},
            changes.map((c) =>
              h(
                'tr',
                { 'data-path': c.path },
                h('th', { scope: 'row' }, h('code', {}, c.path)),
                h(
                  'td',
                  { class: 'old' },
                  c.old === undefined ? h('em', {}, '(not set)') : h('code', {}, showValue(c.old)),
                ),
                h(
                  'td',
                  { class: 'new' },
                  c.new === undefined ? h('em', {}, '(not set)') : h('code', {}, showValue(c.new)),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  from.addEventListener('change', show);
  to.addEventListener('change', show);
  section.append(
    h(
      'div',
      { class: 'compare' },
      h('label', { for: fromId }, 'Compare '),
      from,
      h('label', { for: toId }, ' with '),
      to,
    ),
    result,
  );
  show();
}

/** @param {string} accountId */
function decommissionSection(accountId) {
  const keep = h('input', {
    type: 'radio',
    name: 'retainData',
    value: 'true',
    id: 'retain-yes',
    checked: true,
  });
  const drop = h('input', { type: 'radio', name: 'retainData', value: 'false', id: 'retain-no' });
  const button = h(
    'button',
    { type: 'button', class: 'danger', id: 'decommission-button' },
    'Decommission this account',
  );
  const error = h('p', { class: 'error-message', role: 'alert', hidden: true });
  button.addEventListener('click', async () => {
    const retain = keep.checked;
    const words = retain
      ? `Decommission ${accountId}? The trail, alarms and watch are removed; the log bucket and key are kept.`
      : `Decommission ${accountId} and DELETE its log bucket and key? Years of audit logs go with them.`;
    if (!window.confirm(words)) return;
    button.disabled = true;
    try {
      const { data } = await api(
        `/v1/accounts/${encodeURIComponent(accountId)}/trail?retainData=${retain ? 'true' : 'false'}`,
        { method: 'DELETE' },
      );
      announce('Decommission started');
      location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
    } catch (err) {
      button.disabled = false;
      error.textContent = describeError(err);
      error.hidden = false;
    }
  });
  return h(
    'section',
    { id: 'decommission', 'aria-labelledby': 'decommission-title', class: 'card danger-zone' },
    h('h2', { id: 'decommission-title' }, 'Decommission'),
    h('p', {}, 'Stops managing this account: removes the trail, its delivery, alarms and watch.'),
    h(
      'fieldset',
      { class: 'group' },
      h('legend', {}, 'The audit record (log bucket and key)'),
      h(
        'div',
        { class: 'choice' },
        keep,
        h('label', { for: 'retain-yes' }, 'Keep them (recommended): the logs stay readable'),
      ),
      h('div', { class: 'choice' }, drop, h('label', { for: 'retain-no' }, 'Delete them too')),
    ),
    error,
    h('div', { class: 'form-actions' }, button),
  );
}
