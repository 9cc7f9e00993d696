// GET /v1/alarm-sets with the real catalog, over HTTP as a viewer sees it: every entry with its
// pattern per profile and its CIS and Security Hub control ids.
import t from 'tap';
import { alarmCatalog, getAlarmSet, PATTERN_PROFILES } from '../../stacks/alarms/catalog.ts';
import { appWithRoutes } from '../helpers/routes.ts';

interface Listed {
  name: string;
  profiles: string[];
  defaultProfile: string;
  entries: {
    id: string;
    patterns: Record<string, string>;
    controls: { cis: string[]; securityHub: string[] };
  }[];
}

t.test('GET /v1/alarm-sets returns each entry with its profile patterns and control ids', async (t) => {
  const { app, security } = await appWithRoutes({ alarmCatalog });
  t.teardown(() => app.close());
  const viewer = await security.tokens.create({
    name: 'viewer',
    roles: ['viewer'],
    accounts: ['*'],
    expiresInDays: 1,
    createdBy: 'test:creator',
  });

  const res = await app.inject({
    method: 'GET',
    url: '/v1/alarm-sets',
    headers: { authorization: `Bearer ${viewer.token}` },
  });
  t.equal(res.statusCode, 200);
  const items = res.json().items as Listed[];
  t.same(
    items.map((s) => s.name),
    ['essentials', 'cis'],
  );
  for (const set of items) {
    t.same(set.profiles, [...PATTERN_PROFILES]);
    t.equal(set.defaultProfile, 'securityhub');
    const entries = getAlarmSet(set.name).entries;
    t.same(
      set.entries.map((e) => e.id),
      entries.map((e) => e.id),
      `${set.name}: the stable entry ids`,
    );
    for (const e of set.entries) {
      const entry = entries.find((x) => x.id === e.id)!;
      t.same(e.patterns, entry.patterns, `${set.name}/${e.id} patterns`);
      t.same(e.controls, entry.controls, `${set.name}/${e.id} controls`);
    }
  }
  const root = items.find((s) => s.name === 'cis')!.entries.find((e) => e.id === 'root-account-usage')!;
  t.same(root.controls, {
    cis: ['CIS v1.2.0 3.3', 'CIS v1.4.0 4.3', 'CIS v3.0.0 4.3'],
    securityHub: ['CloudWatch.1'],
  });

  const anonymous = await app.inject({ method: 'GET', url: '/v1/alarm-sets' });
  t.equal(anonymous.statusCode, 401, 'the catalog still needs a token');
});
