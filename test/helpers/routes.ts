// The walk over every route, for the tests that check all of them at once (bounded inputs, access
// declarations, the API contract): the app as src/main.ts wires it, with each route it registers
// recorded as Fastify registered it (schemas included), and the operations of its OpenAPI document.
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { AlarmCatalog } from '../../src/alarm-sets/catalog.ts';
import { buildApp } from '../../src/app.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { testConfig } from '../../src/config.ts';
import { openStores } from '../../src/stores.ts';
import { ControllableEngine, alarmCatalog as fakeCatalog } from '../api/helpers.ts';

export interface WalkedApp {
  app: FastifyInstance;
  /** Every route the app registered, in order (HEAD routes included). */
  routes: RouteOptions[];
  security: Awaited<ReturnType<typeof createSecurity>>;
}

/**
 * The app, booted, with security wired as in src/main.ts; close it with `app.close()`. `extraRoutes`
 * adds routes after security (for the tests of what stops the app from starting); when the app does
 * not start, what was opened is closed and the error thrown.
 */
export async function appWithRoutes(
  opts: { alarmCatalog?: AlarmCatalog; extraRoutes?: (instance: FastifyInstance) => void } = {},
): Promise<WalkedApp> {
  const routes: RouteOptions[] = [];
  const store = await openStores('sqlite::memory:');
  const security = await createSecurity({
    stores: store,
    auth: testAuthConfig(),
    dataDir: '/nonexistent',
  });
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      config: testConfig(),
      stores: store,
      engine: new ControllableEngine(),
      alarmCatalog: opts.alarmCatalog ?? fakeCatalog,
      beforeRoutes: async (instance) => {
        instance.addHook('onRoute', (route) => {
          routes.push(route);
        });
        await wireSecurity(instance, security, { openApiSecurity: true });
        opts.extraRoutes?.(instance);
      },
    });
    await app.ready();
  } catch (err) {
    await app?.close().catch(() => {});
    await store.close();
    throw err;
  }
  return { app, routes, security };
}

export interface DocumentOperation<Op> {
  /** The OpenAPI path (`/v1/accounts/{accountId}/trail`). */
  path: string;
  /** Lower case, as the document keys it. */
  method: string;
  op: Op;
}

/** Each operation of an OpenAPI document: one per path and method (typed as the caller reads them). */
export function documentOperations<Op = Record<string, unknown>>(doc: {
  paths: object;
}): DocumentOperation<Op>[] {
  return Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );
}
