// Tag keys and values follow AWS's rules; an invalid one is a 400 naming the field, and nothing is stored.
import t from 'tap';
import { ACCOUNT, makeApp } from '../api/helpers.ts';

const url = `/v1/accounts/${ACCOUNT}/trail`;
const put = (app: Awaited<ReturnType<typeof makeApp>>['app'], tags: Record<string, string>) =>
  app.inject({ method: 'PUT', url, payload: { homeRegion: 'us-east-1', tags } });

/** JSON pointer token of a key (RFC 6901). */
const pointer = (key: string) => `/tags/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

t.test('invalid tag keys: 400 with the field path, never stored', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const stored = await put(app, { team: 'audit' });
  t.equal(stored.statusCode, 201);

  const invalid: [string, string][] = [
    ['', 'empty key'],
    ['a\nb', 'control character'],
    ['<img src=x onerror=alert(1)>', 'markup'],
    ['aws:owner', 'reserved aws: prefix'],
    ['AWS:owner', 'reserved prefix, any case'],
    ['trailwarden:account', "the service's own marker tag"],
    ['k'.repeat(129), 'longer than 128'],
    ['a/b~c;', 'a semicolon (and pointer escapes in the path)'],
    ['line\u2028separator', 'a line separator (Unicode Zl)'],
  ];
  for (const [key, why] of invalid) {
    const res = await put(app, { ok: 'yes', [key]: 'v' });
    t.equal(res.statusCode, 400, `${why}: 400`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const body = res.json();
    t.equal(body.code, 'validation_failed');
    t.same(
      body.errors.map((e: { path: string }) => e.path),
      [pointer(key)],
      `${why}: the error names the key's path only`,
    );
    t.match(body.errors[0].message, /is not an accepted key/);
  }

  const invalidValues: [string, string][] = [
    ['x'.repeat(257), 'value longer than 256'],
    ['line\nbreak', 'value with a control character'],
    ['aws:thing', 'value with the reserved prefix'],
  ];
  for (const [value, why] of invalidValues) {
    const res = await put(app, { owner: value });
    t.equal(res.statusCode, 400, why);
    t.same(
      res.json().errors.map((e: { path: string }) => e.path),
      ['/tags/owner'],
      `${why}: names the value`,
    );
  }

  const many = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, 'v']));
  const tooMany = await put(app, many);
  t.equal(tooMany.statusCode, 400, '41 tags: more than the 40 a request may set');
  t.same(tooMany.json().errors, [{ path: '/tags', message: tooMany.json().errors[0].message }]);

  const current = await app.inject({ url });
  t.same(current.json().spec.tags, { team: 'audit' }, 'nothing invalid was stored');
  t.equal(current.json().specVersion, 1, 'the version did not move');
});

t.test('valid tags: stored and shown exactly as sent', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const tags = {
    'cost-center': '4711',
    'Owner Name': 'Zoë Ångström',
    'app:tier/role=x+y@z_1.0': '',
    [`${'k'.repeat(128)}`]: 'v'.repeat(256),
    Umgebung: 'Prüfung',
    'no\u00a0break': 'Zs separators are spaces',
    'aws-account': 'only aws: at the start is reserved',
  };
  const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`extra-${i}`, `${i}`]));
  const all = { ...tags, ...many };
  t.equal(Object.keys(all).length, 40);
  const res = await put(app, all);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json().spec.tags, all, 'the response shows every tag');
  const stored = await app.inject({ url });
  t.same(stored.json().spec.tags, all, 'and that is what is stored');
});
