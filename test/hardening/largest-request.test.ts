// The largest valid requests (bench/largest-request.ts, timed by `npm run bench:validation`) are accepted
// whole; oversized ones are refused with one error naming the bound, never a 500 or a stall.
import t from 'tap';
import { DEFAULT_BODY_LIMIT, largestValidRequests } from '../../bench/largest-request.ts';
import { AWS_REGIONS } from '../../src/trail-request/schema.ts';
import { MANAGEMENT_ACCOUNT, makeApp } from '../api/helpers.ts';

const url = `/v1/accounts/${MANAGEMENT_ACCOUNT}/trail`;

t.test('the largest valid requests are accepted and stored as sent', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  let etag: string | undefined;
  for (const { name, body } of largestValidRequests()) {
    const payload = JSON.stringify(body);
    t.ok(Buffer.byteLength(payload) <= DEFAULT_BODY_LIMIT, `${name}: within the body limit`);
    const res = await app.inject({
      method: 'PUT',
      url,
      // The second request updates the first: an update names the version it replaces.
      headers: { 'content-type': 'application/json', ...(etag ? { 'if-match': etag } : {}) },
      payload,
    });
    etag = String(res.headers.etag);
    t.ok(res.statusCode === 200 || res.statusCode === 201, `${name}: accepted (${res.statusCode})`);
    const spec = res.json().spec;
    t.same(
      spec.dataEvents.map((d: { resources: unknown }) => d.resources),
      body.dataEvents?.map((d) => d.resources),
      `${name}: every data event resource stored`,
    );
    t.same(spec.tags, body.tags, `${name}: every tag stored`);
    t.same(spec.securityReaders, body.securityReaders);
  }
});

t.test('oversized arrays, maps and strings: one 400 naming the bound', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const cases: [string, object, string, RegExp][] = [
    [
      '15,000 regions (just within the body limit)',
      { homeRegion: 'us-east-1', regions: Array.from({ length: 15000 }, (_, i) => AWS_REGIONS[i % 29]) },
      '/regions',
      /more than 29 items/,
    ],
    [
      '20,000 tags',
      {
        homeRegion: 'us-east-1',
        tags: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`k${i}`, 'v'])),
      },
      '/tags',
      /more than 40 properties/,
    ],
    [
      '300 ARNs in one data event scope',
      {
        homeRegion: 'us-east-1',
        dataEvents: [
          { kind: 's3-object', resources: Array.from({ length: 300 }, (_, i) => `arn:aws:s3:::b/${i}`) },
        ],
      },
      '/dataEvents/0/resources',
      /more than 250 items/,
    ],
    [
      'a 3000-character reader ARN',
      { homeRegion: 'us-east-1', securityReaders: [`arn:aws:iam::123456789012:role/${'r'.repeat(3000)}`] },
      '/securityReaders/0',
      /more than 2048 characters/,
    ],
  ];
  for (const [name, body, path, message] of cases) {
    const res = await app.inject({ method: 'PUT', url, payload: body });
    t.equal(res.statusCode, 400, name);
    const errors = res.json().errors as { path: string; message: string }[];
    t.equal(errors.length, 1, `${name}: one error`);
    t.equal(errors[0]?.path, path, `${name}: at ${path}`);
    t.match(errors[0]?.message, message);
  }
  const dup = await app.inject({
    method: 'PUT',
    url,
    payload: { homeRegion: 'us-east-1', regions: ['us-east-1', 'eu-west-1', 'us-east-1'] },
  });
  t.equal(dup.statusCode, 400, 'duplicates are still refused');
  t.same(dup.json().errors, [{ path: '/regions', message: 'must not contain duplicates' }]);
  t.equal((await app.inject({ url })).statusCode, 404, 'nothing was stored');
});
