// The SQLite database (audit trail, token hashes) and the generated secrets are 0600, in directories
// others cannot list; files an older version left readable are tightened at start. Also: the connection
// limits configuration (defaults, variables, validation).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity } from '../../src/auth/wire.ts';
import { loadConfig } from '../../src/config.ts';
import { openStores } from '../../src/stores.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'trailwarden-modes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dataDir: string) {
  const config = loadConfig({ DATA_DIR: dataDir });
  const store = await openStores(config.databaseUrl);
  await createSecurity({
    stores: store,
    auth: testAuthConfig({ bootstrap: { disabled: false, tokenFile: undefined } }),
    dataDir: config.dataDir,
  });
  // Something written, so SQLite has its -wal and -shm files.
  await store.audit.append({ actor: 'system', action: 'probe', outcome: 'ok' });
  return { config, store };
}

t.test('a fresh data directory: 0700 directories, 0600 database and secrets', async (t) => {
  const previous = process.umask(0o022);
  t.teardown(() => process.umask(previous));
  const dataDir = path.join(tempDir(t), 'data');
  const { store } = await start(dataDir);
  t.teardown(() => store.close());
  t.equal(mode(dataDir), 0o700, 'DATA_DIR');
  t.equal(mode(path.join(dataDir, 'secrets')), 0o700, 'DATA_DIR/secrets');
  for (const file of ['trailwarden.db', 'trailwarden.db-wal', 'trailwarden.db-shm']) {
    t.equal(mode(path.join(dataDir, file)), 0o600, file);
  }
  t.equal(mode(path.join(dataDir, 'secrets', 'passphrase')), 0o600, 'the generated passphrase');
  t.equal(mode(path.join(dataDir, 'secrets', 'bootstrap-token')), 0o600, 'the bootstrap token');
});

t.test('files and directories an earlier version left open are tightened', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  mkdirSync(path.join(dataDir, 'secrets'), { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(path.join(dataDir, 'secrets'), 0o755);
  writeFileSync(path.join(dataDir, 'trailwarden.db'), '', { mode: 0o644 });
  writeFileSync(path.join(dataDir, 'secrets', 'passphrase'), 'old-passphrase\n', { mode: 0o644 });
  writeFileSync(path.join(dataDir, 'secrets', 'bootstrap-token'), `${'t'.repeat(40)}\n`, { mode: 0o644 });
  const { config, store } = await start(dataDir);
  t.teardown(() => store.close());
  t.equal(config.pulumiConfigPassphrase, 'old-passphrase', 'the existing passphrase is kept');
  t.equal(mode(dataDir), 0o750, 'DATA_DIR: no access for others');
  t.equal(mode(path.join(dataDir, 'secrets')), 0o750, 'secrets: no access for others');
  t.equal(mode(path.join(dataDir, 'trailwarden.db')), 0o600);
  t.equal(mode(path.join(dataDir, 'secrets', 'passphrase')), 0o600);
  t.equal(mode(path.join(dataDir, 'secrets', 'bootstrap-token')), 0o600);
});

t.test('a shared sticky directory is never changed', async (t) => {
  const shared = tempDir(t);
  chmodSync(shared, 0o1777);
  const store = await openStores(`sqlite:${path.join(shared, 'x.db')}`);
  t.teardown(() => store.close());
  t.equal(statSync(shared).mode & 0o7777, 0o1777, 'left as it was');
  t.equal(mode(path.join(shared, 'x.db')), 0o600, 'the database file is still 0600');
});

t.test('connection limits: safe defaults, configurable, validated', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  t.same(loadConfig({ DATA_DIR: dataDir }).http, {
    headersTimeoutMs: 10000,
    requestTimeoutMs: 30000,
    keepAliveTimeoutMs: 72000,
    idleTimeoutMs: 60000,
    maxConnections: 1000,
    maxRequestsPerSocket: 1000,
  });
  t.same(
    loadConfig({
      DATA_DIR: dataDir,
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_IDLE_TIMEOUT_MS: '120000',
      HTTP_MAX_CONNECTIONS: '5000',
      HTTP_MAX_REQUESTS_PER_SOCKET: '0',
    }).http,
    {
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 65000,
      idleTimeoutMs: 120000,
      maxConnections: 5000,
      maxRequestsPerSocket: 0,
    },
  );
  t.throws(
    () => loadConfig({ DATA_DIR: dataDir, HTTP_HEADERS_TIMEOUT_MS: '40000' }),
    /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/,
  );
  t.throws(() => loadConfig({ DATA_DIR: dataDir, HTTP_MAX_CONNECTIONS: '0' }), /HTTP_MAX_CONNECTIONS/);
  t.throws(
    () => loadConfig({ DATA_DIR: dataDir, HTTP_IDLE_TIMEOUT_MS: '10000' }),
    /HTTP_IDLE_TIMEOUT_MS/,
    'an idle timeout under the 15 s SSE keep-alive would cut event streams',
  );
});
