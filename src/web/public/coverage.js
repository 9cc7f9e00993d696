// Renders a coverage report (GET /v1/accounts/{id}/coverage, POST /v1/coverage-reports, or a
// preview's `coverage`) into an element: warnings first (acknowledged gaps, nobody receiving the
// alarms), then each alarm of the set and each Security Hub control with covered / blind /
// not-applicable and why. Standalone: the form and the account page only call these functions.
import { ApiError, api, describeError, isAbortError } from './api.js';
import { badge, clear, h, nextId, tableHead } from './dom.js';

/** @typedef {import('./types.d.ts').CoverageReport} CoverageReport */

/** @type {Record<string, string>} */
const STATUS_KIND = { covered: 'applied', blind: 'failed', 'not-applicable': 'queued' };
/** @type {Record<string, string>} */
const DELIVERY_TEXT = {
  confirmed: 'Alarms reach a confirmed recipient.',
  unconfirmed: 'Nobody receives the alarms.',
  unknown: 'Recipients still have to confirm their subscriptions.',
};

const status = (/** @type {string} */ s) => badge(s, STATUS_KIND[s] ?? s);
const regionsText = (/** @type {'all' | string[]} */ regions) =>
  regions === 'all' ? 'all regions' : regions.join(', ');

/**
 * @typedef {object} CoverageOptions
 * @property {(id: string, checked: boolean) => void} [onAcknowledge]
 * @property {Set<string>} [acknowledged]
 * @property {AbortSignal} [signal]
 */

/**
 * Fills `el` with the report. With `onAcknowledge(id, checked)`, each blind alarm gets a checkbox
 * to accept its gap (`acknowledged`: a Set of ids, checked ones).
 * @param {HTMLElement} el
 * @param {CoverageReport} report
 * @param {CoverageOptions} [options]
 * @returns {CoverageReport}
 */
export function renderCoverage(el, report, { onAcknowledge, acknowledged } = {}) {
  clear(el);
  const titleId = nextId('coverage-title');
  el.setAttribute('aria-labelledby', titleId);
  const blind = report.entries.filter((e) => e.status === 'blind');
  el.append(
    h('h2', { id: titleId }, 'Coverage'),
    h(
      'p',
      { class: 'coverage-summary' },
      `${report.entries.length - blind.length} of ${report.entries.length} alarms of the ${report.alarmSet} set see their events`,
      blind.length ? `; ${blind.length} blind.` : '.',
      ` Regions: ${regionsText(report.regions)}; global service events ${report.globalServiceEvents ? 'recorded' : 'NOT recorded'}.`,
    ),
  );
  if (report.warnings.length)
    el.append(
      h(
        'div',
        { class: 'notice coverage-warnings', role: 'status' },
        h('strong', {}, 'Warnings'),
        h(
          'ul',
          {},
          report.warnings.map((w) => h('li', {}, w)),
        ),
      ),
    );
  if (report.unacknowledgedGaps.length)
    el.append(
      h(
        'p',
        { class: 'notice error coverage-gaps' },
        `Blind and not accepted: ${report.unacknowledgedGaps.join(', ')}. `,
        'The service refuses the request until each is accepted (or the option that blinds it changes).',
      ),
    );
  el.append(
    h(
      'p',
      { class: 'coverage-delivery' },
      h('strong', {}, 'Delivery: '),
      status(report.delivery.status === 'confirmed' ? 'covered' : 'blind'),
      ` ${DELIVERY_TEXT[report.delivery.status] ?? ''} ${report.delivery.reason}`,
    ),
  );

  el.append(
    h(
      'table',
      { class: 'coverage-entries' },
      h('caption', {}, 'Alarms'),
      tableHead(['Alarm', 'Status', 'Why']),
      h(
        'tbody',
        {},
        report.entries.map((e) => {
          let accept = null;
          if (onAcknowledge && e.status === 'blind') {
            const box = h('input', {
              type: 'checkbox',
              checked: acknowledged ? acknowledged.has(e.id) : e.acknowledged,
              'data-entry': e.id,
            });
            box.addEventListener('change', () => onAcknowledge(e.id, box.checked));
            accept = h('label', { class: 'coverage-accept' }, box, ' Accept this gap');
          }
          return h(
            'tr',
            { 'data-entry': e.id, 'data-status': e.status },
            h('th', { scope: 'row' }, e.title, h('br'), h('code', {}, e.id)),
            h('td', {}, status(e.status), e.acknowledged ? ' (accepted)' : ''),
            h(
              'td',
              {},
              e.gaps.length
                ? h(
                    'ul',
                    {},
                    e.gaps.map((g) => h('li', {}, h('code', {}, g.option), ` ${g.lost}`)),
                  )
                : `Seen in ${regionsText(e.regions)}.`,
              accept,
            ),
          );
        }),
      ),
    ),
    h(
      'details',
      { class: 'coverage-controls' },
      h('summary', {}, 'Security Hub controls'),
      h(
        'table',
        {},
        tableHead(['Control', 'Status', 'Why']),
        h(
          'tbody',
          {},
          report.controls.map((c) =>
            h(
              'tr',
              { 'data-control': c.id, 'data-status': c.status },
              h('th', { scope: 'row' }, h('code', {}, c.id), ` ${c.title}`),
              h('td', {}, status(c.status)),
              h(
                'td',
                {},
                c.reasons.length
                  ? h(
                      'ul',
                      {},
                      c.reasons.map((r) => h('li', {}, r)),
                    )
                  : '',
              ),
            ),
          ),
        ),
      ),
    ),
  );
  return report;
}

/**
 * The account page: the coverage of the stored spec, with its delivery state.
 * @param {HTMLElement} el
 * @param {string} accountId
 */
export async function showAccountCoverage(el, accountId) {
  try {
    const { data } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/coverage`);
    return renderCoverage(el, /** @type {import('./types.d.ts').Answer<'getCoverage'>} */ (data));
  } catch (err) {
    clear(el).append(h('p', { class: 'notice error', role: 'alert' }, `Coverage: ${describeError(err)}`));
    return null;
  }
}

/**
 * The form: the coverage of a request not stored yet; quiet while the request is not valid.
 * @param {HTMLElement} el
 * @param {unknown} spec
 * @param {CoverageOptions} [opts]
 */
export async function showRequestCoverage(el, spec, opts = {}) {
  try {
    const { data } = await api('/v1/coverage-reports', { method: 'POST', body: spec, signal: opts.signal });
    return renderCoverage(el, /** @type {CoverageReport} */ (data), opts);
  } catch (err) {
    if (isAbortError(err)) return null;
    clear(el).append(
      h(
        'p',
        { class: 'hint' },
        err instanceof ApiError && err.status === 400
          ? 'Coverage shows once the request is complete.'
          : `Coverage could not be computed: ${describeError(err)}`,
      ),
    );
    return null;
  }
}

/**
 * Any page of an account: only its coverage warnings (acknowledged gaps, nobody receiving alarms).
 * @param {HTMLElement} el
 * @param {string} accountId
 */
export async function showAccountWarnings(el, accountId) {
  try {
    const { data: answer } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/coverage`);
    const data = /** @type {import('./types.d.ts').Answer<'getCoverage'>} */ (answer);
    clear(el);
    if (data.warnings.length)
      el.append(
        h(
          'div',
          { class: 'notice coverage-warnings', role: 'status' },
          h('strong', {}, 'Coverage warnings'),
          h(
            'ul',
            {},
            data.warnings.map((w) => h('li', {}, w)),
          ),
        ),
      );
  } catch {
    // A page of an account without a trail request has no coverage to warn about.
  }
}
