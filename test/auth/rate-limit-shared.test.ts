// The per-principal rate limit holds across replicas: two apps (as two replicas behind a load balancer)
// on one PostgreSQL database count one principal's requests together, so a client spread over both gets
// RATE_LIMIT_MAX in all, not twice it. And the counters' SQL works on SQLite too.
import t from 'tap';
import { SqlRateLimitCounters } from '../../src/auth/rate-limit-store.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import { scratchPostgres } from '../helpers/databases.ts';
import { ACCOUNT_A, bearer, buildTestApp, serviceToken } from './helpers.ts';

t.test('two replicas on one PostgreSQL share one budget per principal', async (t) => {
  if (!process.env.TEST_DATABASE_URL?.startsWith('postgres')) {
    if (process.env.CI) t.fail('TEST_DATABASE_URL is not a PostgreSQL URL');
    else t.pass('skipped: TEST_DATABASE_URL is not a PostgreSQL URL');
    return;
  }
  const scratch = await scratchPostgres();
  const auth = { rateLimit: { max: 4, timeWindowMs: 60_000 } };
  // Each app closes its own pool when the test ends; teardowns run last-in first-out, so the database,
  // registered first, goes after them.
  t.teardown(() => scratch.drop());
  const a = await buildTestApp(t, { auth, db: await openMigratedDatabase(scratch.url) });
  const b = await buildTestApp(t, { auth, db: await openMigratedDatabase(scratch.url) });
  const token = await serviceToken(a.security, ['viewer']);
  const other = await serviceToken(a.security, ['viewer']);
  const get = (app: typeof a.app, tok: string) =>
    app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(tok) });
  const answers: number[] = [];
  for (const app of [a.app, b.app, a.app, b.app]) answers.push((await get(app, token)).statusCode);
  t.same(answers, [200, 200, 200, 200], 'four calls over two replicas');
  const fifthA = await get(a.app, token);
  const fifthB = await get(b.app, token);
  t.equal(fifthA.statusCode, 429, 'the fifth is refused on one replica');
  t.equal(fifthB.statusCode, 429, 'and on the other');
  t.equal(fifthB.json().code, 'rate_limited');
  t.ok(fifthB.headers['retry-after'], 'with Retry-After');
  t.equal((await get(b.app, other)).statusCode, 200, 'another principal has its own budget');
});

t.test('counters: a window counts, then starts over (SQLite)', async (t) => {
  const db = await openMigratedDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  let now = 1_000_000;
  const counters = new SqlRateLimitCounters(db, () => now);
  t.same(await counters.hit('p:one', 1000), { current: 1, ttl: 1000 });
  now += 400;
  t.same(await counters.hit('p:one', 1000), { current: 2, ttl: 600 });
  t.same(await counters.peek('p:one'), { current: 2, ttl: 600 }, 'a peek does not count');
  t.same(await counters.hit('p:two', 1000), { current: 1, ttl: 1000 }, 'keys apart');
  now += 600;
  t.same(await counters.hit('p:one', 1000), { current: 1, ttl: 1000 }, 'a new window');
});
