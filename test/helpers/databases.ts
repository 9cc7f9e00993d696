// The databases store tests run on: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set
// (CI starts one), so that the same SQL is proven on both.
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
