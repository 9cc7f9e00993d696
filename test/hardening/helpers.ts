// The app as src/main.ts wires it (security, hardening, audit), listening on loopback, with its log lines
// captured: for tests that need real sockets (slow clients, Node's own client errors).
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildApp, createLogger } from '../../src/app.ts';
import { type AuthConfig, testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, type Security, wireSecurity } from '../../src/auth/wire.ts';
import { type Config, testConfig } from '../../src/config.ts';
import { openStores, type Stores } from '../../src/stores.ts';
import { alarmCatalog, ControllableEngine } from '../api/helpers.ts';

export interface ListeningApp {
  app: FastifyInstance;
  url: string;
  port: number;
  security: Security;
  store: Stores;
  /** Parsed pino lines so far. */
  logs: Record<string, unknown>[];
  adminToken: string;
}

export async function listeningApp(
  t: Test,
  opts: { config?: Partial<Config>; auth?: Partial<AuthConfig> } = {},
): Promise<ListeningApp> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = testConfig({ logLevel: 'info', ...opts.config });
  const store = await openStores('sqlite::memory:');
  const security = await createSecurity({
    stores: store,
    auth: testAuthConfig(opts.auth),
    dataDir: '/nonexistent',
  });
  const app = await buildApp({
    config,
    stores: store,
    engine: new ControllableEngine(),
    alarmCatalog,
    logger: createLogger(config, sink),
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const adminToken = (
    await security.tokens.create({
      name: 'admin',
      roles: ['admin'],
      accounts: ['*'],
      expiresInDays: 1,
      createdBy: 'test',
    })
  ).token;
  return { app, url: `http://127.0.0.1:${port}`, port, security, store, logs, adminToken };
}
