// "An alarm nobody receives is a hole", end to end: the real engine applies a baseline with an email
// recipient to the sandbox, which (like SNS) keeps the subscription pending until the recipient
// confirms. Coverage says nobody receives the alarms and a drift check reports a high finding, shown
// on the account page; once the recipient confirms, the next drift check is clean and coverage says
// the alarms are delivered.
import { existsSync } from 'node:fs';
import t from 'tap';
import type { OperationView } from '../../src/operations/schemas.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { type Browser, CHROMIUM, type Service, startBrowser, startService } from '../web/harness.ts';

const ACCOUNT = '555566667777';
const SUBSCRIPTION = 'aws:sns/topicSubscription:TopicSubscription';
const LONG = 300_000;

type Coverage = {
  delivery: { status: string };
  deliveryReadFrom: { source: string } | null;
  warnings: string[];
};
type Report = {
  clean: boolean;
  severity: string | null;
  findings?: { id: string; severity: string }[];
  resources: unknown[];
};

let service: Service;
t.before(async () => {
  service = await startService();
});
t.teardown(() => service?.close());

async function run(path: string): Promise<OperationView> {
  let id: string | undefined;
  const settled = service.settled(() => id);
  const res = await service.api<OperationView>(path, { method: 'POST' });
  if (res.status !== 202) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  id = res.body.id;
  await settled;
  return (await service.api<OperationView>(`/v1/operations/${id}`)).body;
}
const coverage = async () => (await service.api<Coverage>(`/v1/accounts/${ACCOUNT}/coverage`)).body;
const latestReport = async () =>
  (await service.api<{ items: Report[] }>(`/v1/accounts/${ACCOUNT}/drift-reports?limit=1`)).body.items[0]!;

t.test('pending, then confirmed', { timeout: LONG }, async (t) => {
  const put = await service.api(`/v1/accounts/${ACCOUNT}/trail`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ homeRegion: 'us-east-1', alarms: { notify: { emails: ['secops@example.com'] } } }),
  });
  t.equal(put.status, 201);
  t.equal((await coverage()).delivery.status, 'unknown', 'before the apply');

  const applied = await run(`/v1/accounts/${ACCOUNT}/trail/applies`);
  t.equal(applied.state, 'succeeded', JSON.stringify(applied.error));
  t.match(applied.outputs?.alarmSubscriptions, [{ protocol: 'email', pendingConfirmation: true }]);
  let c = await coverage();
  t.equal(c.delivery.status, 'unconfirmed', 'the email is pending confirmation: nobody receives the alarms');
  t.equal(c.deliveryReadFrom?.source, 'apply');

  const check = await run(`/v1/accounts/${ACCOUNT}/drift-checks`);
  t.equal(check.state, 'succeeded');
  let report = await latestReport();
  t.match(report, { clean: false, severity: 'high', resources: [] });
  t.match(report.findings, [{ id: 'alarm-topic-unsubscribed', severity: 'high' }]);

  if (existsSync(CHROMIUM)) {
    const browser: Browser = await startBrowser();
    t.teardown(() => browser.close());
    const { page, problems } = await browser.page(undefined, { token: service.token });
    await page.goto(`${service.url}/accounts/${ACCOUNT}`);
    await page.locator('[data-finding="alarm-topic-unsubscribed"]').waitFor();
    await page.locator('#coverage .coverage-warnings').waitFor();
    t.match(await page.locator('#coverage .coverage-warnings').textContent(), /nobody receives/);
    t.same(problems, []);
  }

  // The recipient follows SNS's confirmation link.
  const state = new SandboxState(service.sandboxStateDir);
  const subs = state.list({ accountId: ACCOUNT, type: SUBSCRIPTION });
  t.equal(subs.length, 1);
  for (const rec of subs) {
    rec.outputs.pendingConfirmation = false;
    state.put(rec);
  }
  await run(`/v1/accounts/${ACCOUNT}/drift-checks`);
  report = await latestReport();
  t.match(report, { clean: true, severity: null, resources: [] }, 'a confirmation is no drift');
  t.notOk(report.findings);
  c = await coverage();
  t.equal(c.delivery.status, 'confirmed');
  t.equal(c.deliveryReadFrom?.source, 'drift-check');
  t.notOk(c.warnings.some((w) => /nobody receives/.test(w)));
});
