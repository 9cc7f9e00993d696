// The versions of trail requests, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: recorded once,
// listed newest first, paginated by version.
import t from 'tap';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import { databases, freshStore } from '../helpers/databases.ts';

for (const url of databases) {
  t.test(`spec versions on ${url.split(':')[0]}`, async (t) => {
    const store = await freshStore(url);
    t.teardown(() => store.close());
    const versions = store.specVersions;
    const spec = resolveTrailRequest({ homeRegion: 'eu-west-1' });
    for (const version of [1, 2, 3]) {
      await versions.record({
        accountId: '123456789012',
        version,
        spec: { ...spec, insights: version === 3 ? ['ApiCallRateInsight'] : [] },
        createdAt: `2026-01-0${version}T00:00:00.000Z`,
        createdBy: `svc:${version}`,
        createdByName: null,
      });
    }
    await versions.record({
      accountId: '123456789012',
      version: 3,
      spec,
      createdAt: '2030-01-01T00:00:00.000Z',
      createdBy: 'svc:other',
      createdByName: null,
    });
    const first = await versions.list('123456789012', { limit: 2 });
    t.same(
      first.map((v) => [v.version, v.createdBy]),
      [
        [3, 'svc:3'],
        [2, 'svc:2'],
      ],
      'newest first; a version is recorded once',
    );
    t.same(first[0]!.spec.insights, ['ApiCallRateInsight']);
    const rest = await versions.list('123456789012', { limit: 2, beforeVersion: 2 });
    t.same(
      rest.map((v) => v.version),
      [1],
    );
    t.same(await versions.list('999999999999', { limit: 5 }), []);
  });
}
