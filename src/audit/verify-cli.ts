// Verifies the audit hash chain in the configured database, read-only.
//   node src/audit/verify-cli.ts [--database-url <url>]
// DATABASE_URL / DATA_DIR as for the service. Prints a JSON result; exit 0 ok, 1 broken, 2 cannot check.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfigEnv } from '../config.ts';
import { PostgresDatabase } from '../store/postgres.ts';
import type { SqlDatabase } from '../store/sql.ts';
import { SqliteDatabase } from '../store/sqlite.ts';
import { SqlAuditStore } from './store.ts';

/** The database URL the service would use, without creating anything. */
export function configuredDatabaseUrl(env: NodeJS.ProcessEnv): string {
  const e = parseConfigEnv(env);
  return e.DATABASE_URL ?? `sqlite:${path.join(path.resolve(e.DATA_DIR), 'trailwarden.db')}`;
}

export function openDatabase(url: string): SqlDatabase {
  if (/^postgres(ql)?:/.test(url)) return new PostgresDatabase(url);
  const file = url.replace(/^(sqlite|file):/, '');
  if (!file || file === ':memory:' || !existsSync(file))
    throw new Error(`no SQLite database at ${file || '(empty)'}`);
  return new SqliteDatabase(file);
}

/** Returns the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  let db: SqlDatabase | undefined;
  try {
    const { values } = parseArgs({ args: argv, options: { 'database-url': { type: 'string' } } });
    db = openDatabase(values['database-url'] ?? configuredDatabaseUrl(env));
    const result = await new SqlAuditStore(db).verify();
    out(JSON.stringify(result));
    return result.ok ? 0 : 1;
  } catch (err) {
    out(JSON.stringify({ ok: false, error: (err as Error).message }));
    return 2;
  } finally {
    await db?.close();
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), process.env, (line) =>
    process.stdout.write(line + '\n'),
  );
}
