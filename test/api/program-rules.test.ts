// Rules that the Pulumi program enforces on its own (it also runs without this API) reach the
// caller as 400s with their field path at PUT time, not as engine failures later.
import t from 'tap';
import { makeApp, putTrail } from './helpers.ts';

const cases: { name: string; body: object; path: string }[] = [
  {
    name: 'listed regions without the home region',
    body: { homeRegion: 'us-east-1', regions: ['eu-west-1'] },
    path: '/regions',
  },
  {
    name: 'listed regions without us-east-1, where global service events are recorded',
    body: { homeRegion: 'eu-west-1', regions: ['eu-west-1', 'eu-central-1'] },
    path: '/regions',
  },
  {
    name: 'Insights without write management events',
    body: {
      homeRegion: 'us-east-1',
      managementEvents: { read: true, write: false },
      insights: ['ApiCallRateInsight'],
    },
    path: '/insights',
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const { app } = await makeApp();
    t.teardown(() => app.close());
    const res = await putTrail(app, undefined, c.body);
    t.equal(res.statusCode, 400);
    const body = res.json() as { code: string; errors: { path: string; message: string }[] };
    t.ok(
      body.errors.some((e) => e.path === c.path && e.message.length > 0),
      `names ${c.path}: ${JSON.stringify(body.errors)}`,
    );
  });
}
