// The change flow in a real browser against the real service in sandbox mode:
// - drift found → "Fix this drift" on the account page → preview of the applied spec → apply → the
//   next drift check (from the account page) is clean;
// - a requester's apply from the form waits for approval; an approver sees it on the approvals page
//   with the spec diff and the preview, approves it with a reason, and the apply runs.
import { existsSync } from 'node:fs';
import t from 'tap';
import type { OperationView } from '../../src/operations/schemas.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { type Browser, CHROMIUM, type Service, screenshot, startBrowser, startService } from './harness.ts';

const ACCOUNT = '111122223333';
const TRAIL_TYPE = 'aws:cloudtrail/trail:Trail';
const LONG = 240_000;

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
} else {
  let service: Service;
  let browser: Browser;
  t.before(async () => {
    service = await startService();
    browser = await startBrowser();
  });
  t.teardown(async () => {
    await browser?.close();
    await service?.close();
  });

  /** Runs an operation through the API as the admin and waits for it to end. */
  const run = async (path: string, init: RequestInit = { method: 'POST' }) => {
    let id: string | undefined;
    const settled = service.settled(() => id);
    const res = await service.api<OperationView>(path, init);
    if (res.status !== 202) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    id = res.body.id;
    return settled;
  };
  const newToken = async (name: string, roles: string[]) => {
    // No expiresInDays: the documented default.
    const res = await service.api<{ token: string }>('/v1/service-tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, roles, accounts: [ACCOUNT] }),
    });
    if (res.status !== 201) throw new Error(`token: ${JSON.stringify(res.body)}`);
    return res.body.token;
  };
  const latestReport = async () =>
    (
      await service.api<{ items: { id: string; clean: boolean; resources: unknown[] }[] }>(
        `/v1/accounts/${ACCOUNT}/drift-reports?limit=1`,
      )
    ).body.items[0];

  t.test('drift found → converge from the account page → preview → apply → next check clean', async (t) => {
    const put = await service.api(`/v1/accounts/${ACCOUNT}/trail`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ homeRegion: 'eu-west-1', insights: ['ApiCallRateInsight'] }),
    });
    t.equal(put.status, 201);
    t.equal((await run(`/v1/accounts/${ACCOUNT}/trail/applies`)).state, 'succeeded');
    const state = new SandboxState(service.sandboxStateDir);
    const [trail] = state.list({ accountId: ACCOUNT, type: TRAIL_TYPE });
    if (!trail) throw new Error('no trail in the sandbox');
    state.drift(ACCOUNT, TRAIL_TYPE, trail.id, { enableLogging: false });
    t.equal((await run(`/v1/accounts/${ACCOUNT}/drift-checks`)).state, 'succeeded');
    t.equal((await latestReport())?.clean, false, 'drift found');

    const { page, problems } = await browser.page(undefined, { token: service.token });
    page.setDefaultTimeout(LONG);
    await page.goto(`${service.url}/accounts/${ACCOUNT}`);
    const converge = page.getByRole('button', { name: 'Preview converging to the applied spec' });
    await converge.waitFor();
    await converge.click();
    const apply = page.locator('#converge-apply');
    await apply.waitFor();
    t.match(await page.locator('.converge-counts [data-kind="update"]').textContent(), /^1 to update/);
    t.match(await page.locator('.converge-resources').textContent(), /aws:cloudtrail\/trail:Trail/);
    t.equal(
      state.get(ACCOUNT, TRAIL_TYPE, trail.id)?.outputs.enableLogging,
      false,
      'the preview changed nothing',
    );
    await screenshot(page, '10-converge-preview');
    await apply.click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    const result = page.locator('#operation-outcome .result');
    await result.waitFor();
    t.match(await result.getAttribute('class'), /success/, (await result.textContent()) ?? '');
    t.equal(state.get(ACCOUNT, TRAIL_TYPE, trail.id)?.outputs.enableLogging, true, 'logging is on again');

    // The next drift check, from the account page.
    await page.goto(`${service.url}/accounts/${ACCOUNT}`);
    await page.getByRole('button', { name: 'Check for drift now' }).click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    await page.locator('#operation-outcome .result').waitFor();
    // No drifted resource left (the account names no alarm recipient: its unsubscribed topic stays a finding).
    t.same((await latestReport())?.resources, [], 'the next drift check finds no drifted resource');
    await page.goto(`${service.url}/accounts/${ACCOUNT}`);
    await page.locator('#drift .drift-report').first().waitFor();
    t.equal(await page.locator('#converge-button').count(), 0, 'nothing left to converge');
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });

  t.test('converge once the drift is gone: the preview says nothing to change', async (t) => {
    const account = '222233334444';
    const put = await service.api(`/v1/accounts/${account}/trail`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ homeRegion: 'eu-west-1' }),
    });
    t.equal(put.status, 201);
    t.equal((await run(`/v1/accounts/${account}/trail/applies`)).state, 'succeeded');
    const state = new SandboxState(service.sandboxStateDir);
    const [trail] = state.list({ accountId: account, type: TRAIL_TYPE });
    if (!trail) throw new Error('no trail in the sandbox');
    state.drift(account, TRAIL_TYPE, trail.id, { enableLogging: false });
    t.equal((await run(`/v1/accounts/${account}/drift-checks`)).state, 'succeeded');
    // Someone turns logging back on by hand: the report still shows drift, the account has none.
    state.drift(account, TRAIL_TYPE, trail.id, { enableLogging: true });

    const { page, problems } = await browser.page(undefined, { token: service.token });
    page.setDefaultTimeout(LONG);
    await page.goto(`${service.url}/accounts/${account}`);
    await page.getByRole('button', { name: 'Preview converging to the applied spec' }).click();
    const plan = page.locator('#converge-plan');
    await plan.getByText('The account already matches the applied spec.').waitFor();
    t.equal(await page.locator('#converge-progress').textContent(), 'Preview finished: nothing to change.');
    t.equal(await page.locator('#converge-apply').count(), 0, 'nothing to apply');
    // Each child is an element (nodeType 1): no stray text (a null once showed as "null" under the counts).
    t.same(
      await plan.evaluate((el) => [...el.childNodes].filter((n) => n.nodeType !== 1).length),
      0,
      'no text beside the elements of the plan',
    );
    t.notMatch(await plan.textContent(), /null/);
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });

  t.test('a requester apply waits; an approver sees it with the diff, approves it, it runs', async (t) => {
    const requester = await newToken('rita', ['requester']);
    const approver = await newToken('alex', ['approver']);

    // The requester drops Insights in the form: preview (a draft), then apply: it waits.
    const { page, problems } = await browser.page(undefined, { token: requester });
    page.setDefaultTimeout(LONG);
    await page.goto(`${service.url}/?account=${ACCOUNT}`);
    await page.getByText('Editing version 1').waitFor({ timeout: 30_000 });
    await page.getByLabel('API call rate (unusual volumes of write calls)').uncheck();
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const apply = page.locator('#apply-button');
    await apply.waitFor();
    const before = (
      await service.api<{ specVersion: number; status: string }>(`/v1/accounts/${ACCOUNT}/trail`)
    ).body;
    t.same([before.specVersion, before.status], [1, 'applied'], 'the preview stored nothing');
    await apply.click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    const operationId = page.url().split('/').at(-1)!;
    await page.locator('#operation-state').getByText('pending-approval').waitFor();
    t.match(await page.locator('#requested-by').textContent(), /rita/);
    await screenshot(page, '11-apply-waits-for-approval');
    t.same(problems, [], 'no script errors or CSP violations (requester)');
    await page.close();

    // The approver's list: the waiting apply, who asked, the diff, the preview.
    const approverTab = await browser.page(undefined, { token: approver });
    const ap = approverTab.page;
    ap.setDefaultTimeout(LONG);
    await ap.goto(`${service.url}/approvals`);
    const entry = ap.locator(`article.approval[data-operation="${operationId}"]`);
    await entry.waitFor();
    t.match(await entry.locator('.requester').textContent(), /rita/);
    const row = entry.locator('.approval-diff tr[data-path="/insights"]');
    t.match(await row.locator('td.before').textContent(), /ApiCallRateInsight/);
    t.equal((await row.locator('td.after').textContent())?.trim(), '[]');
    t.match(await entry.locator('.approval-preview').textContent(), /confirmed/);
    await screenshot(ap, '12-approvals-list');
    await entry.getByLabel(/Reason/).fill('Insights off in this sandbox account is fine');
    await entry.getByRole('button', { name: 'Approve' }).click();
    await ap.waitForURL(new RegExp(`/operations/${operationId}$`));
    const result = ap.locator('#operation-outcome .result');
    await result.waitFor();
    t.match(await result.getAttribute('class'), /success/, (await result.textContent()) ?? '');
    t.match(
      await ap.locator('#decision-reason').textContent(),
      /Insights off in this sandbox account is fine/,
    );
    t.match(await ap.locator('#decided-by').textContent(), /alex/);
    const after = (
      await service.api<{ appliedVersion: number; status: string; spec: { insights: string[] } }>(
        `/v1/accounts/${ACCOUNT}/trail`,
      )
    ).body;
    t.same([after.appliedVersion, after.status, after.spec.insights], [2, 'applied', []], 'the apply ran');
    await screenshot(ap, '13-approved-and-applied');
    t.same(approverTab.problems, [], 'no script errors or CSP violations (approver)');
    await ap.close();
  });
}
