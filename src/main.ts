// Entry point (`npm start`): configuration, store, engine, queue, HTTP server, graceful shutdown.
import path from 'node:path';
import { alarmCatalog } from '../stacks/public.ts';
import { buildApp, createLogger } from './app.ts';
import { type AuthConfig, loadAuthConfig } from './auth/config.ts';
import { assertSecured, createSecurity, type Security, wireSecurity } from './auth/wire.ts';
import { loadConfig, SANDBOX_NOTICE } from './config.ts';
import { createEngine } from './engine/index.ts';
import { ConfigError } from './errors.ts';
import { auditOperationQueue } from './operations/audit-trail.ts';
import { openStores } from './stores.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  let auth: AuthConfig;
  try {
    config = loadConfig();
    auth = loadAuthConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`trailwarden: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config);
  const stores = await openStores(config.databaseUrl);
  let security: Security;
  try {
    security = await createSecurity({ stores, auth, dataDir: config.dataDir, log: logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`trailwarden: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const engine = await createEngine(config, process.env, logger);
  const app = await buildApp({
    config,
    stores,
    engine,
    alarmCatalog,
    logger,
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
  });
  // Refuses to serve an app whose routes are not behind the auth plugin.
  assertSecured(app);
  auditOperationQueue(app.operationQueue, security.audit, logger);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(
      { signal, timeoutMs: config.shutdownTimeoutMs },
      'shutting down: waiting for running operations',
    );
    // app.close stops the HTTP server taking requests, then the queue (onClose): no new work, running
    // operations get shutdownTimeoutMs to finish before they are aborted (and end `interrupted`).
    try {
      await app.close();
      await stores.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // Recovery of stacks a killed run left can take longer than a start-up hook may.
  await app.operationQueue.recoverInterrupted();
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      port: config.port,
      host: config.host,
      dataDir: config.dataDir,
      mode: config.mode,
      sandbox: config.sandbox,
    },
    'trailwarden listening',
  );
  logger.info(
    { mode: config.mode },
    config.sandbox
      ? `mode sandbox (TRAILWARDEN_MODE): ${SANDBOX_NOTICE}; the sandbox provider keeps AWS-shaped state under ${config.dataDir}/sandbox`
      : 'mode aws (TRAILWARDEN_MODE): operations change real AWS accounts; /readyz checks the CLI, the aws plugin and credentials',
  );
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  if (!auth.bootstrap.disabled) {
    logger.info(
      { pages: `http://${host}:${config.port}/` },
      `pages at http://${host}:${config.port}/ ; first token: ${tokenCommand(config.dataDir, auth.bootstrap.tokenFile)}`,
    );
  }
}

/** The one command that prints the bootstrap token (npm run token reads the same variables). */
function tokenCommand(dataDir: string, tokenFile: string | undefined): string {
  const defaultDir = path.resolve('./data');
  if (!tokenFile && dataDir === defaultDir) return 'npm run -s token';
  return `cat ${tokenFile ?? path.join(dataDir, 'secrets', 'bootstrap-token')}`;
}

main().catch((err) => {
  process.stderr.write(`trailwarden: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
