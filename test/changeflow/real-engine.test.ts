// The change flow through the HTTP API with the real Pulumi CLI and the sandbox provider:
// - remediation restores the last approved and applied spec, never a requester's spec that waits for
//   approval; the requester's apply still waits, the reconciliation's outcome names the pending spec,
//   and the reconciler is recorded as the requester of what it queued (operation and audit log);
// - with drift present, a preview predicts the apply confirmed from it (same counts per kind), and an
//   apply confirmed from a preview the account has moved past is refused with 409;
// - converge from a drift report: a preview of the applied spec, then its apply; the next check is clean.
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { testConfig } from '../../src/config.ts';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { auditOperationQueue } from '../../src/operations/audit-trail.ts';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { openStores } from '../../src/stores.ts';
import { alarmCatalog } from '../../stacks/alarms/catalog.ts';
import { tempDir } from '../helpers/engine.ts';

const A = '123456789012';
const B = '210987654321';
const TRAIL = 'aws:cloudtrail/trail:Trail';
const BUCKET_POLICY = 'aws:s3/bucketPolicy:BucketPolicy';
const KINDS = ['create', 'update', 'replace', 'delete'] as const;

interface Op {
  id: string;
  state: string;
  kind: string;
  specVersion: number;
  requestedBy: string | null;
  changeSummary: Record<string, number> | null;
  error: { code: string; message: string } | null;
  previewId?: string;
  remediation?: boolean;
}

t.test('the change flow on the real engine', async (t) => {
  const dir = await tempDir(t);
  const state = new SandboxState(`${dir}/sandbox`);
  const engine = new AccountStacks({
    dataDir: `${dir}/data`,
    passphrase: 'test-passphrase',
    sandbox: { stateDir: state.root, pluginBinDir: await installSandboxPlugin(`${dir}/bin`) },
    programFor: (await import('../../stacks/program.ts')).accountTrailProgram,
  });
  const store = await openStores('sqlite::memory:');
  const security = await createSecurity({ stores: store, auth: testAuthConfig(), dataDir: dir });
  const app: FastifyInstance = await buildApp({
    config: testConfig({ dataDir: dir, maxConcurrentOperations: 2, reconcileConcurrency: 2 }),
    stores: store,
    engine,
    alarmCatalog,
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
  });
  auditOperationQueue(app.operationQueue, security.audit, app.log);
  await app.ready();
  t.teardown(() => app.close());
  const token = async (roles: ('admin' | 'requester' | 'approver')[], accounts = ['*']) =>
    (
      await security.tokens.create({
        name: roles.join('-'),
        roles,
        accounts,
        expiresInDays: 1,
        createdBy: 'svc:bootstrap',
      })
    ).token;
  const admin = await token(['admin']);
  const requester = await token(['requester'], [A, B]);
  const call = async (
    who: string,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who}`, ...headers },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  };
  const settled = async (op: { id: string }) => (await app.operationQueue.settled(op.id)) as unknown as Op;
  const put = async (who: string, accountId: string, spec: object) => {
    const current = await call(who, 'GET', `/v1/accounts/${accountId}/trail`);
    const res = await call(
      who,
      'PUT',
      `/v1/accounts/${accountId}/trail`,
      spec,
      current.status === 200 ? { 'if-match': String(current.headers.etag) } : {},
    );
    if (res.status >= 300) throw new Error(`PUT ${accountId}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const summaryOf = (s: Record<string, number> | null) =>
    Object.fromEntries(KINDS.map((k) => [k, s?.[k] ?? 0])) as Record<(typeof KINDS)[number], number>;

  // ---- Set up: a strong spec applied by an admin in A (remediate), a plain one in B ----------
  const strong = {
    homeRegion: 'us-east-1',
    insights: ['ApiCallRateInsight'],
    dataEvents: [{ kind: 'lambda', resources: 'all' }],
  };
  await put(admin, A, strong);
  await put(admin, B, { homeRegion: 'eu-west-1' });
  const [appliedA, appliedB] = await Promise.all([
    call(admin, 'POST', `/v1/accounts/${A}/trail/applies`).then((r) => settled(r.body)),
    call(admin, 'POST', `/v1/accounts/${B}/trail/applies`).then((r) => settled(r.body)),
  ]);
  t.equal(appliedA.state, 'succeeded', JSON.stringify(appliedA.error));
  t.equal(appliedB.state, 'succeeded', JSON.stringify(appliedB.error));
  t.equal(
    (await call(admin, 'PUT', `/v1/accounts/${A}/remediation-policy`, { policy: 'remediate' })).status,
    200,
  );

  t.test('remediation restores the approved spec, not the one waiting for approval', async (t) => {
    // The requester weakens A (no Insights, no data events): their apply waits for an approver.
    await put(requester, A, { homeRegion: 'us-east-1' });
    const waiting = await call(requester, 'POST', `/v1/accounts/${A}/trail/applies`);
    t.equal(waiting.body.state, 'pending-approval', 'the weaker apply waits');
    // Someone stops logging out of band.
    const trail = state.list({ accountId: A, type: TRAIL })[0]!;
    t.ok((trail.outputs.insightSelectors as unknown[])?.length, 'Insights are on before');
    state.drift(A, TRAIL, trail.id, { enableLogging: false });

    const started = await call(admin, 'POST', '/v1/reconciliations');
    t.equal(started.status, 202);
    await app.reconciler.whenFinished(started.body.id);
    const run = (await call(admin, 'GET', `/v1/reconciliations/${started.body.id}`)).body;
    const outcome = run.accounts.find((a: { accountId: string }) => a.accountId === A);
    t.match(outcome, { outcome: 'remediated', severity: 'critical' }, JSON.stringify(outcome?.error));
    t.same(
      outcome.pendingSpec,
      { specVersion: 2, appliedVersion: 1, waitingOperationIds: [waiting.body.id] },
      'the outcome names the pending spec and the apply that waits',
    );

    const after = state.get(A, TRAIL, trail.id)!;
    t.equal(after.outputs.enableLogging, true, 'logging is on again');
    t.ok(
      (after.outputs.insightSelectors as unknown[])?.length,
      'with the approved Insights, not the weaker spec',
    );
    t.ok((after.outputs.advancedEventSelectors as unknown[]).length >= 2, 'and the approved data events');
    const account = (await call(admin, 'GET', `/v1/accounts/${A}/trail`)).body;
    t.same(
      [account.appliedVersion, account.specVersion, account.status],
      [1, 2, 'pending'],
      'the account is at the approved version; the new one is still pending',
    );
    const stillWaiting = (await call(admin, 'GET', `/v1/operations/${waiting.body.id}`)).body;
    t.equal(stillWaiting.state, 'pending-approval', "the requester's apply still waits");

    const [, remediationId] = outcome.operationIds as string[];
    const remediation = (await call(admin, 'GET', `/v1/operations/${remediationId}`)).body;
    t.match(
      remediation,
      {
        kind: 'apply',
        specVersion: 1,
        requestedBy: 'system:reconciler',
        remediation: true,
        state: 'succeeded',
      },
      'the remediation applied version 1, requested by the reconciler',
    );
    const audit = (await security.audit.list({ limit: 200, accountId: A })).items;
    t.ok(
      audit.some(
        (e) =>
          e.action === 'operation.queued' &&
          e.actor === 'system:reconciler' &&
          e.details?.['operationId'] === remediationId,
      ),
      'the audit log names the reconciler',
    );
    // Put A back to its approved spec for what follows.
    await call(requester, 'POST', `/v1/operations/${waiting.body.id}/cancel`);
    await put(admin, A, strong);
  });

  t.test('with drift present, the preview predicts the apply; a stale preview is refused', async (t) => {
    const trail = state.list({ accountId: B, type: TRAIL })[0]!;
    state.drift(B, TRAIL, trail.id, { enableLogging: false });
    const policy = state.list({ accountId: B, type: BUCKET_POLICY })[0]!;
    t.ok(state.remove(B, BUCKET_POLICY, policy.id), 'bucket policy deleted out of band');

    const preview = await settled((await call(requester, 'POST', `/v1/accounts/${B}/trail/previews`)).body);
    t.equal(preview.state, 'succeeded', JSON.stringify(preview.error));
    const planned = summaryOf(preview.changeSummary);
    t.ok(planned.create + planned.update > 0, `the preview sees the drift: ${JSON.stringify(planned)}`);

    // Another preview, then something changes the recorded state: the apply confirmed from it is refused.
    const stale = await settled((await call(requester, 'POST', `/v1/accounts/${B}/trail/previews`)).body);
    const applied = await call(requester, 'POST', `/v1/accounts/${B}/trail/applies?previewId=${preview.id}`);
    t.equal(applied.status, 202, JSON.stringify(applied.body));
    t.equal(applied.body.previewId, preview.id);
    const done = await settled(applied.body);
    t.equal(done.state, 'succeeded', JSON.stringify(done.error));
    t.same(summaryOf(done.changeSummary), planned, 'the apply made exactly the changes the preview showed');
    const refused = await call(requester, 'POST', `/v1/accounts/${B}/trail/applies?previewId=${stale.id}`);
    t.same([refused.status, refused.body.code], [409, 'preview_stale'], 'a preview taken before that apply');

    // Drift that appears after the preview: the apply runs the preview's update plan, so the engine
    // refuses the change nobody previewed, and changes nothing.
    const clean = await settled((await call(requester, 'POST', `/v1/accounts/${B}/trail/previews`)).body);
    t.same(summaryOf(clean.changeSummary), summaryOf({}), 'the account matches: nothing planned');
    state.drift(B, TRAIL, trail.id, { enableLogging: false });
    const unplanned = await call(requester, 'POST', `/v1/accounts/${B}/trail/applies?previewId=${clean.id}`);
    t.equal(unplanned.status, 202, 'nothing the service knows changed since the preview');
    const refusedByEngine = await settled(unplanned.body);
    t.same(
      [refusedByEngine.state, refusedByEngine.error?.code],
      ['failed', 'preview_stale'],
      `the engine refused a change the preview did not show: ${refusedByEngine.error?.message}`,
    );
    t.equal(state.get(B, TRAIL, trail.id)?.outputs.enableLogging, false, 'and changed nothing');
    const again = await settled((await call(requester, 'POST', `/v1/accounts/${B}/trail/previews`)).body);
    t.equal(summaryOf(again.changeSummary).update, 1, 'a new preview shows it');
    const fixed = await settled(
      (await call(requester, 'POST', `/v1/accounts/${B}/trail/applies?previewId=${again.id}`)).body,
    );
    t.equal(fixed.state, 'succeeded', JSON.stringify(fixed.error));
    t.equal(state.get(B, TRAIL, trail.id)?.outputs.enableLogging, true);

    // The engine itself refuses to apply over a recorded state the preview did not see.
    const spec = (await call(admin, 'GET', `/v1/accounts/${B}/trail`)).body.spec;
    await t.rejects(engine.up(B, spec, { expectStateEtag: 'not-the-state' }), { code: 'preview_stale' });
  });

  t.test('converge from a drift report: preview of the applied spec, apply, next check clean', async (t) => {
    const trail = state.list({ accountId: B, type: TRAIL })[0]!;
    state.drift(B, TRAIL, trail.id, { enableLogging: false });
    const check = await settled((await call(requester, 'POST', `/v1/accounts/${B}/drift-checks`)).body);
    t.equal(check.state, 'succeeded');
    const report = (await call(requester, 'GET', `/v1/accounts/${B}/drift-reports?limit=1`)).body.items[0];
    t.equal(report.clean, false);
    const converge = await call(requester, 'POST', `/v1/accounts/${B}/drift-reports/${report.id}/converge`);
    t.equal(converge.status, 202);
    const preview = await settled(converge.body);
    t.equal(preview.kind, 'preview');
    t.equal(summaryOf(preview.changeSummary).update, 1, 'the trail is to be updated');
    const apply = await call(requester, 'POST', `/v1/accounts/${B}/trail/applies?previewId=${preview.id}`);
    t.equal(apply.body.state, 'queued', 'a re-apply of the applied spec needs no approval');
    t.equal((await settled(apply.body)).state, 'succeeded');
    const recheck = await settled((await call(requester, 'POST', `/v1/accounts/${B}/drift-checks`)).body);
    t.equal(recheck.state, 'succeeded');
    const latest = (await call(requester, 'GET', `/v1/accounts/${B}/drift-reports?limit=1`)).body.items[0];
    // Converged: nothing drifted. (The account names no alarm recipient, so the report still carries the
    // alarm-topic-unsubscribed finding: a hole converge cannot fix, and rightly not "clean".)
    t.same(latest.resources, [], 'the next drift check finds no drifted resource');
  });
});
