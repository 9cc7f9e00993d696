// A preview's plan (GET /v1/operations/{id}/plan) as people read it: counts, then one foldable
// group per component (key, bucket, trail per region, delivery, alarms, watch) with each resource
// that changes and, for updates and replacements, each property with its old and new value. The
// counts are the plan's own, so they agree with the lists below them.
import { api } from './api.js';
import { badge, h, nextId, showValue, tableHead } from './dom.js';

/** @typedef {import('./types.d.ts').Plan} Plan */
/** @typedef {import('./types.d.ts').PlanGroup} PlanGroup */
/** @typedef {import('./types.d.ts').PlanResource} PlanResource */
/** @typedef {import('./types.d.ts').ChangeCounts} ChangeCounts */

/** @type {readonly ['create', 'update', 'replace', 'delete']} */
export const CHANGES = ['create', 'update', 'replace', 'delete'];
/** @type {Record<keyof ChangeCounts, string>} */
export const CHANGE_WORDS = {
  create: 'to create',
  update: 'to update',
  replace: 'to replace',
  delete: 'to delete',
  same: 'unchanged',
};
// A group opens by itself when it is short and holds changes to read (not only creations).
const OPEN_MAX = 6;

/**
 * @param {string} operationId
 * @returns {Promise<Plan>}
 */
export async function loadPlan(operationId) {
  return /** @type {Plan} */ ((await api(`/v1/operations/${encodeURIComponent(operationId)}/plan`)).data);
}

/**
 * Resources the plan changes (create, update, replace, delete).
 * @param {Plan} plan
 */
export function changeTotal(plan) {
  return CHANGES.reduce((n, k) => n + (plan.counts[k] ?? 0), 0);
}

/** @param {ChangeCounts} counts */
function countsText(counts) {
  const parts = CHANGES.filter((k) => counts[k]).map((k) => `${counts[k]} ${CHANGE_WORDS[k]}`);
  if (counts.same) parts.push(`${counts.same} unchanged`);
  return parts.join(', ') || 'nothing';
}

/** @param {PlanResource} resource */
function diffTable(resource) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'diff-table' },
      h('caption', { class: 'visually-hidden' }, `Changes to ${resource.name}`),
      tableHead(['Property', 'Now', 'After apply']),
      h(
        'tbody',
        {},
        resource.properties.map((p) =>
          h(
            'tr',
            { 'data-path': p.path },
            h(
              'th',
              { scope: 'row' },
              h('code', {}, p.path),
              p.replaces ? h('span', { class: 'replaces' }, ' forces replacement') : null,
            ),
            h(
              'td',
              { class: 'old' },
              p.kind === 'add' ? h('em', {}, '(not set)') : h('code', {}, showValue(p.old)),
            ),
            h(
              'td',
              { class: 'new' },
              p.kind === 'delete'
                ? h('em', {}, '(removed)')
                : p.new === '[unknown]'
                  ? h('em', {}, 'known after apply')
                  : h('code', {}, showValue(p.new)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** @param {PlanResource} r */
function resourceItem(r) {
  return h(
    'li',
    { 'data-change': r.change },
    badge(r.change),
    ' ',
    h('span', { class: 'resource-name' }, r.name),
    ' ',
    h('span', { class: 'resource-type' }, r.type),
    (r.change === 'update' || r.change === 'replace') && r.properties.length ? diffTable(r) : null,
  );
}

/** @param {PlanGroup} group */
function groupElement(group) {
  const changed = group.resources.filter((r) => r.change !== 'same');
  const same = group.resources.filter((r) => r.change === 'same');
  const worthReading = changed.some((r) => r.change !== 'create');
  const details = h('details', {
    class: 'plan-group',
    'data-group': group.key,
    open: worthReading && changed.length <= OPEN_MAX ? true : undefined,
  });
  details.append(
    h(
      'summary',
      {},
      h('span', { class: 'group-title' }, group.title),
      h('span', { class: 'group-counts' }, countsText(group.counts)),
    ),
  );
  if (changed.length) details.append(h('ul', { class: 'resource-list' }, changed.map(resourceItem)));
  if (same.length)
    details.append(h('p', { class: 'hint' }, `Unchanged: ${same.map((r) => r.name).join(', ')}`));
  return details;
}

/**
 * The counts and the groups; changed groups first, unchanged ones in one fold at the end.
 * @param {Plan} plan
 */
export function renderPlan(plan) {
  const titleId = nextId('plan');
  const section = h('section', { class: 'plan', 'aria-labelledby': titleId });
  section.append(
    h('h3', { id: titleId, class: 'visually-hidden' }, 'Planned changes'),
    h(
      'ul',
      { class: 'change-counts', 'aria-label': 'Planned changes' },
      [...CHANGES, /** @type {const} */ ('same')].map((k) =>
        h(
          'li',
          { class: `count count-${k}` },
          h('span', { class: 'count-number' }, String(plan.counts[k] ?? 0)),
          ` ${CHANGE_WORDS[k]}`,
        ),
      ),
    ),
  );
  const changedGroups = plan.groups.filter((g) => g.resources.some((r) => r.change !== 'same'));
  const quiet = plan.groups.filter((g) => !changedGroups.includes(g));
  for (const g of changedGroups) section.append(groupElement(g));
  if (quiet.length) {
    section.append(
      h(
        'details',
        { class: 'plan-group quiet' },
        h(
          'summary',
          {},
          h('span', { class: 'group-title' }, 'Unchanged components'),
          h('span', { class: 'group-counts' }, quiet.map((g) => g.title).join(', ')),
        ),
        h(
          'ul',
          { class: 'resource-list' },
          quiet.map((g) => h('li', {}, `${g.title}: ${g.resources.length} unchanged`)),
        ),
      ),
    );
  }
  return section;
}

/**
 * What the confirm step says before an apply: approval, and what is billed per event.
 * @param {Plan} plan
 */
export function confirmNotes(plan) {
  /** @type {HTMLElement[]} */
  const notes = [];
  if (plan.approval) {
    notes.push(
      h(
        'p',
        { class: plan.approval.required ? 'notice approval-needed' : 'approval-not-needed' },
        plan.approval.required
          ? [
              h('strong', {}, 'Needs approval: '),
              `another approver must approve this apply before it runs (${plan.approval.reasons.join('; ')}).`,
            ]
          : `No approval needed (${plan.approval.reasons.join('; ')}).`,
      ),
    );
  }
  if (plan.costs?.length) {
    notes.push(
      h(
        'div',
        { class: 'cost-note' },
        h('p', {}, h('strong', {}, 'Costs money beyond the baseline:')),
        h(
          'ul',
          {},
          plan.costs.map((c) => h('li', {}, c.detail)),
        ),
      ),
    );
  } else {
    notes.push(
      h(
        'p',
        { class: 'hint' },
        'No Insights and no data events: beyond the key, log storage, CloudWatch Logs and alarms, nothing here is billed per event.',
      ),
    );
  }
  return notes;
}
