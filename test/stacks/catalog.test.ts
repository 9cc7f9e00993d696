import t from 'tap';
import { describeAlarmSets, getAlarmSet, hasAlarmSet, listAlarmSets } from '../../stacks/alarms/catalog.ts';
import { matchesFilterPattern, parseFilterPattern } from '../../stacks/alarms/filter-pattern.ts';
import { ENTRY_FIXTURES } from './fixtures/cloudtrail-events.ts';

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
        t.doesNotThrow(() => parseFilterPattern(entry.filterPattern), 'pattern parses');
        t.ok(entry.threshold >= 1 && entry.evaluationPeriods >= 1, 'alarm fires on real events');
        t.ok([10, 30].includes(entry.period) || entry.period % 60 === 0, 'period is one CloudWatch accepts');
        const fixtures = ENTRY_FIXTURES[entry.id];
        if (!fixtures) {
          t.fail(`no fixture events for ${entry.id}`);
          return;
        }
        t.ok(fixtures.match.length > 0 && fixtures.noMatch.length > 0, 'has both kinds of fixtures');
        for (const e of fixtures.match)
          t.ok(matchesFilterPattern(entry.filterPattern, JSON.stringify(e)), `fires on ${e.eventName}`);
        for (const e of fixtures.noMatch)
          t.notOk(matchesFilterPattern(entry.filterPattern, JSON.stringify(e)), `quiet on ${e.eventName}`);
      });
    }
  });
}

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
    t.notOk('filterPattern' in (s.entries[0] ?? {}), 'patterns are not part of the listing');
  }
  t.ok(alarmCatalog.has('cis'));
  t.notOk(alarmCatalog.has('CIS'));
});
