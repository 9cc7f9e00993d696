// Coverage on the pages, in a real browser against the real service (sandbox mode, no engine run):
// the account page shows the report and the warnings of acknowledged gaps; the form shows the
// coverage of the request before any preview, lets the user accept a gap, and the service refuses
// the request when a blind alarm is not accepted.
import { existsSync } from 'node:fs';
import t from 'tap';
import {
  type Browser,
  CHROMIUM,
  type Service,
  startBrowser,
  startService,
  unlabelledControls,
} from '../web/harness.ts';

const ACCOUNT = '111122223333';
const request = {
  homeRegion: 'eu-west-1',
  managementEvents: { excludedSources: ['kms.amazonaws.com'] },
  alarms: { set: 'cis' },
  acknowledgedGaps: ['unauthorized-api-calls', 'root-account-usage', 'cmk-disable-or-deletion'],
};

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no Chromium at ${CHROMIUM}`);
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

  t.test('the account page shows coverage and the warnings of acknowledged gaps', async (t) => {
    const put = await service.api(`/v1/accounts/${ACCOUNT}/trail`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    t.equal(put.status, 201);
    const { page, problems } = await browser.page(undefined, { token: service.token });
    await page.goto(`${service.url}/accounts/${ACCOUNT}`);
    const coverage = page.locator('#coverage');
    await coverage.getByRole('heading', { name: 'Coverage' }).waitFor();
    t.match(
      await coverage.locator('.coverage-warnings').textContent(),
      /acknowledged gap: cmk-disable-or-deletion/,
    );
    t.match(
      await coverage.locator('.coverage-warnings').textContent(),
      /nobody/i,
      'no recipient: nobody receives',
    );
    const cmk = coverage.locator('tr[data-entry="cmk-disable-or-deletion"]');
    t.equal(await cmk.getAttribute('data-status'), 'blind');
    t.match(await cmk.textContent(), /excludedSources\/0/);
    t.equal(await coverage.locator('tr[data-entry="vpc-changes"]').getAttribute('data-status'), 'covered');
    t.equal(await coverage.locator('tr[data-control]').count(), 21, 'every Security Hub control');
    t.same(problems, []);
  });

  t.test('the form shows coverage before a preview; an unaccepted blind alarm is refused', async (t) => {
    const { page, problems } = await browser.page(undefined, { token: service.token });
    await page.goto(`${service.url}/?account=${ACCOUNT}`);
    const box = page.locator('#request-coverage');
    const accept = box.locator('input[data-entry="cmk-disable-or-deletion"]');
    await accept.waitFor();
    t.equal(await accept.isChecked(), true, 'the stored acknowledgement is loaded');
    t.same(await unlabelledControls(page), [], 'every control has a label');
    await accept.uncheck();
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const errors = page.locator('[role="alert"]').filter({ hasText: 'cmk-disable-or-deletion' });
    await errors.first().waitFor();
    t.match(
      await errors.first().textContent(),
      /acknowledgedGaps|accept/i,
      'the service names the blind alarm',
    );
    const stored = await service.api<{ specVersion: number }>(`/v1/accounts/${ACCOUNT}/trail`);
    t.equal(stored.body.specVersion, 1, 'nothing stored');

    // Changing the request updates the coverage: with all management events, nothing is blind.
    await page.goto(`${service.url}/`);
    await page.getByLabel('AWS account id').fill('444455556666');
    await page.getByLabel('Home region').selectOption('eu-central-1');
    await box.locator('tr[data-entry]').first().waitFor();
    t.equal(
      await box.locator('tr[data-entry][data-status="blind"]').count(),
      0,
      'the default request blinds no alarm',
    );
    t.same(problems, []);
  });
}
