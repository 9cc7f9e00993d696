// The first hour, as a newcomer lives it, in Chromium: from a fresh data directory, `npm start` as
// the README says (sandbox mode by default, and it says so), sign in with the token `npm run -s
// token` prints, request a trail, read the preview, apply it, cause drift with the README's own
// sandbox commands, find it on the fleet page and the account page, change the request (the preview
// shows old -> new), apply again, and read the history: operations and a diff between two versions.
// Screenshots at 1280 and 390 px under test-output/web/; axe-core on the preview and operation pages.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import t from 'tap';
import { type Browser, CHROMIUM, screenshot, startBrowser } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ACCOUNT = '123456789012';
const TRAIL_TYPE = 'aws:cloudtrail/trail:Trail';
const LONG = 300_000;
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run -s <script> -- args` in the repository, with the newcomer's environment. */
async function npmRun(env: NodeJS.ProcessEnv, script: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'npm',
    ['run', '-s', script, ...(args.length ? ['--', ...args] : [])],
    {
      cwd: ROOT,
      env,
    },
  );
  return stdout;
}

/** Serious and critical axe-core violations on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate<{
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  }>(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })`);
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function both(page: Page, name: string): Promise<void> {
  await page.setViewportSize(WIDE);
  await screenshot(page, `first-hour-${name}-1280`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `first-hour-${name}-390`);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  t.ok(overflow <= 0, `${name}: no horizontal scrolling at 390 px (overflow ${overflow}px)`);
  await page.setViewportSize(WIDE);
}

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
} else {
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-first-hour-'));
  let service: ChildProcess | undefined;
  let browser: Browser | undefined;
  let base = '';
  // Nothing set but where the data goes and a free port: the README's defaults otherwise.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const k of [
    'TRAILWARDEN_MODE',
    'TRAILWARDEN_SANDBOX',
    'TRAILWARDEN_SANDBOX_DIR',
    'DATABASE_URL',
    'LOG_FORMAT',
  ])
    delete env[k];

  t.before(async () => {
    env.PORT = String(await freePort());
    base = `http://127.0.0.1:${env.PORT}`;
    // Its own process group, so teardown stops npm, its shell and the service together.
    service = spawn('npm', ['start'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: service.stdout! });
    const logs: string[] = [];
    await new Promise<void>((resolve, reject) => {
      service!.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${logs.join('\n')}`)));
      lines.on('line', (line) => {
        logs.push(line);
        if (line.includes('first token:')) resolve();
      });
    });
    t.ok(
      logs.some((l) => l.includes('mode sandbox') && l.includes('Sandbox: nothing in AWS is changed')),
      'the startup log says sandbox mode',
    );
    t.ok(
      logs.some((l) => l.includes(`first token: cat ${join(dataDir, 'secrets', 'bootstrap-token')}`)),
      'the startup log says how to get the first token',
    );
    browser = await startBrowser();
  });
  t.teardown(async () => {
    await browser?.close();
    if (service?.pid && service.exitCode === null) {
      const exited = new Promise((resolve) => service!.once('exit', resolve));
      process.kill(-service.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  t.test('from a fresh clone to a converged account, its drift and its history', async (t) => {
    const ready = await (await fetch(`${base}/readyz`)).json();
    t.match(ready, { status: 'ready', mode: 'sandbox', notice: 'Sandbox: nothing in AWS is changed' });

    const token = (await npmRun(env, 'token')).trim();
    t.match(token, /^twst_/, 'npm run -s token prints the bootstrap token');

    const { page, problems } = await browser!.page(WIDE);
    page.setDefaultTimeout(LONG);
    await page.goto(`${base}/`);
    const banner = page.locator('#mode-banner');
    await banner.waitFor();
    t.equal(await banner.textContent(), 'Sandbox: nothing in AWS is changed', 'the banner on every page');
    await page.getByText('Sign in', { exact: true }).click();
    t.match(await page.locator('#token-source').textContent(), /npm run token/, 'the sign-in box says where');
    await screenshot(page, 'first-hour-01-sign-in-1280');
    await page.getByLabel('Access token').fill(token);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Save token' }).click()]);
    await page.waitForSelector('#request-form');

    // Request a trail: the README's example account, the CIS alarm set.
    await page.getByLabel('AWS account id').fill(ACCOUNT);
    await page.getByLabel('Home region').selectOption('eu-west-1');
    await page.getByLabel('Alarm set').selectOption('cis');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const apply = page.locator('#apply-button');
    await apply.waitFor();
    const creates = await page.locator('.plan li[data-change="create"]').count();
    t.ok(creates > 20, `the plan lists what it creates (${creates})`);
    t.equal(await page.locator('.count-create .count-number').textContent(), String(creates), 'counts agree');
    const groups = await page
      .locator('.plan-group')
      .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { group: string } }).dataset.group));
    for (const g of ['key', 'bucket', 'trail:eu-west-1', 'delivery', 'alarms', 'watch'])
      t.ok(groups.includes(g), `a ${g} group`);
    t.match(await apply.textContent(), new RegExp(`Apply ${creates} changes to account ${ACCOUNT}`));
    t.match(await page.locator('.confirm').textContent(), /No approval needed/);
    t.match(await page.locator('.confirm').textContent(), /No Insights and no data events/);
    t.same(await axeViolations(page), [], 'preview page: no serious or critical accessibility violations');
    await both(page, '02-preview');
    await page.setViewportSize(PHONE);
    await apply.scrollIntoViewIfNeeded();
    const height = (await page.locator('#preview').boundingBox())?.height ?? Infinity;
    t.ok(height < 2500, `the preview stays short on a phone (${Math.round(height)}px): groups fold`);
    t.ok(await apply.isVisible(), 'Apply is reachable on a phone');
    await page.setViewportSize(WIDE);

    await apply.click();
    await page.waitForURL(/\/operations\/[0-9a-f-]{36}$/);
    await page.locator('#operation-progress-bar[max]').waitFor();
    t.equal(
      await page.locator('#operation-progress-bar').getAttribute('max'),
      String(creates),
      'total from the plan',
    );
    const result = page.locator('#operation-outcome .result');
    await result.waitFor({ timeout: LONG });
    t.match(await page.locator('#result-title').textContent(), /Apply succeeded/);
    t.equal(
      await page.locator('#operation-progress-bar').getAttribute('value'),
      String(creates),
      'a full bar at the end',
    );
    const trailRow = page.locator('#outputs tr[data-output="trailArns eu-west-1"]');
    t.match(await trailRow.textContent(), /arn:aws:cloudtrail:eu-west-1:123456789012:trail\//);
    t.match(
      await trailRow.locator('a').getAttribute('href'),
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudtrailv2\//,
    );
    const resultBox = await result.boundingBox();
    const listBox = await page.locator('#resource-progress').boundingBox();
    t.ok(resultBox && listBox && resultBox.y < listBox.y, 'the result is on top');
    t.same(await axeViolations(page), [], 'operation page: no serious or critical accessibility violations');
    await both(page, '03-apply-succeeded');

    // Drift, with the README's own sandbox commands.
    const listed = await npmRun(env, 'sandbox', 'list', '--account', ACCOUNT, '--type', TRAIL_TYPE);
    const trailId = listed.trim().split(/\s+/).at(-1)!;
    t.match(trailId, /^arn:aws:cloudtrail:/);
    t.match(
      await npmRun(
        env,
        'sandbox',
        'drift',
        '--account',
        ACCOUNT,
        '--type',
        TRAIL_TYPE,
        '--id',
        trailId,
        '--set',
        'enableLogging=false',
      ),
      /drifted/,
    );
    await page.goto(`${base}/accounts/${ACCOUNT}`);
    await page.getByRole('button', { name: 'Check for drift now' }).click();
    await page.waitForURL(/\/operations\//);
    await page.locator('#operation-outcome .result').waitFor({ timeout: LONG });
    t.match(await page.locator('#result-title').textContent(), /Drift check succeeded/);

    await page.goto(`${base}/drift`);
    const fleetRow = page.locator(`#fleet-table tr[data-account="${ACCOUNT}"]`);
    await fleetRow.waitFor();
    const severity = await fleetRow.getAttribute('data-severity');
    t.ok(severity && ['critical', 'high'].includes(severity), `the fleet page shows the drift (${severity})`);
    await page.getByLabel('Severity', { exact: true }).selectOption('none');
    await Promise.all([
      page.waitForURL(/severity=none/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    await page.getByText('No account matches these filters.').waitFor();
    await page.goto(`${base}/drift`);
    await fleetRow.waitFor();
    await both(page, '04-fleet-drift');

    await page.goto(`${base}/accounts/${ACCOUNT}`);
    const property = page.locator('.drift-table tr[data-path="enableLogging"]');
    await property.waitFor();
    t.equal((await property.locator('td.expected').textContent())?.trim(), 'true');
    t.equal((await property.locator('td.actual').textContent())?.trim(), 'false');
    t.match(
      await page.locator('.drift-report h4').first().textContent(),
      /changed/,
      'a finding is "changed"',
    );
    t.notMatch(await page.locator('#drift').textContent(), /\b(update|delete|modified)\b/, 'no action words');
    await both(page, '05-account-drifted');

    // A second version: the preview shows old -> new, the apply converges the drift too.
    await page.getByRole('link', { name: 'Change the request' }).click();
    await page.waitForSelector('#request-form');
    await page.getByText('Editing version 1').waitFor();
    await page.getByLabel('Keep logs searchable in CloudWatch Logs for (days)').selectOption('731');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await apply.waitFor();
    const changed = page.locator('.plan-group[data-group="delivery"] tr[data-path="retentionInDays"]');
    await changed.waitFor();
    t.equal((await changed.locator('td.old').textContent())?.trim(), '365');
    t.equal((await changed.locator('td.new').textContent())?.trim(), '731');
    await both(page, '06-preview-of-a-change');
    await apply.click();
    await page.waitForURL(/\/operations\//);
    await page.locator('#operation-outcome .result').waitFor({ timeout: LONG });
    t.match(await page.locator('#result-title').textContent(), /Apply succeeded/);
    // The log group's retention, and the trail whose logging was switched off behind our back.
    t.match(await page.locator('#result-counts').textContent(), /AWS resources: 2 updated, 49 unchanged/);

    // The drift shown is older than this apply: the page says so, and a new check shows it converged.
    await page.goto(`${base}/accounts/${ACCOUNT}`);
    await page.locator('#drift-stale').waitFor();
    await page.getByRole('button', { name: 'Check for drift now' }).click();
    await page.waitForURL(/\/operations\//);
    await page.locator('#operation-outcome .result').waitFor({ timeout: LONG });
    await page.goto(`${base}/accounts/${ACCOUNT}`);
    await page.locator('.drift-report').first().waitFor();
    // Converged: the new check finds no drifted resource. The request names no alarm recipient, so
    // "nobody receives the alarms" stays a (true) high finding.
    const latest = page.locator('.drift-report').first();
    t.equal(await latest.locator('.drifted-resource').count(), 0, 'converged: no drifted resource');
    t.match(await latest.textContent(), /nobody receives the alarms/, 'the unsubscribed topic is still said');
    t.equal(await page.locator('#drift-stale').count(), 0);
    const ops = page.locator('#operations-table tbody tr[data-operation]');
    await ops.first().waitFor();
    const kinds = await ops.evaluateAll((els) =>
      els.map((e) => (e as unknown as { dataset: { kind: string } }).dataset.kind),
    );
    t.same(
      kinds,
      ['refresh-preview', 'apply', 'preview', 'refresh-preview', 'apply', 'preview'],
      'every operation, newest first',
    );
    t.equal(await page.locator('#versions-table tbody tr').count(), 2, 'two versions');
    const diffRow = page.locator('#version-diff tr[data-path="retention.cloudWatchLogsDays"]');
    await diffRow.waitFor();
    t.equal((await diffRow.locator('td.old').textContent())?.trim(), '365');
    t.equal((await diffRow.locator('td.new').textContent())?.trim(), '731');
    t.match(await page.locator('#account-outputs').textContent(), /arn:aws:kms:/);
    t.ok(
      await page.locator('#decommission input#retain-yes').isChecked(),
      'decommission keeps the data by default',
    );
    await both(page, '07-account-history');
    t.same(problems, [], 'no script errors or CSP violations');
    await page.close();
  });
}
