// The real service in sandbox mode, in-process (real stores on a temp SQLite file, the real engine,
// the queue started by listen as in main.ts), secured as main.ts secures it (auth, audit, and the
// strict CSP of src/auth/hardening.ts the pages must live with); and a headless Debian Chromium driven
// by playwright-core with a fresh profile.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.ts';
import { testAuthConfig } from '../../src/auth/config.ts';
import { createSecurity, wireSecurity } from '../../src/auth/wire.ts';
import { testConfig } from '../../src/config.ts';
import { createEngine } from '../../src/engine/index.ts';
import { auditOperationQueue } from '../../src/operations/audit-trail.ts';
import type { OperationView } from '../../src/operations/schemas.ts';
import type { OperationRecord } from '../../src/operations/store.ts';
import { openStores } from '../../src/stores.ts';
import { alarmCatalog } from '../../stacks/alarms/catalog.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-output', 'web');

export interface Service {
  url: string;
  app: FastifyInstance;
  dataDir: string;
  sandboxStateDir: string;
  /** An admin service token; `api` sends it unless init.headers sets an authorization. */
  token: string;
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** Resolves when the operation reaches a final state (subscribe before creating it). */
  settled(operationId: () => string | undefined): Promise<OperationRecord>;
  close(): Promise<void>;
}

export async function startService(opts: { managementAccountId?: string } = {}): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-web-'));
  const config = testConfig({
    dataDir,
    databaseUrl: `sqlite:${join(dataDir, 'trailwarden.db')}`,
    sandbox: true,
    managementAccountId: opts.managementAccountId,
    logLevel: 'silent',
    shutdownTimeoutMs: 5000,
  });
  const env = { ...process.env };
  delete env.TRAILWARDEN_SANDBOX_DIR;
  const store = await openStores(config.databaseUrl);
  const security = await createSecurity({ stores: store, auth: testAuthConfig(), dataDir });
  const engine = await createEngine(config, env);
  const app = await buildApp({
    config,
    stores: store,
    engine,
    alarmCatalog,
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
  });
  auditOperationQueue(app.operationQueue, security.audit, app.log);
  const { token } = await security.tokens.create({
    name: 'web-tests',
    roles: ['admin'],
    accounts: ['*'],
    expiresInDays: 1,
    createdBy: 'test',
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const settledWaiters = new Set<(op: OperationRecord) => void>();
  app.operationQueue.on('settled', (op: OperationRecord) => {
    for (const w of settledWaiters) w(op);
  });
  return {
    url: address,
    app,
    dataDir,
    sandboxStateDir: join(dataDir, 'sandbox', 'state'),
    token,
    async api<T>(path: string, init: RequestInit = {}) {
      const headers = { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) };
      const res = await fetch(address + path, { ...init, headers });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    settled(operationId) {
      return new Promise((resolve) => {
        const waiter = (op: OperationRecord) => {
          if (op.id !== operationId()) return;
          settledWaiters.delete(waiter);
          resolve(op);
        };
        settledWaiters.add(waiter);
      });
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  /**
   * A new page that records page errors and CSP violations into `problems`. With `token`, the tab is
   * signed in with it from the first load (as after "Sign in").
   */
  page(
    viewport?: { width: number; height: number },
    opts?: { token?: string },
  ): Promise<{ page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'tw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async page(viewport, opts = {}) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      if (opts.token) {
        // The key src/web/public/api.js keeps the token under; set before any page script runs.
        await page.addInitScript(
          `if (!sessionStorage.getItem('trailwarden.token')) sessionStorage.setItem('trailwarden.token', ${JSON.stringify(opts.token)});`,
        );
      }
      page.setDefaultTimeout(30_000);
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        const text = msg.text();
        if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(text))
          problems.push(`CSP: ${text}`);
      });
      return { page, problems };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Controls without an accessible name (label, aria-label, aria-labelledby or text). */
export function unlabelledControls(page: Page): Promise<string[]> {
  // A string: the function runs in the page (the test's TypeScript has no DOM types).
  return page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((c) => c.type !== 'hidden' && !c.closest('[hidden]'))
    .filter((c) => !(c.labels && c.labels.length > 0) && !c.getAttribute('aria-label') &&
      !c.getAttribute('aria-labelledby') && !(c.tagName === 'BUTTON' && c.textContent.trim()))
    .map((c) => c.outerHTML.slice(0, 120))`);
}

export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (el: { ownerDocument: { activeElement: unknown } }) => el === el.ownerDocument.activeElement,
  );
}

export type { OperationView };
