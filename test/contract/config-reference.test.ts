// The README's configuration reference is the one scripts/config-reference.ts generates from the config
// schemas, and it names every environment variable the service reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  configRows,
  configTable,
  END,
  ENGINE_VARIABLES,
  MEANINGS,
  START,
  tableCells,
} from '../../scripts/config-reference.ts';
import { AuthEnv } from '../../src/auth/config.ts';
import { ConfigEnv } from '../../src/config.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

t.test('README configuration table equals the one generated from the schemas', async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  t.ok(start >= 0 && end > start, 'README has the generated section');
  t.same(
    tableCells(readme),
    tableCells(configTable()),
    'README is stale: run `node scripts/config-reference.ts --write`',
  );
  t.ok(tableCells(readme).length > 40, 'every variable has a row');
});

t.test('every schema variable is in the table with its default, and nothing else is', async (t) => {
  const rows = new Map(configRows().map((r) => [r.name, r]));
  for (const schema of [ConfigEnv, AuthEnv]) {
    for (const [name, prop] of Object.entries(schema.properties as Record<string, { default?: unknown }>)) {
      const row = rows.get(name);
      t.ok(row, `${name} documented`);
      if (prop.default !== undefined)
        t.equal(row?.default, `\`${String(prop.default)}\``, `${name}: default`);
    }
  }
  const schemaNames = new Set([...Object.keys(ConfigEnv.properties), ...Object.keys(AuthEnv.properties)]);
  for (const name of Object.keys(MEANINGS)) t.ok(schemaNames.has(name), `${name}: a schema variable`);
});

/** Variables of the process or of tools, not settings of the service. */
const NOT_SETTINGS = new Set([
  'PATH',
  'XDG_CACHE_HOME',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'HOME',
  // Set by the engine for the CLI it starts (src/engine/processes.ts), as the Automation API does.
  'PULUMI_AUTOMATION_API',
  // The AWS SDK's own credential chain (the aws provider reads it; readiness in aws mode only checks
  // that one source is present, src/health/prerequisites.ts): AWS's settings, documented by AWS.
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_EC2_METADATA_DISABLED',
  // Set by the engine for the sandbox provider it starts.
  'TRAILWARDEN_SANDBOX_ACCOUNT_ID',
]);

t.test('every environment variable the service reads is documented', async (t) => {
  const documented = new Set(configRows().map((r) => r.name));
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  const read = new Set<string>();
  for (const file of files(join(repoRoot, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]{2,})/g))
      read.add(m[1]!);
  }
  t.ok(read.size >= Object.keys(ENGINE_VARIABLES).length, `${read.size} variables read`);
  for (const name of read) {
    if (!NOT_SETTINGS.has(name)) t.ok(documented.has(name), `${name} is in the configuration reference`);
  }
});
