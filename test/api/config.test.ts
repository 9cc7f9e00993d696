import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { defaultConcurrency, loadConfig, roleForAccount, testConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

function tempDir(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'trailwarden-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('defaults run out of the box; the passphrase is generated once, 0600, and reused', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir });
  t.match(config, {
    port: 8080,
    host: '127.0.0.1',
    dataDir: dir,
    databaseUrl: `sqlite:${path.join(dir, 'trailwarden.db')}`,
    mode: 'sandbox',
    sandbox: true,
    maxConcurrentOperations: defaultConcurrency(),
    logLevel: 'info',
    roleArnTemplate: 'arn:aws:iam::{accountId}:role/TrailwardenDeployer',
  });
  const file = path.join(dir, 'secrets', 'passphrase');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(readFileSync(file, 'utf8').trim(), config.pulumiConfigPassphrase);
  t.ok(config.pulumiConfigPassphrase.length >= 32);
  t.equal(loadConfig({ DATA_DIR: dir }).pulumiConfigPassphrase, config.pulumiConfigPassphrase, 'reused');
});

t.test('variables are converted and validated, with a clear message', async (t) => {
  const dir = tempDir(t);
  const passFile = path.join(dir, 'pass');
  writeFileSync(passFile, 'from-file\n');
  const config = loadConfig({
    DATA_DIR: dir,
    PORT: '9090',
    TRAILWARDEN_SANDBOX: 'true',
    MAX_CONCURRENT_OPERATIONS: '8',
    MANAGEMENT_ACCOUNT_ID: '999988887777',
    PULUMI_CONFIG_PASSPHRASE_FILE: passFile,
    EXTERNAL_ID: 'ext-1',
    DATABASE_URL: 'postgres://db/trailwarden',
  });
  t.match(config, {
    port: 9090,
    sandbox: true,
    maxConcurrentOperations: 8,
    managementAccountId: '999988887777',
    pulumiConfigPassphrase: 'from-file',
    databaseUrl: 'postgres://db/trailwarden',
  });

  const err = (() => {
    try {
      loadConfig({
        DATA_DIR: dir,
        PORT: 'eighty',
        MAX_CONCURRENT_OPERATIONS: '0',
        MANAGEMENT_ACCOUNT_ID: '12',
      });
    } catch (e) {
      return e;
    }
  })();
  t.type(err, ConfigError);
  t.match((err as Error).message, /PORT: must be integer \(got "eighty"\)/);
  t.match((err as Error).message, /MAX_CONCURRENT_OPERATIONS: .*\(got "0"\)/);
  t.match((err as Error).message, /MANAGEMENT_ACCOUNT_ID: .*\(got "12"\)/);
  t.throws(() => loadConfig({ DATA_DIR: dir, ROLE_ARN_TEMPLATE: 'arn:aws:iam::123:role/x' }), ConfigError);
  t.throws(
    () =>
      loadConfig({ DATA_DIR: dir, PULUMI_CONFIG_PASSPHRASE: 'a', PULUMI_CONFIG_PASSPHRASE_FILE: passFile }),
    /not both/,
  );
});

t.test(
  'TRAILWARDEN_MODE: sandbox by default, aws when asked; the old TRAILWARDEN_SANDBOX is an alias',
  async (t) => {
    const dir = tempDir(t);
    t.match(
      loadConfig({ DATA_DIR: dir }),
      { mode: 'sandbox', sandbox: true },
      'a fresh clone runs the sandbox',
    );
    t.match(loadConfig({ DATA_DIR: dir, TRAILWARDEN_MODE: 'aws' }), { mode: 'aws', sandbox: false });
    t.match(loadConfig({ DATA_DIR: dir, TRAILWARDEN_SANDBOX: 'false' }), { mode: 'aws', sandbox: false });
    t.match(loadConfig({ DATA_DIR: dir, TRAILWARDEN_SANDBOX: 'true' }), { mode: 'sandbox' });
    t.match(
      loadConfig({ DATA_DIR: dir, TRAILWARDEN_SANDBOX: 'true', TRAILWARDEN_MODE: 'sandbox' }),
      { mode: 'sandbox' },
      'both, agreeing',
    );
    t.throws(
      () => loadConfig({ DATA_DIR: dir, TRAILWARDEN_SANDBOX: 'true', TRAILWARDEN_MODE: 'aws' }),
      /TRAILWARDEN_SANDBOX=true contradicts TRAILWARDEN_MODE=aws; set only TRAILWARDEN_MODE/,
    );
    t.throws(
      () => loadConfig({ DATA_DIR: dir, TRAILWARDEN_MODE: 'production' }),
      /TRAILWARDEN_MODE: .*"production"/,
    );
    t.match(testConfig({ mode: 'aws' }), { mode: 'aws', sandbox: false }, 'testConfig keeps the two in step');
    t.match(testConfig({ sandbox: false }), { mode: 'aws', sandbox: false });
  },
);

t.test('roleForAccount: from the template, with the external id; none in sandbox mode', async (t) => {
  const config = testConfig({ sandbox: false, externalId: 'ext-9' });
  t.same(roleForAccount(config, '111122223333'), {
    roleArn: 'arn:aws:iam::111122223333:role/TrailwardenDeployer',
    externalId: 'ext-9',
  });
  t.same(
    roleForAccount(testConfig({ sandbox: false, roleArnTemplate: 'arn:aws:iam::{accountId}:role/X' }), '1'),
    {
      roleArn: 'arn:aws:iam::1:role/X',
    },
  );
  t.equal(roleForAccount(testConfig({ sandbox: true }), '111122223333'), undefined);
});

t.test('Pulumi state in S3 and a KMS secrets provider, for several replicas', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({
    DATA_DIR: dir,
    PULUMI_BACKEND_URL: 's3://team-state?region=eu-west-1',
    PULUMI_SECRETS_PROVIDER: 'awskms://alias/trailwarden-state?region=eu-west-1',
  });
  t.equal(config.pulumiBackendUrl, 's3://team-state?region=eu-west-1');
  t.equal(config.pulumiSecretsProvider, 'awskms://alias/trailwarden-state?region=eu-west-1');
  t.equal(config.pulumiConfigPassphrase, '', 'a KMS provider needs no passphrase');
  t.throws(() => statSync(path.join(dir, 'secrets', 'passphrase')), 'and none is generated');

  const defaults = loadConfig({ DATA_DIR: dir });
  t.equal(defaults.pulumiBackendUrl, undefined, 'default: the file backend under DATA_DIR');
  t.equal(defaults.pulumiSecretsProvider, 'passphrase');

  t.throws(() => loadConfig({ DATA_DIR: dir, PULUMI_BACKEND_URL: 'ftp://state' }), ConfigError);
  t.throws(() => loadConfig({ DATA_DIR: dir, PULUMI_SECRETS_PROVIDER: 'awskms' }), ConfigError, 'a key URL');
  t.throws(() => loadConfig({ DATA_DIR: dir, PULUMI_SECRETS_PROVIDER: 'vault://x' }), ConfigError);
});
