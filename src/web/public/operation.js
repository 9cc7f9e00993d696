// The operation page: follows the server-sent events live, resource by resource, and ends with the
// outputs (success) or the cause (failure).

import { ApiError, api, describeError, followOperation } from './api.js';
import { decisionFacts } from './decision.js';
import { announce, badge, clear, formatDuration, formatTime, h, pageTitle, showValue } from './dom.js';
import { ResourceProgress } from './events.js';

const KIND_LABELS = {
  preview: 'Preview',
  apply: 'Apply',
  'refresh-preview': 'Drift check',
  refresh: 'Refresh',
  destroy: 'Decommission',
};
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const STATUS_TEXT = { running: 'in progress', done: 'done', failed: 'failed' };

export async function renderOperationPage(main, operationId) {
  let op;
  try {
    op = (await api(`/v1/operations/${encodeURIComponent(operationId)}`)).data;
  } catch (err) {
    pageTitle(main, 'Operation');
    main.append(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        err instanceof ApiError && err.status === 404 ? 'There is no such operation.' : describeError(err),
      ),
    );
    return;
  }
  const heading = pageTitle(main, `${KIND_LABELS[op.kind] ?? op.kind} of account ${op.accountId}`);
  heading.focus();
  const stateBadge = h('span', { class: 'state', id: 'operation-state' });
  const facts = h('dl', { class: 'facts' });
  // Not a live region: it changes on every event. Start and end are announced instead.
  const status = h('p', { class: 'progress', id: 'operation-progress' });
  const actions = h('div', { class: 'form-actions' });
  const list = h('ol', { class: 'resource-list live', id: 'resource-progress', 'aria-label': 'Resources' });
  const outcome = h('div', { class: 'outcome', id: 'operation-outcome' });
  main.append(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: `/accounts/${encodeURIComponent(op.accountId)}` }, `Account ${op.accountId}`),
    ),
    h('div', { class: 'state-line' }, 'State: ', stateBadge),
    facts,
    status,
    actions,
    h('h2', {}, 'Resources'),
    list,
    outcome,
  );

  const resources = new ResourceProgress();
  const rows = new Map();
  const renderFacts = (o) => {
    clear(stateBadge).append(badge(o.state));
    clear(facts).append(
      h('dt', {}, 'Operation'),
      h('dd', {}, h('code', {}, o.id)),
      h('dt', {}, 'Spec version'),
      h('dd', {}, String(o.specVersion)),
      h('dt', {}, 'Started'),
      h('dd', {}, formatTime(o.startedAt ?? o.createdAt)),
      h('dt', {}, 'Duration'),
      h('dd', {}, FINAL.has(o.state) ? formatDuration(o.durationMs) : '—'),
      ...decisionFacts(o),
    );
    clear(actions);
    if (!FINAL.has(o.state)) {
      const cancel = h('button', { type: 'button', class: 'secondary', id: 'cancel-button' }, 'Cancel');
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        try {
          await api(`/v1/operations/${encodeURIComponent(o.id)}/cancel`, { method: 'POST' });
          announce('Cancel requested');
        } catch (err) {
          cancel.disabled = false;
          announce(describeError(err));
        }
      });
      actions.append(cancel);
    } else if (o.state !== 'succeeded' && o.kind !== 'preview') {
      const retry = h('button', { type: 'button', class: 'secondary', id: 'retry-button' }, 'Retry');
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        try {
          const { data } = await api(`/v1/operations/${encodeURIComponent(o.id)}/retry`, { method: 'POST' });
          location.assign(`/operations/${encodeURIComponent(data.id)}`);
        } catch (err) {
          retry.disabled = false;
          announce(describeError(err));
        }
      });
      actions.append(retry);
    }
  };
  const renderRow = (r) => {
    let row = rows.get(r.urn);
    if (!row) {
      row = h('li', { class: 'resource' });
      rows.set(r.urn, row);
      list.append(row);
    }
    row.dataset.status = r.status;
    row.dataset.change = r.change;
    clear(row).append(
      badge(r.change),
      ' ',
      h('span', { class: 'resource-name' }, r.name),
      ' ',
      h('span', { class: 'resource-type' }, r.type),
      ' ',
      h('span', { class: `resource-status status-${r.status}` }, STATUS_TEXT[r.status] ?? r.status),
    );
  };
  const progressText = () => {
    const all = resources.list();
    const done = all.filter((r) => r.status === 'done').length;
    return `${done} of ${all.length} resources done so far`;
  };

  renderFacts(op);
  status.textContent = op.state === 'queued' ? 'Waiting for its turn…' : 'Following the operation…';
  announce(status.textContent);
  let final;
  try {
    final = await followOperation(op.id, {
      onEvent: (event) => {
        const r = resources.add(event);
        if (r) {
          renderRow(r);
          status.textContent = `Running: ${progressText()}`;
        }
        if (op.state === 'queued') {
          op = { ...op, state: 'running' };
          renderFacts(op);
        }
      },
    });
  } catch (err) {
    status.textContent = '';
    outcome.append(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `Lost track of the operation: ${describeError(err)}. Reload the page to follow it again.`,
      ),
    );
    return;
  }
  final ??= (await api(`/v1/operations/${encodeURIComponent(op.id)}`)).data;
  renderFacts(final);
  if (final.state === 'succeeded') {
    status.textContent = `Finished: ${progressText().replace(' so far', '')}.`;
    outcome.append(renderSuccess(final, resources));
    announce(`${KIND_LABELS[final.kind] ?? 'Operation'} succeeded`);
  } else {
    status.textContent = `Ended: ${final.state}.`;
    announce(`${KIND_LABELS[final.kind] ?? 'Operation'} ${final.state}`);
    outcome.append(renderFailure(final, resources));
  }
  outcome.querySelector('h2')?.focus();
}

function renderSuccess(op, resources) {
  const panel = h('section', { class: 'result success', 'aria-labelledby': 'result-title' });
  panel.append(
    h('h2', { id: 'result-title', tabindex: '-1' }, `${KIND_LABELS[op.kind] ?? 'Operation'} succeeded`),
  );
  const summary = op.changeSummary ?? {};
  const parts = Object.entries(summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  if (parts.length) panel.append(h('p', {}, `Changes: ${parts.join(', ')}.`));
  if (op.kind === 'refresh-preview') {
    panel.append(
      h(
        'p',
        {},
        'The drift report is on the ',
        h('a', { href: `/accounts/${encodeURIComponent(op.accountId)}#drift` }, 'account page'),
        '.',
      ),
    );
  }
  const outputs = op.outputs ?? {};
  const keys = Object.keys(outputs).sort();
  if (keys.length) {
    panel.append(
      h('h3', {}, 'Outputs'),
      h(
        'dl',
        { class: 'outputs', id: 'outputs' },
        keys.map((k) => [h('dt', {}, k), h('dd', {}, h('code', {}, showValue(outputs[k])))]),
      ),
    );
  }
  const warnings = resources.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length)
    panel.append(
      h(
        'details',
        {},
        h('summary', {}, `${warnings.length} warnings`),
        h(
          'ul',
          {},
          warnings.map((d) => h('li', {}, d.message)),
        ),
      ),
    );
  return panel;
}

function renderFailure(op, resources) {
  const panel = h('section', { class: 'result failure', role: 'alert', 'aria-labelledby': 'result-title' });
  const title =
    { failed: 'failed', cancelled: 'was cancelled', interrupted: 'was interrupted' }[op.state] ?? op.state;
  panel.append(
    h('h2', { id: 'result-title', tabindex: '-1' }, `${KIND_LABELS[op.kind] ?? 'Operation'} ${title}`),
  );
  if (op.error) {
    panel.append(
      h('p', { class: 'cause' }, h('strong', {}, 'Cause: '), op.error.message),
      h('p', { class: 'hint' }, `Code: ${op.error.code}`),
    );
    if (op.error.engineMessage) panel.append(h('pre', { class: 'engine-message' }, op.error.engineMessage));
  }
  const failed = resources.list().filter((r) => r.status === 'failed');
  if (failed.length) panel.append(h('p', {}, `Failed resources: ${failed.map((r) => r.name).join(', ')}`));
  const errors = resources.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    panel.append(
      h(
        'ul',
        { class: 'diagnostics' },
        errors.map((d) => h('li', {}, d.message)),
      ),
    );
  return panel;
}
