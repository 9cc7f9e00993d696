// "Fix this drift" on the account page: converge from the latest drift report. A preview of the last
// applied (approved) spec against the account as it is, shown as planned changes; then an apply of
// exactly that preview (previewId), under the normal approval rules.
import { ApiError, api, describeError, followOperation } from './api.js';
import { announce, h } from './dom.js';
import { CHANGE_KINDS, ResourceProgress } from './events.js';

/** @typedef {import('./types.d.ts').Operation} Operation */

const LABELS = { create: 'to create', update: 'to update', replace: 'to replace', delete: 'to delete' };

/**
 * A section offering to converge when the latest report found drift; null when there is nothing to fix.
 * @param {string} accountId
 * @param {import('./types.d.ts').ShownDriftReport | undefined} latest
 */
export function renderConvergeSection(accountId, latest) {
  const report = latest?.report;
  // Converge fixes drifted resources; a finding such as an unconfirmed subscription is not one.
  if (!report?.id || !report.resources?.length) return null;
  const id = encodeURIComponent(accountId);
  const section = h(
    'section',
    { id: 'converge', class: 'converge', 'aria-labelledby': 'converge-title' },
    h('h2', { id: 'converge-title' }, 'Fix this drift'),
    h(
      'p',
      {},
      'Converge puts the account back to the spec that was last applied (and approved). First a preview shows ' +
        'what that would change in the account as it is now; nothing changes until you apply it.',
    ),
  );
  const button = h(
    'button',
    { type: 'button', class: 'primary', id: 'converge-button' },
    'Preview converging to the applied spec',
  );
  const output = h('div', { class: 'converge-plan', id: 'converge-plan' });
  section.append(button, output);

  button.addEventListener('click', async () => {
    button.disabled = true;
    output.replaceChildren(h('p', { class: 'progress', id: 'converge-progress' }, 'Running the preview…'));
    announce('Running a preview of the applied spec');
    try {
      const { data } = await api(
        `/v1/accounts/${id}/drift-reports/${encodeURIComponent(report.id)}/converge`,
        { method: 'POST' },
      );
      const op = /** @type {Operation} */ (data);
      const resources = new ResourceProgress();
      const final = (await followOperation(op.id, { onEvent: (e) => resources.add(e) })) ?? op;
      showPlan(output, accountId, final, resources);
    } catch (err) {
      output.replaceChildren(
        h('p', { class: 'notice error', role: 'alert' }, `The preview could not run: ${describeError(err)}`),
      );
    } finally {
      button.disabled = false;
    }
  });
  return section;
}

/**
 * @param {HTMLElement} output
 * @param {string} accountId
 * @param {Operation} op the finished preview
 * @param {ResourceProgress} resources its resources, from its events
 */
function showPlan(output, accountId, op, resources) {
  if (op.state !== 'succeeded') {
    output.replaceChildren(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `The preview ${op.state}: ${op.error?.message ?? 'no reason given'}`,
      ),
    );
    return;
  }
  const summary = op.changeSummary ?? {};
  const total = CHANGE_KINDS.reduce((n, k) => n + (summary[k] ?? 0), 0);
  const changed = resources.changed();
  output.replaceChildren(
    h(
      'p',
      { class: 'progress', id: 'converge-progress' },
      total === 0 ? 'Preview finished: nothing to change.' : `Preview finished: ${total} changes planned.`,
    ),
    h(
      'ul',
      { class: 'change-counts converge-counts', 'aria-label': 'Planned changes' },
      CHANGE_KINDS.map((k) =>
        h('li', { class: `count count-${k}`, 'data-kind': k }, `${summary[k] ?? 0} ${LABELS[k]}`),
      ),
    ),
    // Spread, not null: replaceChildren (unlike h) would show a null as the text "null".
    ...(changed.length
      ? [
          h(
            'ul',
            { class: 'resource-list converge-resources' },
            changed.map((r) =>
              h(
                'li',
                {},
                `${r.change}: ${r.name} (${r.type})${r.diffs.length ? ` — ${r.diffs.join(', ')}` : ''}`,
              ),
            ),
          ),
        ]
      : []),
  );
  if (total === 0) {
    output.append(h('p', { class: 'notice' }, 'The account already matches the applied spec.'));
    announce('Preview finished: nothing to change');
    return;
  }
  const apply = h(
    'button',
    { type: 'button', class: 'primary', id: 'converge-apply' },
    `Apply ${total} changes to account ${accountId}`,
  );
  const error = h('p', { class: 'error-message', role: 'alert', hidden: true });
  apply.addEventListener('click', async () => {
    apply.disabled = true;
    try {
      const { data } = await api(
        `/v1/accounts/${encodeURIComponent(accountId)}/trail/applies?previewId=${encodeURIComponent(op.id)}`,
        { method: 'POST' },
      );
      location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
    } catch (err) {
      apply.disabled = false;
      error.textContent =
        err instanceof ApiError && err.code === 'preview_stale'
          ? 'The account changed since this preview. Preview again before applying.'
          : describeError(err);
      error.hidden = false;
    }
  });
  output.append(error, apply);
  announce(`Preview finished: ${total} changes planned. Review them, then apply.`);
}
