// The databases store tests run on: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set
// (CI starts one), so that the same SQL is proven on both.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SqlStore } from '../../src/store/sql-store.ts';

export const databases = [
  'sqlite::memory:',
  ...(process.env['TEST_DATABASE_URL'] ? [process.env['TEST_DATABASE_URL']] : []),
];

/** A store on an empty database (PostgreSQL's public schema is dropped first). */
export async function freshStore(url: string): Promise<SqlStore> {
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.end();
  }
  return SqlStore.open(url);
}

/**
 * A database of its own on TEST_DATABASE_URL's PostgreSQL server (other tests drop that one's schema
 * while they run), and the function that drops it again. For tests of several processes or pools on one
 * database (replicas).
 */
export async function scratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env.TEST_DATABASE_URL!;
  const name = `tw_scratch_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
