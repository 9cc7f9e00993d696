// Log capture: tokens (bearer, service, bootstrap) and the passphrase never reach the logs.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { testAuthConfig } from '../../src/auth/config.ts';
import { mergeRedactPaths, SECRET_REDACT_PATHS } from '../../src/auth/hardening.ts';
import { createSecurity } from '../../src/auth/wire.ts';
import { openMigratedDatabase } from '../../src/store/open.ts';
import { createStores } from '../../src/stores.ts';
import { tempDir } from '../helpers/engine.ts';
import {
  ACCOUNT_A,
  bearer,
  buildTestApp,
  jwksServer,
  oidcConfig,
  rsaKeys,
  serviceToken,
  signToken,
} from './helpers.ts';

const PASSPHRASE = 'correct-horse-battery-staple-7f3a9c';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = pino(
    { level: 'trace', redact: { paths: mergeRedactPaths(SECRET_REDACT_PATHS), censor: '[Redacted]' } },
    stream,
  );
  return { logger, text: () => lines.join('') };
}

t.test('tokens and the passphrase never reach the logs', async (t) => {
  const { logger, text } = capture();
  const keys = await rsaKeys();
  const jwks = await jwksServer(t, [keys.publicJwk]);
  const dataDir = await tempDir(t);
  const { app, security } = await buildTestApp(t, {
    logger,
    dataDir,
    auth: { oidc: oidcConfig(jwks.url), bootstrap: { disabled: false, tokenFile: undefined } },
    extraRoutes: (app) => {
      // A careless handler that logs everything it has.
      app.post('/v1/debug', { config: { access: { role: 'admin' } } }, async (req) => {
        const body = req.body as Record<string, unknown>;
        req.log.info({ headers: req.headers }, 'headers');
        req.log.info({ req: { headers: req.headers } }, 'request');
        req.log.info({ token: body['token'], config: { pulumiConfigPassphrase: PASSPHRASE } }, 'config');
        req.log.info({ passphrase: PASSPHRASE, env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } }, 'env');
        req.log.info({ body }, 'body');
        req.log.info({ response: { token: body['token'] } }, 'response');
        return { ok: true };
      });
    },
  });
  const { readFileSync } = await import('node:fs');
  const bootstrap = readFileSync(`${dataDir}/secrets/bootstrap-token`, 'utf8').trim();
  const jwt = await signToken(keys, { roles: ['admin'] });
  const expiredJwt = await signToken(keys, { roles: ['admin'], expiresIn: -3600 });
  const svc = await serviceToken(security, ['admin']);

  // Every kind of token, valid and not, through every path that logs.
  const created = await app.inject({
    method: 'POST',
    url: '/v1/service-tokens',
    headers: bearer(bootstrap),
    payload: { name: 'ci', roles: ['viewer'] },
  });
  t.equal(created.statusCode, 201);
  const shownOnce = created.json().token as string;
  for (const token of [jwt, svc, bootstrap, shownOnce]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/debug',
      headers: { ...bearer(token), 'x-request-id': 'r1' },
      payload: { token, passphrase: PASSPHRASE, nested: { token } },
    });
    t.equal(res.statusCode, token === shownOnce ? 403 : 200);
  }
  t.equal(
    (await app.inject({ url: `/v1/accounts/${ACCOUNT_A}/trail`, headers: bearer(expiredJwt) })).statusCode,
    401,
  );
  t.equal((await app.inject({ url: '/v1/settings', headers: bearer(svc + 'tampered') })).statusCode, 401);
  await security.audit.settled();

  const logs = text();
  t.ok(logs.length > 1000, 'the app did log');
  t.match(logs, /\[Redacted\]/, 'and redacted');
  for (const [name, secret] of [
    ['JWT', jwt],
    ['expired JWT', expiredJwt],
    ['service token', svc],
    ['bootstrap token', bootstrap],
    ['token shown once', shownOnce],
    ['passphrase', PASSPHRASE],
  ] as const) {
    t.notOk(logs.includes(secret), `${name} is not in the logs`);
    // Nor a recognizable chunk of it (a log line that truncated it).
    t.notOk(logs.includes(secret.slice(-24)), `${name}: not even its tail`);
  }
});

t.test('creating the bootstrap token logs where it is, not what it is', async (t) => {
  const { logger, text } = capture();
  const dataDir = await tempDir(t);
  const db = await openMigratedDatabase('sqlite::memory:');
  t.teardown(() => db.close());
  await createSecurity({
    stores: createStores(db),
    auth: testAuthConfig({ bootstrap: { disabled: false, tokenFile: undefined } }),
    dataDir,
    log: logger,
  });
  const { readFileSync } = await import('node:fs');
  const token = readFileSync(`${dataDir}/secrets/bootstrap-token`, 'utf8').trim();
  t.match(text(), /bootstrap admin token generated/);
  t.match(text(), /secrets\/bootstrap-token/);
  t.notOk(text().includes(token));
});
