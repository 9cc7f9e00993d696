// The self-service pages in a real browser against the real service in sandbox mode: field errors
// (one from the schema in the browser, one only the server knows), preview → confirm → apply →
// live progress → outputs, and a drifted account's report. One full apply in all.
import { existsSync } from 'node:fs';
import t from 'tap';
import type { OperationView } from '../../src/operations/schemas.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import {
  type Browser,
  CHROMIUM,
  isFocused,
  type Service,
  screenshot,
  startBrowser,
  startService,
  unlabelledControls,
} from './harness.ts';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '999999999999';
const MANAGEMENT_ACCOUNT = '999988887777';
const TRAIL_TYPE = 'aws:cloudtrail/trail:Trail';
const LONG = 240_000;

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
} else {
  let service: Service;
  let browser: Browser;
  t.before(async () => {
    service = await startService({ managementAccountId: MANAGEMENT_ACCOUNT });
    browser = await startBrowser();
  });
  t.teardown(async () => {
    await browser?.close();
    await service?.close();
  });

  t.test('pages are served with their assets under the strict CSP', async (t) => {
    const res = await fetch(`${service.url}/`);
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /text\/html/);
    t.match(res.headers.get('content-security-policy'), /script-src 'self'/);
    const html = await res.text();
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    t.notMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    for (const path of [
      '/accounts',
      `/accounts/${ACCOUNT}`,
      '/operations/x',
      '/assets/app.js',
      '/assets/app.css',
    ]) {
      t.equal((await fetch(service.url + path)).status, 200, path);
    }
    t.equal((await fetch(`${service.url}/assets/..%2Fplugin.ts`)).status, 404, 'nothing outside public/');
    t.equal((await fetch(`${service.url}/assets/nope.js`)).status, 404);
    t.equal((await fetch(`${service.url}/v1/alarm-sets`)).status, 401, 'the API behind them needs a token');
    const doc = await service.api<{ paths: Record<string, unknown> }>('/openapi.json');
    t.notOk(doc.body.paths['/'], 'the pages are not API routes in the OpenAPI document');
  });

  t.test(
    'an invalid request shows field errors: one from the schema, one only the server finds',
    async (t) => {
      // Phone width: the form must work there too.
      const { page, problems } = await browser.page({ width: 390, height: 844 }, { token: service.token });
      await page.goto(`${service.url}/`);
      await page.waitForSelector('#request-form');
      t.same(await unlabelledControls(page), [], 'every control has a label');

      // The organization trail is offered only to the management account.
      const org = page.getByRole('region', { name: 'Organization' });
      await page.getByLabel('AWS account id').fill(MANAGEMENT_ACCOUNT);
      t.ok(await org.isVisible(), 'organization trail offered to the management account');
      await page.getByLabel('AWS account id').fill('12345');
      t.ok(await org.isHidden(), 'and to no other account');
      await page.getByLabel('Home region').selectOption('eu-west-1');
      await page.getByRole('button', { name: 'Add a data event scope' }).click();
      const kind = page.getByLabel('Kind', { exact: true });
      t.equal(await isFocused(kind), true, 'focus moves to the new row');
      await kind.selectOption('lambda');
      // Rows can be added and removed; focus lands somewhere useful.
      await page.getByRole('button', { name: 'Add a data event scope' }).click();
      await page.getByRole('button', { name: 'Remove data event scope 2' }).click();
      t.equal(await page.locator('fieldset.data-row').count(), 1, 'the second row is gone');
      t.ok(
        await isFocused(page.getByRole('button', { name: 'Add a data event scope' })),
        'focus back on Add',
      );
      await page
        .getByLabel('Resource ARNs')
        .fill(`arn:aws:lambda:eu-west-1:${OTHER_ACCOUNT}:function:someone-elses-function`);
      await page.getByLabel('Move logs to archive storage after (days)').fill('0');
      // Keyboard only: Tab from the top of the page reaches the Preview button, Enter submits.
      await page.locator('.skip-link').focus();
      const preview = page.getByRole('button', { name: 'Preview changes' });
      let tabs = 0;
      while (!(await isFocused(preview)) && tabs < 200) {
        await page.keyboard.press('Tab');
        tabs += 1;
      }
      t.ok(
        (await isFocused(preview)) && tabs > 10,
        `from the top of the page, Tab reaches the Preview button (${tabs} presses)`,
      );
      await page.keyboard.press('Enter');

      // Caught in the browser from the OpenAPI schema: the account id pattern and the minimum.
      const accountError = page.locator('[data-pointer="params:/accountId"] .error-message');
      await accountError.waitFor();
      t.match(await accountError.textContent(), /12 digits/);
      const account = page.getByLabel('AWS account id');
      t.equal(await account.getAttribute('aria-invalid'), 'true');
      t.match(await account.getAttribute('aria-describedby'), (await accountError.getAttribute('id')) ?? '-');
      t.match(
        await page.locator('[data-pointer="/retention/archiveAfterDays"] .error-message').textContent(),
        /at least 1/,
      );
      t.equal(
        await isFocused(page.locator('#error-summary')),
        true,
        'the error summary takes focus (role=alert announces it)',
      );
      t.equal(await page.locator('#error-summary').getAttribute('role'), 'alert');
      t.equal((await service.api(`/v1/accounts/${ACCOUNT}/trail`)).status, 404, 'nothing was sent');
      await screenshot(page, '01-client-side-errors-phone');

      // Fix those: now only the server can tell the Lambda belongs to another account.
      await account.fill(ACCOUNT);
      await page.getByLabel('Move logs to archive storage after (days)').fill('90');
      await page.getByRole('button', { name: 'Preview changes' }).click();
      const arnError = page.locator('[data-pointer="/dataEvents/0/resources"] .error-message');
      await arnError.waitFor();
      t.match(await arnError.textContent(), new RegExp(`belongs to account ${OTHER_ACCOUNT}`));
      t.equal(await page.getByLabel('Resource ARNs').getAttribute('aria-invalid'), 'true');
      t.equal(await account.getAttribute('aria-invalid'), null, 'the fixed field is no longer invalid');
      t.match(await page.locator('#error-summary').textContent(), /did not accept/);
      t.ok(await page.locator('#preview').isHidden(), 'no preview for a refused request');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      t.ok(overflow <= 0, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
      await screenshot(page, '02-server-side-error-phone');
      await arnError.scrollIntoViewIfNeeded();
      await screenshot(page, '02b-server-side-error-phone-viewport', false);
      t.same(problems, [], 'no script errors or CSP violations');
      await page.close();
    },
  );

  t.test('an edit of a data event scope after the coverage refreshed is what the form sends', async (t) => {
    const { page, problems } = await browser.page(undefined, { token: service.token });
    await page.goto(`${service.url}/`);
    await page.waitForSelector('#request-form');
    await page.getByLabel('AWS account id').fill(ACCOUNT);
    await page.getByRole('button', { name: 'Add a data event scope' }).click();
    await page.getByLabel('Kind', { exact: true }).selectOption('lambda');
    const arns = page.getByLabel('Resource ARNs');
    await arns.fill(`arn:aws:lambda:eu-west-1:${OTHER_ACCOUNT}:function:someone-elses-function`);
    // Leaving the field is a change: the coverage box reads the form and asks the service.
    const coverage = page.waitForResponse((r) => r.url().endsWith('/v1/coverage-reports'));
    await arns.press('Tab');
    await coverage;
    await arns.fill('');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const arnError = page.locator('[data-pointer="/dataEvents/0/resources"] .error-message');
    await arnError.waitFor();
    t.match(await arnError.textContent(), /must list at least one/, 'the emptied field, not the old ARNs');
    t.equal((await service.api(`/v1/accounts/${ACCOUNT}/trail`)).status, 404, 'nothing was sent');
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });

  t.test('a valid request: preview, confirmation, apply, live progress, outputs', async (t) => {
    const { page, problems } = await browser.page(undefined, { token: service.token });
    page.setDefaultTimeout(LONG);
    await page.goto(`${service.url}/`);
    await page.waitForSelector('#request-form');
    await page.getByLabel('AWS account id').fill(ACCOUNT);
    await page.getByLabel('Home region').selectOption('eu-west-1');
    // The alarm set lists its alarms, from GET /v1/alarm-sets.
    t.ok((await page.locator('#alarm-entries li').count()) > 0, 'the alarm set lists its entries');
    await page.getByLabel('Email addresses to notify').fill('secops@example.com');
    t.match(await page.locator('.cost-note').textContent(), /Costs money/);
    await page.getByRole('button', { name: 'Preview changes' }).click();

    const apply = page.locator('#apply-button');
    await apply.waitFor();
    const counts = await page.locator('.change-counts').textContent();
    t.match(counts, /to create/);
    const creates = await page.locator('.plan li[data-change="create"]').count();
    t.ok(creates > 5, `the plan lists the resources to create (${creates})`);
    t.equal(
      await page.locator('.count-create .count-number').textContent(),
      String(creates),
      'the count agrees with the list',
    );
    t.match(
      await page.locator('.plan-group[data-group="trail:eu-west-1"]').textContent(),
      /aws:cloudtrail\/trail:Trail/,
    );
    t.match(await page.locator('.confirm').textContent(), /No approval needed/);
    t.match(await apply.textContent(), new RegExp(`Apply \\d+ changes to account ${ACCOUNT}`));
    await screenshot(page, '03-preview-and-confirmation');
    const trail = await service.api<{ specVersion: number; status: string }>(`/v1/accounts/${ACCOUNT}/trail`);
    t.equal(trail.status, 404, 'the preview of a draft stored nothing (it is saved when applied)');

    await apply.click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    // Resource rows appear as the events stream in.
    await page.locator('#resource-progress li').first().waitFor();
    const result = page.locator('#operation-outcome .result');
    await result.waitFor({ timeout: LONG });
    t.match(await result.getAttribute('class'), /success/, (await result.textContent()) ?? '');
    t.match(await page.locator('#result-title').textContent(), /Apply succeeded/);
    const outputs = await page.locator('#outputs tbody th').allTextContents();
    t.ok(outputs.length > 0, `outputs shown: ${outputs.join(', ')}`);
    const rows = page.locator('#resource-progress li');
    t.ok((await rows.count()) >= creates, 'every resource has a row');
    t.equal(
      await page.locator('#resource-progress li[data-status="done"]').count(),
      await rows.count(),
      'all done',
    );
    t.match(await page.locator('#operation-state').textContent(), /succeeded/);
    await screenshot(page, '04-apply-succeeded-with-outputs');
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });

  t.test('a drifted account shows its drift report, expected vs actual', async (t) => {
    const state = new SandboxState(service.sandboxStateDir);
    const [trail] = state.list({ accountId: ACCOUNT, type: TRAIL_TYPE });
    t.ok(trail, 'the apply created the trail in the sandbox');
    if (!trail) return;
    state.drift(ACCOUNT, TRAIL_TYPE, trail.id, { enableLogging: false });

    let opId: string | undefined;
    const settled = service.settled(() => opId);
    const created = await service.api<OperationView>(`/v1/accounts/${ACCOUNT}/drift-checks`, {
      method: 'POST',
    });
    t.equal(created.status, 202);
    opId = created.body.id;
    const done = await settled;
    t.equal(done.state, 'succeeded');

    const { page, problems } = await browser.page();
    // Sign in through the box: the token stays in the tab and goes to the API as a bearer token.
    const authorizations = new Set<string>();
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.startsWith('/v1/'))
        authorizations.add(req.headers().authorization ?? '');
    });
    await page.goto(`${service.url}/accounts`);
    await page.getByText('Sign in', { exact: true }).click();
    await page.getByLabel('Access token').fill(service.token);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save token' }).click()]);
    await page.locator(`tr[data-account="${ACCOUNT}"]`).waitFor();
    t.ok(authorizations.has(`Bearer ${service.token}`), 'API calls carry the bearer token');
    t.equal(await page.locator('#sign-in-summary').textContent(), 'Signed in');
    const row = page.locator(`tr[data-account="${ACCOUNT}"]`);
    await row.waitFor();
    t.match(await row.textContent(), /applied/);
    t.notMatch(await row.locator('td').nth(1).textContent(), /none|unknown/, 'drift severity shown');
    await screenshot(page, '05-accounts-with-drift');

    await row.getByRole('link', { name: ACCOUNT }).click();
    await page.waitForURL(new RegExp(`/accounts/${ACCOUNT}$`));
    const property = page.locator('.drift-table tr[data-path="enableLogging"]');
    await property.waitFor();
    t.equal((await property.locator('td.expected').textContent())?.trim(), 'true');
    t.equal((await property.locator('td.actual').textContent())?.trim(), 'false');
    t.match(await page.locator('.drift-report h4').first().textContent(), /aws:cloudtrail\/trail:Trail/);
    t.match(await page.locator('#spec tr[data-path="homeRegion"]').textContent(), /eu-west-1/);
    t.match(await page.locator('#operations-table tbody tr').first().textContent(), /Drift check/);
    await screenshot(page, '06-account-drift-report');
    // "Change the request" opens the form with the stored spec.
    await page.getByRole('link', { name: 'Change the request' }).click();
    await page.waitForSelector('#request-form');
    await page.getByText('Editing version 1').waitFor();
    t.equal(await page.getByLabel('AWS account id').inputValue(), ACCOUNT);
    t.equal(await page.getByLabel('Email addresses to notify').inputValue(), 'secops@example.com');
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });
}
