// Drift reports (DriftReport of src/drift/report.ts): each drifted resource with its properties,
// expected (what the state recorded) vs actual (what the cloud has now).
import { ApiError, api, member } from './api.js';
import { badge, formatTime, h, showValue, tableHead } from './dom.js';
import { nameFromUrn, stepOf } from './events.js';

/** @typedef {import('./types.d.ts').ShownDriftReport} ShownDriftReport */
/** @typedef {import('./types.d.ts').DerivedDriftReport} DerivedDriftReport */
/** @typedef {import('./types.d.ts').Operation} Operation */

/**
 * The account's drift reports, newest first: [{ report, derived }].
 * @param {string} accountId
 * @param {import('./types.d.ts').TrailState} trail
 * @returns {Promise<ShownDriftReport[]>}
 */
export async function loadDriftReports(accountId, trail) {
  try {
    const { data } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/drift-reports`);
    const page = /** @type {import('./types.d.ts').Answer<'listDriftReports'>} */ (data);
    return page.items.map((report) => ({ report, derived: false }));
  } catch (err) {
    // Before the drift report API exists: read the last drift check's own events.
    if (!(err instanceof ApiError && err.status === 404 && err.code === 'route_not_found')) throw err;
    const last = trail?.lastOperation;
    if (last?.kind !== 'refresh-preview' || last.state !== 'succeeded') return [];
    const { data } = await api(`/v1/operations/${encodeURIComponent(last.id)}/events`);
    const page = /** @type {import('./types.d.ts').Answer<'getOperationEvents'>} */ (data);
    return [
      {
        report: reportFromEvents(
          accountId,
          last,
          page.events.map((e) => e.event),
        ),
        derived: true,
      },
    ];
  }
}

/**
 * The value at a Pulumi property path (a.b[0]["c"]) of a JSON value.
 * @param {unknown} obj
 * @param {string} path
 * @returns {{ found: boolean, value: unknown }}
 */
function getAt(obj, path) {
  const segs = String(path)
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\["([^"]+)"\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  let cur = obj;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object' || !(s in cur)) return { found: false, value: null };
    cur = member(cur, s);
  }
  return { found: true, value: cur };
}

/**
 * A report of the same shape, without the severity table (only the API classifies).
 * @param {string} accountId
 * @param {Pick<Operation, 'id' | 'finishedAt' | 'createdAt'>} op
 * @param {unknown[]} events engine events
 * @returns {DerivedDriftReport}
 */
function reportFromEvents(accountId, op, events) {
  /** @type {DerivedDriftReport['resources']} */
  const resources = [];
  for (const event of events) {
    const meta = stepOf(event, 'resOutputsEvent');
    if (!meta || meta.type === 'pulumi:pulumi:Stack' || meta.type.startsWith('pulumi:providers:')) continue;
    if (meta.op !== 'update' && meta.op !== 'delete' && meta.op !== 'refresh') continue;
    const old = meta.old ?? {};
    const cur = meta.new ?? {};
    if (meta.op === 'delete' || !meta.new) {
      resources.push({
        urn: meta.urn,
        type: meta.type,
        name: nameFromUrn(meta.urn),
        id: old.id ?? null,
        operation: 'deleted',
        severity: null,
        properties: [],
      });
      continue;
    }
    const keys = meta.detailedDiff ? Object.keys(meta.detailedDiff) : (meta.diffs ?? []);
    const properties = keys
      .filter((k) => !k.startsWith('__'))
      .map((path) => {
        for (const which of ['outputs', 'inputs']) {
          const a = getAt(member(old, which), path);
          const b = getAt(member(cur, which), path);
          if (a.found || b.found) return { path, expected: a.value, actual: b.value, severity: null };
        }
        return { path, expected: null, actual: null, severity: null };
      });
    if (properties.length)
      resources.push({
        urn: meta.urn,
        type: meta.type,
        name: nameFromUrn(meta.urn),
        id: old.id ?? null,
        operation: 'modified',
        severity: null,
        properties,
      });
  }
  return {
    accountId,
    operationId: op.id,
    checkedAt: op.finishedAt ?? op.createdAt,
    clean: resources.length === 0,
    severity: null,
    counts: null,
    resources,
    unverified: [],
  };
}

/**
 * Drift findings are states, not actions: a resource is changed or missing.
 * @type {Record<string, string>}
 */
export const FINDING_WORDS = {
  modified: 'changed',
  update: 'changed',
  deleted: 'missing',
  delete: 'missing',
};

/**
 * What each severity means, wherever severities appear (the same words as src/drift/severity.ts).
 * @type {Record<string, string>}
 */
export const SEVERITY_MEANINGS = {
  critical: 'blinds the account: activity is no longer recorded, or the record can be destroyed',
  high: 'weakens detection or evidence without blinding the account',
  low: 'cosmetic: nothing that records or protects activity changed',
  unknown: 'never checked, or the last check could not read every resource',
  none: 'the last check found every resource as applied',
};

export function severityLegend() {
  return h(
    'details',
    { class: 'severity-legend' },
    h('summary', {}, 'What the severities mean'),
    h(
      'dl',
      {},
      Object.entries(SEVERITY_MEANINGS).map(([k, v]) => [h('dt', {}, badge(k)), h('dd', {}, v)]),
    ),
  );
}

/**
 * @param {ShownDriftReport} shown
 * @param {number} index its place in the list (0: the latest), for ids
 */
export function renderDriftReport({ report, derived }, index) {
  const titleId = `drift-report-${index}`;
  const section = h('section', { class: 'drift-report', 'aria-labelledby': titleId });
  section.append(
    h(
      'h3',
      { id: titleId },
      `Drift check of ${formatTime(report.checkedAt)} `,
      report.clean
        ? badge('no drift', 'none')
        : report.severity
          ? badge(report.severity)
          : badge('changed', 'drift'),
    ),
  );
  if (derived) {
    section.append(
      h(
        'p',
        { class: 'hint' },
        'Read from the drift check’s engine events; severities appear once the service reports drift itself.',
      ),
    );
  }
  if (report.operationId) {
    section.append(
      h(
        'p',
        { class: 'hint' },
        'Operation ',
        h('a', { href: `/operations/${encodeURIComponent(report.operationId)}` }, report.operationId),
      ),
    );
  }
  if (report.clean) {
    section.append(h('p', {}, 'Every resource matches what was applied.'));
    return section;
  }
  // Holes found in what the refresh read, though nothing drifted (e.g. nobody receives the alarms).
  for (const f of report.findings ?? [])
    section.append(
      h('p', { class: 'drift-finding', 'data-finding': f.id }, badge(f.severity), ` ${f.reason}`),
    );
  for (const r of report.resources ?? []) {
    const resTitle = h(
      'h4',
      {},
      h('span', { class: 'resource-name' }, r.name),
      ' ',
      h('span', { class: 'resource-type' }, r.type),
      ' ',
      r.severity ? badge(r.severity) : null,
      ' ',
      badge(FINDING_WORDS[r.operation] ?? r.operation, r.operation),
    );
    const block = h('div', { class: 'drifted-resource' }, resTitle);
    if (r.reason) block.append(h('p', { class: 'hint' }, r.reason));
    if (r.operation === 'deleted') {
      block.append(h('p', {}, 'Missing: the resource no longer exists in the account.'));
    } else if (r.properties?.length) {
      block.append(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'drift-table' },
            h('caption', { class: 'visually-hidden' }, `Drifted properties of ${r.name}`),
            tableHead(['Property', 'Applied', 'Now in the account', 'Severity']),
            h(
              'tbody',
              {},
              r.properties.map((p) =>
                h(
                  'tr',
                  { 'data-path': p.path },
                  h('th', { scope: 'row' }, h('code', {}, p.path)),
                  h('td', { class: 'expected' }, h('code', {}, showValue(p.expected))),
                  h('td', { class: 'actual' }, h('code', {}, showValue(p.actual))),
                  h('td', {}, p.severity ? badge(p.severity) : '—'),
                ),
              ),
            ),
          ),
        ),
      );
    }
    section.append(block);
  }
  if (report.unverified?.length) {
    section.append(h('p', {}, `Could not be read: ${report.unverified.map((u) => u.name).join(', ')}`));
  }
  return section;
}
