// The databases store tests run on: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set
// (CI starts one), so that the same SQL is proven on both.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStores, type Stores } from '../../src/stores.ts';

export const databases = [
  'sqlite::memory:',
  ...(process.env['TEST_DATABASE_URL'] ? [process.env['TEST_DATABASE_URL']] : []),
];

/**
 * A PostgreSQL URL whose connections work in a new, empty schema of their own (test files run in
 * parallel against one database: none may reset another's tables), and a function that drops it.
 */
export async function isolatedSchema(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `tw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Stores on an empty database (on PostgreSQL a schema of their own, dropped on close). */
export async function freshStore(url: string): Promise<Stores> {
  if (!url.startsWith('postgres')) return openStores(url);
  const isolated = await isolatedSchema(url);
  const stores = await openStores(isolated.url);
  return {
    ...stores,
    close: async () => {
      await stores.close();
      await isolated.drop();
    },
  };
}

/** Empties the database's public schema (for a service started on the URL itself). */
export async function resetPublicSchema(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
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
