// The account trail program through the real engine against the sandbox provider: a full
// request goes up, a preview right after is empty, drift made behind the engine's back shows
// in a refresh-preview and is converged by up, and decommissioning keeps (or removes) the data.
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import t, { type Test } from 'tap';
import { AccountStacks } from '../../src/engine/account-stacks.ts';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { accountTrailProgram } from '../../stacks/program.ts';
import { tempDir } from '../helpers/engine.ts';

const TRAIL = 'aws:cloudtrail/trail:Trail';
const BUCKET = 'aws:s3/bucket:Bucket';
const KEY = 'aws:kms/key:Key';

const fullRequest = resolveTrailRequest({
  homeRegion: 'eu-west-1',
  regions: 'all',
  managementEvents: { read: true, write: true, excludedSources: ['kms.amazonaws.com'] },
  dataEvents: [
    { kind: 's3-object', resources: ['arn:aws:s3:::payments-data/'], access: 'write-only' },
    { kind: 'lambda', resources: 'all' },
    { kind: 'dynamodb', resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'] },
  ],
  insights: ['ApiCallRateInsight', 'ApiErrorRateInsight'],
  alarms: { set: 'cis', notify: { emails: ['secops@example.com'], https: ['https://hooks.example.com/t'] } },
  retention: { archiveAfterDays: 90, expireAfterDays: 2557, cloudWatchLogsDays: 365 },
  objectLock: { mode: 'GOVERNANCE', days: 365 },
  securityReaders: ['arn:aws:iam::123456789012:role/SecurityAudit'],
  tags: { team: 'platform' },
});

// In a refresh preview the drift is on the outputs event: old = recorded, new = read from the cloud.
function changesOf(events: EngineEvent[]) {
  return events
    .map((e) => e.resOutputsEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m && m.op !== 'same' && m.op !== 'read')
    .map((m) => ({ op: m.op, type: m.type, urn: m.urn, diffs: m.diffs ?? [], old: m.old, new: m.new }));
}

async function sandboxEngine(t: Test) {
  const dir = await tempDir(t);
  const state = new SandboxState(`${dir}/sandbox`);
  const engine = new AccountStacks({
    dataDir: `${dir}/data`,
    passphrase: 'test-passphrase',
    sandbox: { stateDir: state.root, pluginBinDir: await installSandboxPlugin(`${dir}/bin`) },
    programFor: accountTrailProgram,
  });
  return { engine, state };
}

t.test(
  'full request: up, empty preview, drift seen and converged, decommission keeps the data',
  async (t) => {
    const { engine, state } = await sandboxEngine(t);
    const account = '123456789012';

    const up = await engine.up(account, fullRequest);
    t.ok(
      (up.changeSummary.create ?? 0) > 20,
      `up creates the baseline (${up.changeSummary.create} resources)`,
    );
    const trails = state.list({ accountId: account, type: TRAIL });
    t.equal(trails.length, 1, 'one multi-region trail');
    const trail = trails[0]!;
    t.equal(trail.outputs.isMultiRegionTrail, true);
    t.equal(trail.outputs.enableLogFileValidation, true);
    t.equal(trail.outputs.enableLogging, true);
    t.match(String(trail.outputs.arn), /^arn:aws:cloudtrail:eu-west-1:123456789012:trail\//);
    t.same(
      Object.values(up.outputs.trailArns as Record<string, string>),
      [trail.outputs.arn],
      'outputs name the trail',
    );
    t.equal(state.list({ accountId: account, type: KEY }).length, 1, 'one key for the account');

    const preview = await engine.preview(account, fullRequest);
    t.same(Object.keys(preview.changeSummary), ['same'], 'a preview right after up has no changes');

    // Someone stops logging and turns validation off in the console.
    state.drift(account, TRAIL, trail.id, { enableLogging: false, enableLogFileValidation: false });
    const events: EngineEvent[] = [];
    const drift = await engine.refreshPreview(account, fullRequest, { onEvent: (e) => events.push(e) });
    t.ok((drift.changeSummary.update ?? 0) >= 1, 'refresh-preview counts the drifted trail');
    const trailChange = changesOf(events).find((c) => c.type === TRAIL);
    t.ok(trailChange, 'refresh-preview reports the trail');
    t.equal(trailChange?.old?.outputs?.enableLogging, true, 'recorded state: logging on');
    t.equal(trailChange?.new?.outputs?.enableLogging, false, 'actual: logging off');
    t.equal(trailChange?.new?.outputs?.enableLogFileValidation, false, 'actual: validation off');
    t.equal(state.get(account, TRAIL, trail.id)?.outputs.enableLogging, false, 'a preview changes nothing');

    const converge = await engine.up(account, fullRequest);
    t.ok((converge.changeSummary.update ?? 0) >= 1, 'up updates the trail back');
    t.equal(state.get(account, TRAIL, trail.id)?.outputs.enableLogging, true, 'logging is on again');
    t.equal(
      state.get(account, TRAIL, trail.id)?.outputs.enableLogFileValidation,
      true,
      'validation is on again',
    );

    const clean: EngineEvent[] = [];
    const second = await engine.refreshPreview(account, fullRequest, { onEvent: (e) => clean.push(e) });
    t.same(changesOf(clean), [], 'a second refresh-preview is clean');
    t.same(Object.keys(second.changeSummary), ['same']);

    const destroyed = await engine.destroy(account, fullRequest);
    t.ok((destroyed.changeSummary.delete ?? 0) > 0, 'destroy deletes the rest');
    t.equal(state.list({ accountId: account, type: TRAIL }).length, 0, 'the trail is gone');
    t.equal(state.list({ accountId: account, type: BUCKET }).length, 1, 'the log bucket is retained');
    t.equal(state.list({ accountId: account, type: KEY }).length, 1, 'the key is retained');
  },
);

t.test('decommission with retainData=false removes everything and leaves an empty stack', async (t) => {
  const { engine, state } = await sandboxEngine(t);
  const account = '210987654321';
  const request = resolveTrailRequest({ homeRegion: 'us-east-1', regions: ['us-east-1', 'eu-central-1'] });
  const up = await engine.up(account, request);
  t.equal(state.list({ accountId: account, type: TRAIL }).length, 2, 'one trail per listed region');
  t.same(Object.keys(up.outputs.trailArns as object).sort(), ['eu-central-1', 'us-east-1']);
  await engine.destroy(account, request, { retainData: false });
  t.same(state.list({ accountId: account }), [], 'no sandbox resources remain');
  const after = await engine.preview(account, request);
  t.ok((after.changeSummary.create ?? 0) > 0, 'the stack is empty: everything would be created again');
});
