import t from 'tap';
import {
  DEFAULT_PATTERN_PROFILE,
  describeAlarmSets,
  filterPatternOf,
  getAlarmSet,
  hasAlarmSet,
  hasPatternProfile,
  listAlarmSets,
  PATTERN_PROFILES,
} from '../../stacks/alarms/catalog.ts';
import { matchesFilterPattern, parseFilterPattern } from '../helpers/filter-pattern.ts';
import { ENTRY_FIXTURES, SECURITY_HUB_PATTERNS } from './fixtures/cloudtrail-events.ts';

t.test('the required sets exist and can be looked up', async (t) => {
  t.ok(hasAlarmSet('cis'));
  t.ok(hasAlarmSet('essentials'));
  t.notOk(hasAlarmSet('nope'));
  t.throws(() => getAlarmSet('nope'), /unknown alarm set nope/);
  const described = describeAlarmSets();
  t.same(
    described.map((d) => d.name).sort(),
    listAlarmSets()
      .map((s) => s.name)
      .sort(),
  );
  for (const d of described) t.equal(d.alarms, getAlarmSet(d.name).entries.length);
});

t.test('the CIS set covers every monitoring control the benchmark lists', async (t) => {
  const ids = getAlarmSet('cis').entries.map((e) => e.id);
  const required = [
    'unauthorized-api-calls',
    'console-signin-without-mfa',
    'root-account-usage',
    'iam-policy-changes',
    'cloudtrail-configuration-changes',
    'console-authentication-failures',
    'cmk-disable-or-deletion',
    's3-bucket-policy-changes',
    'config-changes',
    'security-group-changes',
    'nacl-changes',
    'network-gateway-changes',
    'route-table-changes',
    'vpc-changes',
    'organizations-changes',
  ];
  t.same([...ids].sort(), [...required].sort());
});

t.test('essentials covers what the issue asks for', async (t) => {
  const ids = getAlarmSet('essentials').entries.map((e) => e.id);
  for (const id of [
    'security-group-changes',
    'vpc-changes',
    'iam-policy-changes',
    's3-bucket-policy-changes',
    'console-signin-failures',
    'authorization-failures',
    'ec2-instance-changes',
  ])
    t.ok(ids.includes(id), id);
});

for (const set of listAlarmSets()) {
  t.test(`set ${set.name}`, async (t) => {
    t.match(set.name, /^[a-z][a-z0-9-]{0,31}$/, 'name fits the request schema');
    const ids = set.entries.map((e) => e.id);
    t.equal(new Set(ids).size, ids.length, 'entry ids are unique');
    const metrics = set.entries.map((e) => `${e.namespace}/${e.metricName}`);
    t.equal(new Set(metrics).size, metrics.length, 'metric names are unique within the set');
    for (const entry of set.entries) {
      t.test(entry.id, async (t) => {
        t.same(Object.keys(entry.patterns).sort(), [...PATTERN_PROFILES].sort(), 'a pattern per profile');
        t.ok(entry.threshold >= 1 && entry.evaluationPeriods >= 1, 'alarm fires on real events');
        t.ok([10, 30].includes(entry.period) || entry.period % 60 === 0, 'period is one CloudWatch accepts');
        const fixtures = ENTRY_FIXTURES[entry.id];
        if (!fixtures) {
          t.fail(`no fixture events for ${entry.id}`);
          return;
        }
        t.ok(fixtures.match.length > 0 && fixtures.noMatch.length > 0, 'has both kinds of fixtures');
        for (const profile of PATTERN_PROFILES) {
          const pattern = filterPatternOf(entry, profile);
          t.doesNotThrow(() => parseFilterPattern(pattern), `${profile} pattern parses`);
          const extra = fixtures.byProfile?.[profile];
          for (const e of [...fixtures.match, ...(extra?.match ?? [])])
            t.ok(matchesFilterPattern(pattern, JSON.stringify(e)), `${profile} fires on ${e.eventName}`);
          for (const e of [...fixtures.noMatch, ...(extra?.noMatch ?? [])])
            t.notOk(matchesFilterPattern(pattern, JSON.stringify(e)), `${profile} quiet on ${e.eventName}`);
        }
      });
    }
  });
}

t.test('pattern profiles', async (t) => {
  t.equal(DEFAULT_PATTERN_PROFILE, 'securityhub');
  t.ok(hasPatternProfile('cis-1.2'));
  t.notOk(hasPatternProfile('cis'));
  const entry = getAlarmSet('cis').entries.find((e) => e.id === 'route-table-changes')!;
  t.equal(filterPatternOf(entry), entry.patterns.securityhub, 'securityhub unless asked');
});

t.test('securityhub patterns are exactly the ones Security Hub checks, and name their control', async (t) => {
  const seen = new Set<string>();
  for (const set of listAlarmSets()) {
    for (const e of set.entries) {
      for (const control of e.controls.securityHub) {
        seen.add(control);
        t.equal(e.patterns.securityhub, SECURITY_HUB_PATTERNS[control], `${set.name}/${e.id} ${control}`);
      }
      // An entry whose securityhub pattern is a Security Hub one must say which control it meets.
      const control = Object.entries(SECURITY_HUB_PATTERNS).find(
        ([, p]) => p === e.patterns.securityhub,
      )?.[0];
      if (control) t.ok(e.controls.securityHub.includes(control), `${set.name}/${e.id} records ${control}`);
    }
  }
  t.same([...seen].sort(), Object.keys(SECURITY_HUB_PATTERNS).sort(), 'the cis set covers CloudWatch.1-14');
});

t.test('every cis entry records its CIS recommendation ids', async (t) => {
  for (const e of getAlarmSet('cis').entries) {
    t.ok(e.controls.cis.length > 0, e.id);
    for (const id of e.controls.cis)
      t.match(id, /^CIS v(1\.2\.0 3|1\.4\.0 4|3\.0\.0 4)\.\d+$/, `${e.id} ${id}`);
  }
  const unauthorized = getAlarmSet('cis').entries.find((e) => e.id === 'unauthorized-api-calls')!;
  t.same(unauthorized.controls, {
    cis: ['CIS v1.2.0 3.1', 'CIS v1.4.0 4.1', 'CIS v3.0.0 4.1'],
    securityHub: ['CloudWatch.2'],
  });
});

t.test('alarmCatalog serves the API shape', async (t) => {
  const { alarmCatalog } = await import('../../stacks/alarms/catalog.ts');
  const listed = alarmCatalog.list();
  t.same(
    listed.map((s) => s.name),
    listAlarmSets().map((s) => s.name),
  );
  for (const s of listed) {
    t.equal(s.entries.length, getAlarmSet(s.name).entries.length);
    t.ok(s.entries.every((e) => e.id && e.title && e.description));
    t.same(s.profiles, [...PATTERN_PROFILES]);
    t.equal(s.defaultProfile, 'securityhub');
    for (const e of s.entries) {
      const entry = getAlarmSet(s.name).entries.find((x) => x.id === e.id)!;
      t.same(e.patterns, entry.patterns, `${s.name}/${e.id} lists its patterns`);
      t.same(e.controls, entry.controls, `${s.name}/${e.id} lists its controls`);
    }
  }
  t.ok(alarmCatalog.has('cis'));
  t.notOk(alarmCatalog.has('CIS'));
});

t.test('the Insights alarm fires on a starting Insights event only', async (t) => {
  const { INSIGHTS_PATTERN } = await import('../../stacks/alarms/alarm-set.ts');
  // The record shape of "Working with CloudTrail Insights" (CloudTrail User Guide).
  const insight = (state: 'Start' | 'End') => ({
    eventVersion: '1.07',
    eventTime: '2026-11-20T10:00:00Z',
    awsRegion: 'eu-west-1',
    eventID: `insight-${state}`,
    eventType: 'AwsCloudTrailInsight',
    recipientAccountId: '123456789012',
    sharedEventID: 'shared-1',
    insightDetails: {
      state,
      eventSource: 'ssm.amazonaws.com',
      eventName: 'SendCommand',
      insightType: 'ApiCallRateInsight',
    },
    eventCategory: 'Insight',
  });
  t.ok(matchesFilterPattern(INSIGHTS_PATTERN, insight('Start')));
  t.notOk(
    matchesFilterPattern(INSIGHTS_PATTERN, insight('End')),
    'the end of the same Insight is not a new one',
  );
  t.notOk(matchesFilterPattern(INSIGHTS_PATTERN, { eventType: 'AwsApiCall', eventName: 'SendCommand' }));
});
