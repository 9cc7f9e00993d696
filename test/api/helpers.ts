// Test doubles and fixtures for the API tests. ControllableEngine stands in for the Pulumi engine
// (src/engine), which the lead's end-to-end test exercises for real.
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { AlarmCatalog } from '../../src/alarm-sets/catalog.ts';
import { buildApp } from '../../src/app.ts';
import { type AuthConfig, testAuthConfig } from '../../src/auth/config.ts';
import type { Role } from '../../src/auth/principal.ts';
import { createSecurity, type Security, wireSecurity } from '../../src/auth/wire.ts';
import { type Config, testConfig } from '../../src/config.ts';
import type {
  DestroyOptions,
  EngineEvent,
  OperationKind,
  OperationResult,
  RunOptions,
  TrailEngine,
} from '../../src/engine/types.ts';
import type { Prerequisites } from '../../src/health/prerequisites.ts';
import { auditOperationQueue } from '../../src/operations/audit-trail.ts';
import type { Stores } from '../../src/stores.ts';
import { openStores } from '../../src/stores.ts';
import type { ResolvedTrailRequest } from '../../src/trail-request/schema.ts';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const MANAGEMENT_ACCOUNT = '999988887777';

export const alarmCatalog: AlarmCatalog = {
  list: () => [
    {
      name: 'essentials',
      description: 'The CIS basics',
      entries: [
        { id: 'root-usage', title: 'Root account used', description: 'Any root sign-in or API call' },
      ],
    },
    { name: 'strict', description: 'Everything', entries: [] },
  ],
  has: (name) => name === 'essentials' || name === 'strict',
};

/** One engine call in progress; the test decides when and how it ends. */
export interface EngineCall {
  method: OperationKind | 'destroy';
  accountId: string;
  request: ResolvedTrailRequest;
  opts: RunOptions | DestroyOptions | undefined;
  emit(event: EngineEvent): void;
  succeed(result?: Partial<OperationResult>): void;
  fail(err: Error): void;
}

/**
 * A TrailEngine whose calls wait until the test resolves them. With `autoComplete`, calls succeed
 * at once. An aborted signal rejects the call, as the real adapter does after the CLI cancels.
 */
export class ControllableEngine extends EventEmitter implements TrailEngine {
  readonly calls: EngineCall[] = [];
  staleLockError: Error | undefined;
  readonly staleLocksCleared: string[] = [];
  autoComplete = false;
  version = '3.260.0';
  active = 0;
  maxActive = 0;
  readonly activeByAccount = new Map<string, number>();
  overlapDetected = false;

  #call(method: EngineCall['method'], accountId: string, request: ResolvedTrailRequest, opts?: RunOptions) {
    return new Promise<OperationResult>((resolve, reject) => {
      this.active++;
      this.maxActive = Math.max(this.maxActive, this.active);
      const perAccount = (this.activeByAccount.get(accountId) ?? 0) + 1;
      if (perAccount > 1) this.overlapDetected = true;
      this.activeByAccount.set(accountId, perAccount);
      let done = false;
      const finish = () => {
        done = true;
        this.active--;
        this.activeByAccount.set(accountId, (this.activeByAccount.get(accountId) ?? 1) - 1);
      };
      const call: EngineCall = {
        method,
        accountId,
        request,
        opts,
        emit: (event) => opts?.onEvent?.(event),
        succeed: (result) => {
          if (done) return;
          finish();
          resolve({
            kind: method === 'destroy' ? 'destroy' : method,
            changeSummary: { create: 3, same: 1 },
            outputs: { trailArn: `arn:aws:cloudtrail:us-east-1:${accountId}:trail/baseline` },
            ...result,
          });
        },
        fail: (err) => {
          if (done) return;
          finish();
          reject(err);
        },
      };
      opts?.signal?.addEventListener('abort', () => call.fail(new Error('update canceled by the CLI')), {
        once: true,
      });
      this.calls.push(call);
      this.emit('call', call);
      if (this.autoComplete) {
        call.emit({ sequence: 1, timestamp: 1, cancelEvent: {} } as unknown as EngineEvent);
        call.succeed();
      }
    });
  }

  #handedOut = 0;

  /** The first call not handed out yet by nextCall, waiting for it if it has not arrived. */
  nextCall(): Promise<EngineCall> {
    const index = this.#handedOut++;
    const existing = this.calls[index];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const onCall = () => {
        const c = this.calls[index];
        if (c) {
          this.off('call', onCall);
          resolve(c);
        }
      };
      this.on('call', onCall);
    });
  }

  preview(a: string, r: ResolvedTrailRequest, o?: RunOptions) {
    return this.#call('preview', a, r, o);
  }
  up(a: string, r: ResolvedTrailRequest, o?: RunOptions) {
    return this.#call('apply', a, r, o);
  }
  refreshPreview(a: string, r: ResolvedTrailRequest, o?: RunOptions) {
    return this.#call('refresh-preview', a, r, o);
  }
  refresh(a: string, r: ResolvedTrailRequest, o?: RunOptions) {
    return this.#call('refresh', a, r, o);
  }
  destroy(a: string, r: ResolvedTrailRequest, o?: DestroyOptions) {
    return this.#call('destroy', a, r, o);
  }
  async cancelStaleLock(accountId: string) {
    this.staleLocksCleared.push(accountId);
  }
  async cliVersion() {
    return this.version;
  }
}

export interface TestApp {
  app: FastifyInstance;
  store: Stores;
  engine: ControllableEngine;
  config: Config;
  security: Security;
  /** The admin service token every inject sends unless the test sets its own authorization header. */
  adminToken: string;
  /**
   * A service token with these grants (for tests of roles and scopes). Each is created by a distinct
   * (made-up) principal unless `createdBy` names one: four-eyes checks treat a token and its creator as one.
   */
  tokenFor(roles: Role[], accounts?: string[], createdBy?: string): Promise<string>;
}

export async function openTestStore(): Promise<Stores> {
  return openStores('sqlite::memory:');
}

/**
 * Makes `app.inject({ … })` send `Authorization: Bearer <token>` unless the call sets its own
 * authorization header; `authorization: null` sends none. (The tests use the object form only.)
 */
export function withDefaultAuthorization(app: FastifyInstance, token: string): void {
  const inject = app.inject.bind(app) as (o: object) => unknown;
  (app as { inject: unknown }).inject = (o: { headers?: Record<string, unknown> }) => {
    const headers: Record<string, unknown> = { authorization: `Bearer ${token}`, ...o.headers };
    if (headers['authorization'] === null) delete headers['authorization'];
    return inject({ ...o, headers });
  };
}

/**
 * The app wired as src/main.ts wires it (auth, hardening, audit), with an admin service token that
 * every `app.inject` sends by default: a test that sets its own authorization header (or `null`, to
 * send none) overrides it.
 */
export async function makeApp(
  opts: {
    config?: Partial<Config>;
    store?: Stores;
    engine?: ControllableEngine;
    auth?: Partial<AuthConfig>;
    /** The real catalog (stacks/alarms/catalog.ts) for tests of alarm sets; a small fake otherwise. */
    alarmCatalog?: AlarmCatalog;
    prerequisites?: Prerequisites;
  } = {},
): Promise<TestApp> {
  const config = testConfig({ managementAccountId: MANAGEMENT_ACCOUNT, ...opts.config });
  const store = opts.store ?? (await openTestStore());
  const engine = opts.engine ?? new ControllableEngine();
  const security = await createSecurity({
    stores: store,
    auth: testAuthConfig(opts.auth),
    dataDir: '/nonexistent',
  });
  const app = await buildApp({
    config,
    stores: store,
    engine,
    alarmCatalog: opts.alarmCatalog ?? alarmCatalog,
    beforeRoutes: (instance) => wireSecurity(instance, security, { openApiSecurity: true }),
    ...(opts.prerequisites ? { prerequisites: opts.prerequisites } : {}),
  });
  auditOperationQueue(app.operationQueue, security.audit, app.log);
  await app.ready();
  let creators = 0;
  const tokenFor = async (roles: Role[], accounts: string[] = ['*'], createdBy?: string) =>
    (
      await security.tokens.create({
        name: `test-${roles.join('-')}`,
        roles,
        accounts,
        expiresInDays: 1,
        createdBy: createdBy ?? `test:creator-${++creators}`,
      })
    ).token;
  const adminToken = await tokenFor(['admin']);
  withDefaultAuthorization(app, adminToken);
  return { app, store, engine, config, security, adminToken, tokenFor };
}

export const minimalRequest = { homeRegion: 'us-east-1' };

/** PUTs the trail request as an editor would: with If-Match naming the current version when one exists. */
export async function putTrail(app: FastifyInstance, accountId = ACCOUNT, body: object = minimalRequest) {
  const current = await app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/trail` });
  const headers = current.statusCode === 200 ? { 'if-match': String(current.headers.etag) } : {};
  return app.inject({ method: 'PUT', url: `/v1/accounts/${accountId}/trail`, payload: body, headers });
}
