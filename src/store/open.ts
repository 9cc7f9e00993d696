// The connection a DATABASE_URL names, migrated: `sqlite:<file>`, `sqlite::memory:`, `postgres://…`.
import { migrate } from './migrations.ts';
import { PostgresDatabase } from './postgres.ts';
import type { SqlDatabase } from './sql.ts';
import { SqliteDatabase } from './sqlite.ts';

/** Opens (without migrating) the database a URL names. */
export function openSqlDatabase(databaseUrl: string): SqlDatabase {
  if (/^postgres(ql)?:/.test(databaseUrl)) return new PostgresDatabase(databaseUrl);
  return new SqliteDatabase(databaseUrl.replace(/^(sqlite|file):/, '') || ':memory:');
}

/** Opens the database and applies the migrations it lacks. */
export async function openMigratedDatabase(databaseUrl: string): Promise<SqlDatabase> {
  const db = openSqlDatabase(databaseUrl);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
