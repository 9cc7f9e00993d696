// `npm run openapi`: writes openapi/openapi.json from the routes' schemas. test/api/openapi.test.ts
// fails when the file and the document the service serves differ.
import { writeFileSync } from 'node:fs';
import type { AlarmCatalog } from '../src/alarm-sets/catalog.ts';
import { buildApp } from '../src/app.ts';
import { testAuthConfig } from '../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../src/auth/wire.ts';
import { testConfig } from '../src/config.ts';
import type { TrailEngine } from '../src/engine/types.ts';
import { openStores } from '../src/stores.ts';
import { clientTypes } from './client-types.ts';

const notUsed = () => Promise.reject(new Error('the OpenAPI writer runs no operations'));
const engine: TrailEngine = {
  preview: notUsed,
  up: notUsed,
  refreshPreview: notUsed,
  refresh: notUsed,
  destroy: notUsed,
  cancelStaleLock: notUsed,
  cliVersion: notUsed,
};
const alarmCatalog: AlarmCatalog = { list: () => [], has: () => false };

const store = await openStores('sqlite::memory:');
// Security wired as in src/main.ts: its routes, and `security` on every declared route.
const security = await createSecurity({
  stores: store,
  auth: testAuthConfig(),
  dataDir: '/nonexistent',
});
const app = await buildApp({
  config: testConfig(),
  stores: store,
  engine,
  alarmCatalog,
  beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
});
await app.ready();
const file = new URL('../openapi/openapi.json', import.meta.url);
writeFileSync(file, JSON.stringify(app.swagger(), null, 2) + '\n');
// The types a generated client uses (openapi-typescript; test/contract/client.test.ts keeps them current).
const types = new URL('../openapi/trailwarden-api.ts', import.meta.url);
writeFileSync(types, await clientTypes(app.swagger()));
await app.close();
await store.close();
process.stdout.write(`wrote ${file.pathname} and ${types.pathname}\n`);
