// Reconciliation through the real Pulumi CLI and the sandbox provider. Drift is made behind the
// engine's back (SandboxState.drift/remove); the drift reports must name the resource, property,
// expected and actual values and the severity; `report` leaves drift in place, `remediate` and
// `remediate-critical` converge it and the next check is clean. One account's engine fails
// (injected): the others complete, the failure is reported with its cause, and the webhook gets
// one signed summary per run.
//
// Cost: two real ups (one full baseline with data events, one minimal), then two reconciliations.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { testConfig } from '../../src/config.ts';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { DestroyOptions, OperationResult, RunOptions, TrailEngine } from '../../src/engine/types.ts';
import { verifyWebhookSignature } from '../../src/notify/webhook.ts';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { openStores } from '../../src/stores.ts';
import type { ResolvedTrailRequest } from '../../src/trail-request/schema.ts';
import { alarmCatalog } from '../../stacks/alarms/catalog.ts';
import { accountTrailProgram } from '../../stacks/program.ts';
import { withDefaultAuthorization } from '../api/helpers.ts';
import { tempDir } from '../helpers/engine.ts';

const A = '123456789012'; // full baseline, several critical drifts
const B = '210987654321'; // minimal baseline
const C = '333344445555'; // its engine fails
const SECRET = 'test-webhook-secret-0123456789';

const TRAIL = 'aws:cloudtrail/trail:Trail';
const BUCKET_POLICY = 'aws:s3/bucketPolicy:BucketPolicy';
const KEY = 'aws:kms/key:Key';

/** The real engine, except that every drift check of the given accounts fails like an AWS denial. */
class FailingFor implements TrailEngine {
  readonly #inner: TrailEngine;
  readonly #failing: ReadonlySet<string>;
  constructor(inner: TrailEngine, failing: ReadonlySet<string>) {
    this.#inner = inner;
    this.#failing = failing;
  }
  #fail(accountId: string): Promise<never> {
    return Promise.reject(
      new EngineError(
        'the engine failed: AccessDenied: assume role',
        `AccessDenied: User is not authorized to perform: sts:AssumeRole on arn:aws:iam::${accountId}:role/TrailwardenDeployer`,
      ),
    );
  }
  preview(a: string, r: ResolvedTrailRequest, o?: RunOptions): Promise<OperationResult> {
    return this.#inner.preview(a, r, o);
  }
  up(a: string, r: ResolvedTrailRequest, o?: RunOptions): Promise<OperationResult> {
    return this.#failing.has(a) ? this.#fail(a) : this.#inner.up(a, r, o);
  }
  refreshPreview(a: string, r: ResolvedTrailRequest, o?: RunOptions): Promise<OperationResult> {
    return this.#failing.has(a) ? this.#fail(a) : this.#inner.refreshPreview(a, r, o);
  }
  refresh(a: string, r: ResolvedTrailRequest, o?: RunOptions): Promise<OperationResult> {
    return this.#inner.refresh(a, r, o);
  }
  destroy(a: string, r: ResolvedTrailRequest, o?: DestroyOptions): Promise<OperationResult> {
    return this.#inner.destroy(a, r, o);
  }
  cancelStaleLock(a: string): Promise<void> {
    return this.#inner.cancelStaleLock(a);
  }
  cliVersion(): Promise<string> {
    return this.#inner.cliVersion();
  }
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1:0; next() resolves with the next request it gets. */
async function webhookReceiver() {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      waiters.shift()?.(r);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let handedOut = 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/trailwarden`,
    received,
    next(): Promise<Received> {
      const existing = received[handedOut];
      handedOut++;
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the recipient's click on SNS's confirmation link does to the subscriptions' state. */
function confirmSubscriptions(state: SandboxState, accountId: string) {
  for (const rec of state.list({ accountId, type: 'aws:sns/topicSubscription:TopicSubscription' })) {
    rec.outputs.pendingConfirmation = false;
    state.put(rec);
  }
}

async function apply(app: FastifyInstance, accountId: string, body: object) {
  const put = await app.inject({ method: 'PUT', url: `/v1/accounts/${accountId}/trail`, payload: body });
  if (put.statusCode >= 300) throw new Error(`PUT ${accountId}: ${put.body}`);
  const op = (await app.inject({ method: 'POST', url: `/v1/accounts/${accountId}/trail/applies` })).json();
  return app.operationQueue.settled(op.id);
}

async function reconcile(app: FastifyInstance) {
  const started = await app.inject({ method: 'POST', url: '/v1/reconciliations' });
  if (started.statusCode !== 202) throw new Error(`POST /v1/reconciliations: ${started.body}`);
  await app.reconciler.whenFinished(started.json().id);
  return (await app.inject({ method: 'GET', url: started.headers.location as string })).json();
}

async function latestReport(app: FastifyInstance, accountId: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/drift-reports?limit=1` });
  return res.json().items[0];
}

function outcomeOf(run: { accounts: { accountId: string }[] }, accountId: string) {
  return run.accounts.find((a) => a.accountId === accountId) as unknown as Record<string, unknown> & {
    outcome: string;
    severity: string | null;
    error: { code: string; message: string; engineMessage?: string } | null;
  };
}

t.test('nightly reconciliation through the real engine', async (t) => {
  const dir = await tempDir(t);
  const state = new SandboxState(`${dir}/sandbox`);
  const engine = new FailingFor(
    new AccountStacks({
      dataDir: `${dir}/data`,
      passphrase: 'test-passphrase',
      sandbox: { stateDir: state.root, pluginBinDir: await installSandboxPlugin(`${dir}/bin`) },
      programFor: accountTrailProgram,
    }),
    new Set([C]),
  );
  const hooks = await webhookReceiver();
  t.teardown(hooks.close);
  const store = await openStores('sqlite::memory:');
  // Secured as src/main.ts secures it; every call below is an admin's.
  const security = await createSecurity({ stores: store, auth: testAuthConfig(), dataDir: dir });
  const app = await buildApp({
    config: testConfig({
      dataDir: dir,
      maxConcurrentOperations: 3,
      reconcileConcurrency: 3,
      webhookUrls: [hooks.url],
      webhookSecret: SECRET,
    }),
    stores: store,
    engine,
    alarmCatalog,
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
  });
  await app.ready();
  t.teardown(() => app.close());
  const { token } = await security.tokens.create({
    name: 'reconciliation-tests',
    roles: ['admin'],
    accounts: ['*'],
    expiresInDays: 1,
    createdBy: 'test',
  });
  withDefaultAuthorization(app, token);

  const [appliedA, appliedB] = await Promise.all([
    apply(app, A, {
      homeRegion: 'us-east-1',
      alarms: { notify: { emails: ['secops@example.com'] } },
      dataEvents: [
        { kind: 's3-object', resources: ['arn:aws:s3:::payments-data/'], access: 'write-only' },
        { kind: 'lambda', resources: 'all' },
      ],
    }),
    apply(app, B, { homeRegion: 'eu-west-1', alarms: { notify: { emails: ['secops@example.com'] } } }),
  ]);
  // An alarm nobody receives is a hole (a high finding): the recipients confirm their subscription.
  confirmSubscriptions(state, A);
  confirmSubscriptions(state, B);
  t.equal(appliedA.state, 'succeeded', `A applied ${JSON.stringify(appliedA.error)}`);
  t.equal(appliedB.state, 'succeeded', `B applied ${JSON.stringify(appliedB.error)}`);
  // C is managed (applied once, as far as the service knows); its engine will fail.
  await app.inject({ method: 'PUT', url: `/v1/accounts/${C}/trail`, payload: { homeRegion: 'us-east-1' } });
  await store.accounts.updateAccount(C, { status: 'applied', appliedVersion: 1 }, new Date().toISOString());

  // ---- Behind the engine's back, in A: several critical drifts at once -----------------------
  const trail = state.list({ accountId: A, type: TRAIL })[0]!;
  const selectors = trail.outputs.advancedEventSelectors as unknown[];
  t.ok(selectors.length >= 2, `the trail has several event selectors (${selectors.length})`);
  state.drift(A, TRAIL, trail.id, {
    enableLogging: false,
    enableLogFileValidation: false,
    advancedEventSelectors: selectors.slice(0, 1),
  });
  const bucketPolicy = state.list({ accountId: A, type: BUCKET_POLICY })[0]!;
  t.ok(state.remove(A, BUCKET_POLICY, bucketPolicy.id), 'bucket policy deleted out of band');
  const key = state.list({ accountId: A, type: KEY })[0]!;
  state.drift(A, KEY, key.id, { isEnabled: false, deletionWindowInDays: 7 });

  // ---- Run 1: every account on the default policy (report) ---------------------------------
  const run1 = await reconcile(app);
  t.equal(run1.state, 'succeeded');
  t.match(run1.totals, { accounts: 3, clean: 1, drifted: 1, failed: 1, remediated: 0 });
  t.match(outcomeOf(run1, A), { outcome: 'drifted', severity: 'critical' });
  t.match(outcomeOf(run1, B), { outcome: 'clean', severity: null });
  const failedC = outcomeOf(run1, C);
  t.equal(failedC.outcome, 'failed', 'the failing account is reported failed');
  t.equal(failedC.error?.code, 'engine_failed');
  t.match(failedC.error?.engineMessage, /AccessDenied/, 'with the cause the engine gave');

  const reportA = await latestReport(app, A);
  t.equal(reportA.severity, 'critical');
  t.equal(reportA.clean, false);
  type Res = {
    type: string;
    operation: string;
    severity: string;
    properties: { path: string; expected: unknown; actual: unknown; severity: string; rule?: string }[];
  };
  const resources = reportA.resources as Res[];
  const trailDrift = resources.find((r) => r.type === TRAIL);
  const prop = (r: Res | undefined, path: string) => r?.properties.find((p) => p.path === path);
  t.match(prop(trailDrift, 'enableLogging'), {
    expected: true,
    actual: false,
    severity: 'critical',
    rule: 'trail-logging-stopped',
  });
  t.match(prop(trailDrift, 'enableLogFileValidation'), {
    expected: true,
    actual: false,
    severity: 'critical',
    rule: 'trail-log-file-validation-off',
  });
  const selectorDrift = trailDrift?.properties.filter((p) => p.path.startsWith('advancedEventSelectors'));
  t.ok(selectorDrift?.length, 'narrowed event selectors reported');
  t.ok(
    selectorDrift?.every((p) => p.severity === 'critical' && p.rule === 'trail-selectors-changed'),
    'event selectors: critical',
  );
  t.match(
    resources.find((r) => r.type === BUCKET_POLICY),
    {
      operation: 'deleted',
      severity: 'critical',
    },
  );
  const keyDrift = resources.find((r) => r.type === KEY);
  t.match(prop(keyDrift, 'isEnabled'), {
    expected: true,
    actual: false,
    severity: 'critical',
    rule: 'kms-key-disabled',
  });
  t.match(prop(keyDrift, 'deletionWindowInDays'), { actual: 7, severity: 'critical' });
  t.equal((await latestReport(app, B)).clean, true, 'B: a clean report is stored too');

  t.equal(state.get(A, TRAIL, trail.id)?.outputs.enableLogging, false, 'report: drift left in place');
  t.equal(state.get(A, BUCKET_POLICY, bucketPolicy.id), undefined, 'report: the bucket policy stays deleted');

  const hook1 = await hooks.next();
  t.same(
    verifyWebhookSignature({
      secret: SECRET,
      timestamp: hook1.headers['x-trailwarden-timestamp'] as string,
      signature: hook1.headers['x-trailwarden-signature'] as string,
      body: hook1.body,
      toleranceSeconds: 300,
    }).valid,
    true,
    'the summary is signed with the secret',
  );
  const summary1 = JSON.parse(hook1.body);
  t.equal(summary1.reconciliationId, run1.id);
  t.same(
    summary1.newDrift.map((d: { accountId: string }) => d.accountId),
    [A],
  );
  t.equal(summary1.newDrift[0].severity, 'critical');
  t.same(
    summary1.failures.map((f: { accountId: string }) => f.accountId),
    [C],
  );
  t.notOk(hook1.body.includes(SECRET), 'the secret is not in the body');
  t.match(run1.notifications, [{ url: hooks.url, delivered: true, attempts: 1 }]);
  t.notOk(JSON.stringify(run1).includes(SECRET), 'nor in the run');

  const fleet1 = (await app.inject({ method: 'GET', url: '/v1/drift' })).json();
  t.match(fleet1.counts, { critical: 1, none: 1, unknown: 1 });

  // ---- Run 2: A remediate, B remediate-critical with a changed bucket policy ------------------
  for (const [id, policy] of [
    [A, 'remediate'],
    [B, 'remediate-critical'],
  ] as const) {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/accounts/${id}/remediation-policy`,
      payload: { policy },
    });
    t.equal(res.statusCode, 200);
  }
  const policyB = state.list({ accountId: B, type: BUCKET_POLICY })[0]!;
  const loosened = JSON.parse(String(policyB.outputs.policy));
  loosened.Statement.push({
    Sid: 'Oops',
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${policyB.id}/*`,
  });
  state.drift(B, BUCKET_POLICY, policyB.id, { policy: JSON.stringify(loosened) });

  const run2 = await reconcile(app);
  t.match(run2.totals, { accounts: 3, remediated: 2, failed: 1 });
  t.match(outcomeOf(run2, A), { outcome: 'remediated', severity: 'critical' });
  t.match(outcomeOf(run2, B), { outcome: 'remediated', severity: 'critical' });
  t.equal((outcomeOf(run2, A).operationIds as string[]).length, 3, 'A: check, apply, check again');

  t.equal(state.get(A, TRAIL, trail.id)?.outputs.enableLogging, true, 'logging on again');
  t.equal(state.get(A, TRAIL, trail.id)?.outputs.enableLogFileValidation, true, 'validation on again');
  t.equal(state.list({ accountId: A, type: BUCKET_POLICY }).length, 1, 'bucket policy back');
  t.equal(state.get(A, KEY, key.id)?.outputs.isEnabled, true, 'key enabled again');
  t.equal((await latestReport(app, A)).clean, true, 'A: the next check is clean');
  t.equal((await latestReport(app, B)).clean, true, 'B: the next check is clean');
  const history = (await app.inject({ method: 'GET', url: `/v1/accounts/${A}/drift-reports` })).json();
  t.same(
    history.items.map((r: { clean: boolean }) => r.clean),
    [true, false, false],
    'A: history newest first (clean after remediation, drifted in run 2 before it, drifted in run 1)',
  );

  const summary2 = JSON.parse((await hooks.next()).body);
  t.same(
    summary2.newDrift.map((d: { accountId: string }) => d.accountId),
    [B],
    'A drift was already reported in run 1; B is new',
  );
  t.same(
    summary2.failures.map((f: { accountId: string }) => f.accountId),
    [C],
  );
  t.equal(hooks.received.length, 2, 'one summary per run');

  const accounts = (await app.inject({ method: 'GET', url: '/v1/accounts' })).json();
  t.same(
    Object.fromEntries(
      accounts.items.map((a: { accountId: string; drift: { severity: string } }) => [
        a.accountId,
        a.drift.severity,
      ]),
    ),
    { [A]: 'none', [B]: 'none', [C]: 'unknown' },
    'listings: drift state from the latest report',
  );
});
