// The operation page: the result on top once it ends (outputs as a table, or the engine's error and
// the next step), a progress bar whose total comes from the preview's plan, the resource being
// worked on, the elapsed time, and every resource as the events stream in.
import { KIND_WORDS } from './account.js';
import { ApiError, api, describeError, followOperation } from './api.js';
import { showAccountWarnings } from './coverage.js';
import { decisionFacts } from './decision.js';
import { announce, badge, clear, formatDuration, formatTime, h, pageTitle } from './dom.js';
import { ResourceProgress } from './events.js';
import { outputsTable, settings } from './outputs.js';
import { CHANGE_WORDS, CHANGES, changeTotal, loadPlan } from './plan.js';

// The same words for the same thing on every page (account.js defines them).
const KIND_LABELS = KIND_WORDS;
const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
/** @type {Record<string, string>} */
const STATUS_TEXT = { running: 'in progress', done: 'done', failed: 'failed' };

/** @typedef {import('./types.d.ts').Operation} Operation */
/** @typedef {import('./types.d.ts').Plan} Plan */
/** @typedef {import('./events.js').Resource} Resource */

/**
 * @param {HTMLElement} main
 * @param {string} operationId
 */
export async function renderOperationPage(main, operationId) {
  /** @type {Operation} */
  let op;
  try {
    op = /** @type {Operation} */ ((await api(`/v1/operations/${encodeURIComponent(operationId)}`)).data);
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
  const coverageWarnings = h('div', { id: 'coverage-warnings' });
  void showAccountWarnings(coverageWarnings, op.accountId);
  const bar = h('progress', {
    class: 'progress-bar',
    id: 'operation-progress-bar',
    'aria-label': 'Progress',
  });
  const current = h('p', { class: 'current-resource', id: 'current-resource' });
  const elapsed = h('span', { id: 'elapsed' });
  main.append(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: `/accounts/${encodeURIComponent(op.accountId)}` }, `Account ${op.accountId}`),
    ),
    coverageWarnings,
    outcome,
    h('div', { class: 'state-line' }, 'State: ', stateBadge, ' · elapsed ', elapsed),
    bar,
    status,
    current,
    actions,
    facts,
    h('h2', {}, 'Resources'),
    list,
  );
  const sandbox = (await settings()).mode === 'sandbox';
  // The total is known from the plan of the preview this apply follows (its previewId, else the
  // latest preview of the same account and version).
  let total = null;
  if (op.kind === 'apply') total = await plannedTotal(op);
  if (total !== null) bar.max = Math.max(total, 1);
  const startedMs = () => Date.parse(op.startedAt ?? op.createdAt);
  const tick = () => {
    elapsed.textContent = formatDuration(Math.max(0, Date.now() - startedMs()));
  };
  tick();
  const ticker = setInterval(tick, 1000);

  const resources = new ResourceProgress();
  /** @type {Map<string, HTMLLIElement>} */
  const rows = new Map();
  const renderFacts = (/** @type {Operation} */ o) => {
    clear(stateBadge).append(badge(o.state));
    clear(facts).append(
      h('dt', {}, 'Operation'),
      h('dd', {}, h('code', {}, o.id)),
      h('dt', {}, 'Requested by'),
      h('dd', {}, o.requestedBy ?? 'the service'),
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
          location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
        } catch (err) {
          retry.disabled = false;
          announce(describeError(err));
        }
      });
      actions.append(retry);
    }
  };
  const renderRow = (/** @type {Resource} */ r) => {
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
    if (total !== null) {
      const done = Math.min(total, resources.changed().filter((r) => r.status === 'done').length);
      bar.value = done;
      return `${done} of ${total} planned changes done`;
    }
    const all = resources.list();
    const done = all.filter((r) => r.status === 'done').length;
    return `${done} of ${all.length} resources seen so far done`;
  };

  renderFacts(op);
  status.textContent = op.state === 'queued' ? 'Waiting for its turn…' : 'Following the operation…';
  announce(status.textContent);
  /** @type {Operation | null} */
  let final;
  try {
    final = await followOperation(op.id, {
      onEvent: (event) => {
        const r = resources.add(event);
        if (r) {
          renderRow(r);
          status.textContent = `Running: ${progressText()}`;
          if (r.status === 'running') current.textContent = `Now: ${r.name} (${r.type})`;
        }
        if (op.state === 'queued') {
          op = { ...op, state: 'running' };
          renderFacts(op);
        }
      },
    });
  } catch (err) {
    clearInterval(ticker);
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
  final ??= /** @type {Operation} */ ((await api(`/v1/operations/${encodeURIComponent(op.id)}`)).data);
  clearInterval(ticker);
  op = final;
  tick();
  if (final.durationMs !== null) elapsed.textContent = formatDuration(final.durationMs);
  current.textContent = '';
  renderFacts(final);
  if (final.state === 'succeeded') {
    status.textContent = `Finished: ${progressText().replace(' so far', '')}.`;
    // Counts of AWS resources from the plan, as on the preview (the engine's summary counts components too).
    const plan =
      final.kind === 'apply' || final.kind === 'preview' ? await loadPlan(final.id).catch(() => null) : null;
    outcome.append(renderSuccess(final, resources, sandbox, plan));
    announce(`${KIND_LABELS[final.kind] ?? 'Operation'} succeeded`);
  } else {
    status.textContent = `Ended: ${final.state}.`;
    announce(`${KIND_LABELS[final.kind] ?? 'Operation'} ${final.state}`);
    outcome.append(renderFailure(final, resources));
  }
  // Done: a full bar on success (the engine's work is over even when the count differs from the plan).
  if (total === null) bar.max = 1;
  if (final.state === 'succeeded') bar.value = bar.max;
  outcome.querySelector('h2')?.focus();
}

/**
 * @param {Operation} op an apply
 * @returns {Promise<number | null>}
 */
async function plannedTotal(op) {
  try {
    // Confirmed from a preview: that preview's plan is the one this apply runs.
    if (op.previewId) return changeTotal(await loadPlan(op.previewId));
    const q = new URLSearchParams({ kind: 'preview', limit: '10' });
    const { data } = await api(`/v1/accounts/${encodeURIComponent(op.accountId)}/operations?${q}`);
    const page = /** @type {import('./types.d.ts').Answer<'listAccountOperations'>} */ (data);
    const preview = page.items.find(
      (p) => p.state === 'succeeded' && p.specVersion === op.specVersion && p.createdAt <= op.createdAt,
    );
    return preview ? changeTotal(await loadPlan(preview.id)) : null;
  } catch {
    return null;
  }
}

/**
 * What to do after a failure, from the error's code and the engine's words.
 * @param {Operation} op
 */
export function nextStep(op) {
  const code = op.error?.code ?? '';
  const text = `${op.error?.message ?? ''}\n${op.error?.engineMessage ?? ''}`;
  if (code === 'approval_rejected')
    return 'An approver rejected it. Change the request if needed and apply again.';
  if (code === 'cancelled') return 'It was cancelled. Retry when you are ready.';
  if (code.startsWith('interrupted'))
    return 'The service stopped while it ran; the lock was released. Retry it.';
  if (code === 'stack_locked')
    return 'Another update holds the account’s stack. Wait for it to end, then retry.';
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(text))
    return 'The role Trailwarden assumes in the account lacks a permission named above: grant it, then retry.';
  if (/InsufficientS3BucketPolicy|InsufficientEncryptionPolicy/i.test(text))
    return 'CloudTrail refused the bucket or key policy: check the policy named above, then retry.';
  if (/already exists|AlreadyExists|TrailAlreadyExists/i.test(text))
    return 'A resource with this name already exists in the account: remove it or list it as an external trail, then retry.';
  if (/no Pulumi CLI|plugin/i.test(text))
    return 'The engine is missing a piece: see /readyz for the command, then retry.';
  return 'Read the engine’s message below; change the request or fix the account, then retry.';
}

/**
 * @param {Operation} op
 * @param {ResourceProgress} resources
 * @param {boolean} sandbox
 * @param {Plan | null} plan
 */
function renderSuccess(op, resources, sandbox, plan) {
  const panel = h('section', { class: 'result success', 'aria-labelledby': 'result-title' });
  panel.append(
    h('h2', { id: 'result-title', tabindex: '-1' }, `${KIND_LABELS[op.kind] ?? 'Operation'} succeeded`),
  );
  if (plan) {
    /** @type {Record<keyof Plan['counts'], string>} */
    const done = {
      create: 'created',
      update: 'updated',
      replace: 'replaced',
      delete: 'deleted',
      same: 'unchanged',
    };
    const words = op.kind === 'apply' ? done : CHANGE_WORDS;
    const parts = [...CHANGES, /** @type {const} */ ('same')]
      .filter((k) => plan.counts[k])
      .map((k) => `${plan.counts[k]} ${words[k]}`);
    panel.append(h('p', { id: 'result-counts' }, `AWS resources: ${parts.join(', ') || 'none'}.`));
  } else if (op.kind !== 'refresh-preview') {
    const parts = Object.entries(op.changeSummary ?? {})
      .filter(([k, n]) => n > 0 && k !== 'same')
      .map(([k, n]) => `${n} ${k}`);
    if (parts.length) panel.append(h('p', {}, `Changes: ${parts.join(', ')}.`));
  }
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
  if (Object.keys(outputs).length) {
    panel.append(h('h3', {}, 'Outputs'), outputsTable(outputs, { id: 'outputs', sandbox }));
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

/** @type {Record<string, string>} */
const ENDED = { failed: 'failed', cancelled: 'was cancelled', interrupted: 'was interrupted' };

/**
 * @param {Operation} op
 * @param {ResourceProgress} resources
 */
function renderFailure(op, resources) {
  const panel = h('section', { class: 'result failure', role: 'alert', 'aria-labelledby': 'result-title' });
  const title = ENDED[op.state] ?? op.state;
  panel.append(
    h('h2', { id: 'result-title', tabindex: '-1' }, `${KIND_LABELS[op.kind] ?? 'Operation'} ${title}`),
  );
  if (op.error) {
    panel.append(
      h('p', { class: 'cause' }, h('strong', {}, 'Cause: '), op.error.message),
      h('p', { class: 'next-step', id: 'next-step' }, h('strong', {}, 'Next step: '), nextStep(op)),
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
