// One account: its spec, state and outputs, last operation, drift reports; drift check and edit.
import { ApiError, api, describeError } from './api.js';
import { renderConvergeSection } from './converge.js';
import { announce, badge, formatTime, h, pageTitle, showValue } from './dom.js';
import { loadDriftReports, renderDriftReport } from './drift.js';

export async function renderAccountPage(main, accountId) {
  const heading = pageTitle(main, `Account ${accountId}`);
  heading.focus();
  let trail;
  try {
    const res = await api(`/v1/accounts/${encodeURIComponent(accountId)}/trail`);
    trail = res.data;
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

  const driftCheck = h(
    'button',
    { type: 'button', class: 'secondary', id: 'drift-check-button' },
    'Check for drift now',
  );
  const actionError = h('p', { class: 'error-message', role: 'alert', hidden: true });
  driftCheck.addEventListener('click', async () => {
    driftCheck.disabled = true;
    try {
      const { data } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/trail/drift-checks`, {
        method: 'POST',
      });
      location.assign(`/operations/${encodeURIComponent(data.id)}`);
    } catch (err) {
      driftCheck.disabled = false;
      actionError.textContent = describeError(err);
      actionError.hidden = false;
    }
  });
  const op = trail.lastOperation;
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/accounts' }, 'All accounts')),
    h(
      'dl',
      { class: 'facts', id: 'account-facts' },
      h('dt', {}, 'Status'),
      h('dd', {}, badge(trail.status)),
      h('dt', {}, 'Drift'),
      h(
        'dd',
        {},
        badge(trail.drift.severity),
        trail.drift.checkedAt ? ` checked ${formatTime(trail.drift.checkedAt)}` : ' never checked',
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
      h('a', { class: 'button', href: `/?account=${encodeURIComponent(accountId)}` }, 'Change the request'),
      driftCheck,
    ),
    actionError,
    h('h2', {}, 'Last operation'),
    op
      ? h(
          'p',
          { id: 'last-operation' },
          h(
            'a',
            { href: `/operations/${encodeURIComponent(op.id)}` },
            `${op.kind} (version ${op.specVersion})`,
          ),
          ' ',
          badge(op.state),
          ` ${formatTime(op.finishedAt ?? op.createdAt)}`,
          op.error ? h('span', { class: 'cause' }, ` — ${op.error.message}`) : '',
        )
      : h('p', {}, 'None yet.'),
  );

  const outputs = trail.outputs ?? {};
  if (Object.keys(outputs).length) {
    main.append(
      h('h2', {}, 'Outputs'),
      h(
        'dl',
        { class: 'outputs' },
        Object.keys(outputs)
          .sort()
          .map((k) => [h('dt', {}, k), h('dd', {}, h('code', {}, showValue(outputs[k])))]),
      ),
    );
  }

  const driftSection = h(
    'section',
    { id: 'drift', 'aria-labelledby': 'drift-title' },
    h('h2', { id: 'drift-title' }, 'Drift reports'),
  );
  main.append(driftSection);
  main.append(
    h('h2', {}, 'Requested spec'),
    h(
      'pre',
      { class: 'spec', id: 'spec', tabindex: '0', 'aria-label': 'Requested spec as JSON' },
      JSON.stringify(trail.spec, null, 2),
    ),
  );

  const status = h('p', { role: 'status', class: 'progress' }, 'Loading drift reports…');
  driftSection.append(status);
  try {
    const reports = await loadDriftReports(accountId, trail);
    status.textContent = reports.length
      ? `${reports.length} drift ${reports.length === 1 ? 'report' : 'reports'}`
      : 'No drift check yet.';
    // The latest report found drift: offer to converge (preview, then apply) right above the reports.
    const converge = renderConvergeSection(accountId, reports[0]);
    if (converge) driftSection.before(converge);
    for (const [i, r] of reports.entries()) driftSection.append(renderDriftReport(r, i));
    if (reports.length) announce(status.textContent);
  } catch (err) {
    status.textContent = '';
    driftSection.append(h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
  }
}
