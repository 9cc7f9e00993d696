// The coverage report as a pure function of the request: the cases of issue 10 by name.
import t from 'tap';
import { buildDriftReport } from '../../src/drift/report.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { listAlarmSets } from '../../stacks/alarms/catalog.ts';
import {
  COVERAGE_STATUSES,
  coverageReport,
  ENTRY_EVENT_NEEDS,
  SECURITY_HUB_CONTROL_IDS,
  unacknowledgedGapIssues,
} from '../../stacks/coverage.ts';
import { refreshPreviewEvents } from '../drift/engine-events.ts';

const report = (input: Record<string, unknown>, subscriptions?: Parameters<typeof coverageReport>[1]) =>
  coverageReport(resolveTrailRequest(input), subscriptions);
const entry = (r: ReturnType<typeof report>, id: string) => r.entries.find((e) => e.id === id)!;
const control = (r: ReturnType<typeof report>, id: string) => r.controls.find((c) => c.id === id)!;
const blindIds = (r: ReturnType<typeof report>) =>
  r.entries.filter((e) => e.status === 'blind').map((e) => e.id);

t.test('every catalog entry has a row of needs; every control is reported', async (t) => {
  for (const set of listAlarmSets())
    for (const e of set.entries) t.ok(ENTRY_EVENT_NEEDS[e.id], `${set.name}/${e.id} has its needs`);
  t.same(SECURITY_HUB_CONTROL_IDS, [
    ...Array.from({ length: 7 }, (_, i) => `CloudTrail.${i + 1}`),
    ...Array.from({ length: 14 }, (_, i) => `CloudWatch.${i + 1}`),
  ]);
  const r = report({ homeRegion: 'eu-west-1', alarms: { set: 'cis' } });
  t.same(
    r.controls.map((c) => c.id),
    SECURITY_HUB_CONTROL_IDS,
  );
  for (const c of r.controls) t.ok(COVERAGE_STATUSES.includes(c.status), c.id);
  t.same(blindIds(r), [], 'the default request blinds nothing');
});

t.test(
  'excluding kms.amazonaws.com blinds the CMK alarm (and refused calls / root use on KMS)',
  async (t) => {
    const r = report({
      homeRegion: 'eu-west-1',
      managementEvents: { excludedSources: ['kms.amazonaws.com'] },
      alarms: { set: 'cis' },
    });
    t.same(blindIds(r), ['unauthorized-api-calls', 'root-account-usage', 'cmk-disable-or-deletion']);
    t.match(entry(r, 'cmk-disable-or-deletion').gaps, [
      { option: '/managementEvents/excludedSources/0', lost: /DisableKey, ScheduleKeyDeletion/ },
    ]);
    t.match(control(r, 'CloudTrail.1'), { status: 'blind', reasons: [/ExcludeManagementEventSources/] });
    t.same(
      unacknowledgedGapIssues(r).map((i) => i.path),
      ['/managementEvents/excludedSources/0'],
    );
    const acked = report({
      homeRegion: 'eu-west-1',
      managementEvents: { excludedSources: ['kms.amazonaws.com'] },
      alarms: { set: 'cis' },
      acknowledgedGaps: ['unauthorized-api-calls', 'root-account-usage', 'cmk-disable-or-deletion'],
    });
    t.same(unacknowledgedGapIssues(acked), []);
    t.equal(acked.warnings.filter((w) => w.startsWith('acknowledged gap')).length, 3);
  },
);

t.test('read: false blinds root usage and unauthorized calls; write: false nearly all', async (t) => {
  const r = report({ homeRegion: 'eu-west-1', managementEvents: { read: false }, alarms: { set: 'cis' } });
  t.same(blindIds(r), ['unauthorized-api-calls', 'root-account-usage']);
  t.same(entry(r, 'root-account-usage').gaps[0]!.loses, { readOnly: true });
  const w = report({ homeRegion: 'eu-west-1', managementEvents: { write: false }, alarms: { set: 'cis' } });
  t.equal(blindIds(w).length, w.entries.length, 'every CIS alarm needs write events');
  t.match(control(w, 'CloudTrail.1').reasons, [/write/]);
});

t.test(
  'per-region mode without a trail recording global service events blinds sign-in and IAM alarms',
  async (t) => {
    const r = report({
      homeRegion: 'eu-west-1',
      regions: ['eu-west-1', 'eu-central-1'],
      alarms: { set: 'cis' },
    });
    t.equal(r.globalServiceEvents, false);
    // The program refuses such a request (stacks/request-rules.ts), and coverage says why.
    for (const id of ['console-signin-without-mfa', 'console-authentication-failures', 'iam-policy-changes'])
      t.match(entry(r, id), { status: 'blind', gaps: [{ option: '/regions', lost: /us-east-1/ }] });
    t.match(control(r, 'CloudTrail.1').reasons, [/multi-Region/]);

    const home = report({
      homeRegion: 'us-east-1',
      regions: ['us-east-1', 'eu-west-1'],
      alarms: { set: 'cis' },
    });
    t.equal(home.globalServiceEvents, true, 'the us-east-1 home trail records them');
    t.same(blindIds(home), []);
  },
);

t.test('Security Hub CloudWatch controls: exact patterns, trail-wide settings, a subscriber', async (t) => {
  const cis = report(
    { homeRegion: 'eu-west-1', alarms: { set: 'cis', notify: { emails: ['a@example.com'] } } },
    {
      subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', pendingConfirmation: false }],
    },
  );
  t.equal(cis.delivery.status, 'confirmed');
  t.match(control(cis, 'CloudWatch.7'), { status: 'covered', entryId: 'cmk-disable-or-deletion' });
  // The default profile is Security Hub's exact wording; the hardened 4.1 wording adds terms.
  t.match(control(cis, 'CloudWatch.2'), { status: 'covered' });
  const hardened = report(
    {
      homeRegion: 'eu-west-1',
      alarms: { set: 'cis', profile: 'hardened', notify: { emails: ['a@example.com'] } },
    },
    { subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', pendingConfirmation: false }] },
  );
  t.match(control(hardened, 'CloudWatch.2'), { status: 'blind', reasons: [/not the exact pattern/] });
  const ess = report(
    { homeRegion: 'eu-west-1', alarms: { notify: { emails: ['a@example.com'] } } },
    {
      subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', pendingConfirmation: false }],
    },
  );
  t.match(control(ess, 'CloudWatch.2'), { status: 'covered', entryId: 'authorization-failures' });
  t.match(control(ess, 'CloudWatch.1'), { status: 'not-applicable' });

  const pending = report(
    { homeRegion: 'eu-west-1', alarms: { notify: { emails: ['a@example.com'] } } },
    {
      subscriptions: [{ protocol: 'email', endpoint: 'a@example.com', pendingConfirmation: true }],
    },
  );
  t.equal(pending.delivery.status, 'unconfirmed', 'an email pending confirmation counts as none');
  t.match(control(pending, 'CloudWatch.10'), { status: 'blind', reasons: [/confirmed/] });
  t.ok(pending.warnings.some((w) => /nobody receives/.test(w)));
  t.equal(
    report({ homeRegion: 'eu-west-1', alarms: { notify: { emails: ['a@example.com'] } } }).delivery.status,
    'unknown',
  );
});

t.test('drift: a topic without a confirmed subscription is a high finding', async (t) => {
  const topic = {
    type: 'aws:sns/topic:Topic',
    name: 'topic',
    id: 'arn',
    inputs: {},
    outputs: { arn: 'arn' },
  };
  const sub = (pendingConfirmation: boolean, name = 'email-0') => ({
    type: 'aws:sns/topicSubscription:TopicSubscription',
    name,
    id: `arn:${name}`,
    inputs: { protocol: 'email', endpoint: 'a@example.com' },
    outputs: { protocol: 'email', endpoint: 'a@example.com', pendingConfirmation },
  });
  const build = (steps: Parameters<typeof refreshPreviewEvents>[0]) =>
    buildDriftReport({
      accountId: '123456789012',
      events: refreshPreviewEvents(steps),
      checkedAt: new Date(0),
    });

  const none = build([{ state: topic, op: 'same' }]);
  t.match(none, {
    clean: false,
    severity: 'high',
    findings: [{ id: 'alarm-topic-unsubscribed', severity: 'high' }],
  });
  const pendingOnly = build([
    { state: topic, op: 'same' },
    { state: sub(true), op: 'same' },
    {
      state: { ...sub(true, 'https-0'), outputs: { protocol: 'https', pendingConfirmation: true } },
      op: 'same',
    },
  ]);
  t.match(pendingOnly.findings, [{ reason: /None of the 2 subscriptions/ }]);
  t.equal(pendingOnly.alarmDelivery?.subscriptions.length, 2);
  const confirmed = build([
    { state: topic, op: 'same' },
    { state: sub(true), op: 'same' },
    { state: sub(false, 'email-1'), op: 'same' },
  ]);
  t.equal(confirmed.clean, true, 'one confirmed subscription is enough');
  t.notOk(confirmed.findings);
  t.notOk(build([]).alarmDelivery, 'no topic in the refresh: nothing to say');
  // The recipient confirms between two checks: the refresh reads a changed output, which is no drift.
  const confirmedNow = build([
    { state: topic, op: 'same' },
    { state: sub(true), op: 'update', read: { inputs: sub(false).inputs, outputs: sub(false).outputs } },
  ]);
  t.same(confirmedNow.resources, [], 'a confirmation is not drift');
  t.equal(confirmedNow.clean, true);
});

t.test('a request the program refuses covers nothing', async (t) => {
  const r = report({ homeRegion: 'us-east-1', regions: ['eu-west-1'] });
  t.equal(blindIds(r).length, r.entries.length);
  t.match(r.entries[0]!.gaps, [{ option: '/regions', lost: /no trail records anything: .*home region/ }]);
});

t.test('reconciliation does not try to remediate a finding an apply cannot correct', async (t) => {
  const { shouldRemediate } = await import('../../src/reconciliation/service.ts');
  const topic = {
    type: 'aws:sns/topic:Topic',
    name: 'topic',
    id: 'arn',
    inputs: {},
    outputs: { arn: 'arn' },
  };
  const onlyFinding = buildDriftReport({
    accountId: '123456789012',
    events: refreshPreviewEvents([{ state: topic, op: 'same' }]),
    checkedAt: new Date(0),
  });
  t.equal(onlyFinding.severity, 'high');
  t.equal(shouldRemediate('remediate', onlyFinding), false);
});
