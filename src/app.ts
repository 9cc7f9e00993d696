// The Fastify application: plugins, error rendering, OpenAPI and the feature routes. No listen here,
// so tests drive it with inject.
import { randomUUID } from 'node:crypto';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { accountHistoryRoutes } from './accounts/history-routes.ts';
import { accountOperationHook } from './accounts/operation-hooks.ts';
import { accountRoutes } from './accounts/routes.ts';
import { AccountService } from './accounts/service.ts';
import type { AlarmCatalog } from './alarm-sets/catalog.ts';
import { alarmSetRoutes } from './alarm-sets/routes.ts';
import { OPENAPI_SECURITY_SCHEMES } from './auth/access.ts';
import {
  boundsFirst,
  ConnectionGuard,
  MAX_URL_LENGTH,
  mergeRedactPaths,
  SECRET_REDACT_PATHS,
  UriTooLongError,
} from './auth/hardening.ts';
import { type Config, DEFAULT_HTTP_LIMITS, SANDBOX_NOTICE } from './config.ts';
import { coverageRoutes } from './coverage/routes.ts';
import { CoverageService } from './coverage/service.ts';
import { driftOperationHooks } from './drift/operation-hooks.ts';
import { driftRoutes } from './drift/routes.ts';
import { DriftService } from './drift/service.ts';
import type { TrailEngine } from './engine/types.ts';
import {
  AppError,
  DomainError,
  type FieldIssue,
  fromFrameworkError,
  httpErrorOf,
  InternalError,
  NotFoundError,
  schemaErrorsToIssues,
} from './errors.ts';
import { Prerequisites, probeInstanceMetadata } from './health/prerequisites.ts';
import { healthRoutes } from './health/routes.ts';
import { installContract } from './openapi/contract.ts';
import { OPERATIONS, type OperationEntry } from './openapi/operations.ts';
import { strictValidatorCompiler } from './openapi/validator.ts';
import { planRoutes } from './operations/plan-routes.ts';
import { OperationQueue } from './operations/queue.ts';
import { operationRoutes } from './operations/routes.ts';
import { OperationService } from './operations/service.ts';
import { webhookNotifier } from './reconciliation/notify.ts';
import { reconciliationRoutes } from './reconciliation/routes.ts';
import { Reconciler } from './reconciliation/service.ts';
import { RetentionSweeper } from './retention/service.ts';
import { registerSharedSchemas } from './shared-schemas.ts';
import type { Stores } from './stores.ts';
import { webPlugin } from './web/plugin.ts';

declare module 'fastify' {
  interface FastifyInstance {
    operationQueue: OperationQueue;
    reconciler: Reconciler;
  }
}

export interface AppDeps {
  config: Config;
  stores: Stores;
  engine: TrailEngine;
  alarmCatalog: AlarmCatalog;
  logger?: Logger;
  /**
   * Registers app-wide plugins (security hardening, auth, audit) after the OpenAPI generator and before
   * any route, so their hooks apply to every route and their own routes appear in the document.
   */
  beforeRoutes?: (app: FastifyInstance) => Promise<void>;
  /** What an operation needs (readiness, and the check before an operation); default from config. */
  prerequisites?: Prerequisites;
  /** Entries for routes beforeRoutes adds that src/openapi/operations.ts does not name (tests, extensions). */
  operations?: Record<string, OperationEntry>;
}

/** Paths pino replaces with [Redacted]: credentials and secrets wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  'passphrase',
  '*.passphrase',
  'pulumiConfigPassphrase',
  '*.pulumiConfigPassphrase',
  '*.PULUMI_CONFIG_PASSPHRASE',
  'token',
  '*.token',
  '*.accessToken',
  '*.sessionToken',
  '*.refreshToken',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.secretAccessKey',
  '*.clientSecret',
  '*.secrets',
  'webhookSecret',
  '*.webhookSecret',
];

export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>,
  destination?: NodeJS.WritableStream,
): Logger {
  const pretty = config.logFormat === 'pretty' && !destination;
  return pino(
    {
      level: config.logLevel,
      redact: { paths: mergeRedactPaths(REDACT_PATHS, SECRET_REDACT_PATHS), censor: '[Redacted]' },
      // LOG_FORMAT=pretty (local use): one readable line per entry; redaction still applies first.
      ...(pretty
        ? {
            transport: {
              target: 'pino-pretty',
              options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
            },
          }
        : {}),
    },
    destination as pino.DestinationStream | undefined,
  );
}

const SANDBOX_DOCS_CSS = `body::before { content: ${JSON.stringify(SANDBOX_NOTICE)}; display: block;
  padding: 0.6rem 1rem; background: #fff4ce; color: #1f1f1f; border-bottom: 3px solid #8a6100;
  font: 600 1rem/1.4 system-ui, sans-serif; }`;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function partOf(context: string | undefined): FieldIssue['in'] {
  if (context === 'querystring' || context === 'params' || context === 'headers') return context;
  return undefined;
}

/** Maps anything thrown in a request to a problem; unknown errors become a generic 500. */
function toAppError(err: FastifyError | Error, log: FastifyInstance['log']): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DomainError) return httpErrorOf(err);
  const fe = err as FastifyError;
  if (fe.validation) {
    return new AppError(
      400,
      'validation_failed',
      'Validation failed',
      'The request is not valid; see errors for each field.',
      {
        errors: schemaErrorsToIssues(fe.validation, partOf(fe.validationContext)),
      },
    );
  }
  // Fastify's own client errors (bad JSON, unsupported media type, body too large…) keep their message,
  // with a catalogue code (src/errors.ts FASTIFY_ERROR_CODES).
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return fromFrameworkError(fe);
  log.error({ err }, 'unhandled error');
  return new InternalError(err);
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, stores, engine, alarmCatalog } = deps;
  const logger = deps.logger ?? createLogger(config);

  // Slow or idle clients are closed (timeouts below) and counted; connections are capped (ConnectionGuard).
  const limits = config.http ?? DEFAULT_HTTP_LIMITS;
  const connections = new ConnectionGuard(limits, logger);
  const app = Fastify({
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for connections past their headers or request timeout.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    clientErrorHandler: connections.clientErrorHandler,
    loggerInstance: logger,
    requestIdHeader: false,
    // Honour a caller's x-request-id when it is sane, so one id follows a request across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false } },
    // The router would refuse a path parameter over 100 characters with its own plain-JSON 414 (fuzzing
    // found it); any parameter within the URL limit reaches the schema instead: a 400 naming the field.
    routerOptions: { maxParamLength: MAX_URL_LENGTH },
  });
  registerSharedSchemas(app as unknown as FastifyInstance);
  // Request parts are checked by TypeBox with the shared schemas as context (so their $refs resolve),
  // size bounds first.
  app.setValidatorCompiler(boundsFirst(strictValidatorCompiler, app.getSchemas()));
  connections.attach(app.server);
  app.addHook('onClose', async () => connections.close());

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // Before authentication: an oversized target is refused whoever sends it.
    if (req.url.length > MAX_URL_LENGTH) throw new UriTooLongError();
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const appError = toAppError(err, req.log);
    if (appError.status < 500)
      req.log.info({ code: appError.code, status: appError.status }, appError.message);
    // A 414 does not echo the oversized target back.
    const instance = appError.status === 414 ? undefined : req.url;
    reply.code(appError.status).type('application/problem+json').send(appError.toProblem(instance));
  });
  app.setNotFoundHandler((req, reply) => {
    const problem = new NotFoundError('route', `No route ${req.method} ${req.url}`).toProblem(req.url);
    reply.code(404).type('application/problem+json').send(problem);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trailwarden',
        version: '1.0.0',
        description: [
          'Declarative CloudTrail baselines per AWS account, converged with the Pulumi Automation API.',
          '',
          '- **Trail requests** (`PUT /v1/accounts/{accountId}/trail`) store the desired spec with defaults ' +
            'applied. Each change bumps the version; the ETag names it. Send `If-Match` to avoid lost updates ' +
            '(412 when stale).',
          '- **External trails** (`PUT /v1/accounts/{accountId}/external-trails`): the account trails this ' +
            'service does not manage. The 5-trails-per-region check counts them.',
          '- **Operations** (previews, applies, drift checks, decommissions) are queued: one at a time per ' +
            'account, in order, up to MAX_CONCURRENT_OPERATIONS across accounts. `?wait=false` answers 409 ' +
            '`operation_in_progress` instead of queueing behind another operation of the account. ' +
            'Operations survive restarts; one that was running is marked `interrupted` and can be retried.',
          '- **Errors** are RFC 9457 `application/problem+json` with a stable `code`; validation failures ' +
            'list `errors: [{ path, message }]` with `path` a JSON pointer into the body (or into `in`).',
        ].join('\n'),
      },
      // Routes with an access declaration name this scheme (src/auth/access.ts, openApiSecurity).
      components: { securitySchemes: OPENAPI_SECURITY_SCHEMES },
      tags: [
        { name: 'trail-requests', description: 'Desired trail spec of an account' },
        { name: 'operations', description: 'Previews, applies, drift checks, decommissions' },
        { name: 'drift', description: 'Drift checks, drift reports, the fleet view, remediation policies' },
        {
          name: 'reconciliations',
          description: 'Fleet-wide drift checks with remediation (nightly or on demand)',
        },
        { name: 'accounts', description: 'Accounts known to the service' },
        { name: 'alarm-sets', description: 'The alarm catalog' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'service-tokens', description: 'Tokens for automation (admin)' },
        { name: 'audit', description: 'The tamper-evident audit trail (admin)' },
      ],
    },
    transformObject: (doc) =>
      operationAnnotations(
        (doc as unknown as { openapiObject: ReturnType<SwaggerTransformObject> }).openapiObject,
      ),
    refResolver: {
      // Schemas with an $id become named components (TrailRequest, Operation…), not def-0, def-1.
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  // Before any route: names every operation, documents every answer, answers 405 (src/openapi/).
  installContract(app as unknown as FastifyInstance, { operations: deps.operations ?? {} });
  if (deps.beforeRoutes) await deps.beforeRoutes(app as unknown as FastifyInstance);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Its static files are not worth an info line each (errors still log).
    logLevel: 'warn',
    // The same banner as on the pages: a CSS file (the CSP forbids inline styles).
    ...(config.sandbox ? { theme: { css: [{ filename: 'sandbox.css', content: SANDBOX_DOCS_CSS }] } } : {}),
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  const queue = new OperationQueue({
    stores,
    engine,
    logger: app.log,
    maxConcurrent: config.maxConcurrentOperations,
    // Operations are claimed under a lease of this replica (several may share the database).
    leases: { holder: config.replicaId, ttlMs: config.operationLeaseTtlMs },
  });
  // What an operation's end means for the account and its drift is theirs to say.
  queue.use(accountOperationHook(stores), ...driftOperationHooks(stores));
  app.decorate('operationQueue', queue);

  // With security wired (beforeRoutes → wireSecurity), applies and decommissions follow its approval policy.
  const security = (app as unknown as FastifyInstance).security;
  const prerequisites =
    deps.prerequisites ??
    new Prerequisites({
      mode: config.mode,
      engine,
      pulumiHome: config.pulumiHome,
      probeInstanceMetadata: () => probeInstanceMetadata(),
    });
  const operations = new OperationService(
    stores,
    queue,
    security ? { config: security.auth.approval, accountGroups: security.auth.accountGroups } : undefined,
    () => prerequisites.assertReady(),
  );
  // Remediation and the reconciler's drift checks follow the same approval rules as every request.
  const reconciler = new Reconciler({
    stores,
    operations,
    logger: app.log,
    concurrency: config.reconcileConcurrency,
    leaseTtlMs: config.reconcileLeaseTtlMs,
    cron: config.reconcileCron,
    timezone: config.reconcileTimezone,
    notifier:
      config.webhookUrls.length > 0 && config.webhookSecret
        ? webhookNotifier({ urls: config.webhookUrls, secret: config.webhookSecret, logger: app.log })
        : undefined,
  });
  app.decorate('reconciler', reconciler);
  // Storage retention: the service applies RETENTION_DAYS itself (and compacts clean drift checks).
  const retention = new RetentionSweeper({
    store: stores.retention,
    retentionDays: config.retentionDays,
    intervalMs: config.retentionSweepIntervalMs,
    log: app.log,
  });
  app.addHook('onReady', async () => {
    await queue.start();
    await reconciler.start();
    retention.start();
  });
  // The reconciliation stops taking accounts first, then the queue winds down.
  app.addHook('preClose', async () => {
    void reconciler.stop(config.shutdownTimeoutMs);
  });
  app.addHook('onClose', async () => {
    await retention.stop();
    await queue.stop(config.shutdownTimeoutMs);
    await reconciler.stop(config.shutdownTimeoutMs);
    // Whatever the engine started and is still running (a CLI that ignored the cancel, plugins).
    await engine.close?.();
  });

  const accounts = new AccountService({
    stores,
    operations,
    config,
    alarmCatalog,
    versions: stores.specVersions,
  });

  await app.register(accountRoutes, { accounts, operations });
  await app.register(coverageRoutes, { coverage: new CoverageService(stores) });
  await app.register(accountHistoryRoutes, { stores, versions: stores.specVersions });
  await app.register(operationRoutes, { operations, stores, queue });
  await app.register(planRoutes, { stores, operations });
  await app.register(driftRoutes, {
    drift: new DriftService(stores),
    operations,
    ...(security ? { accountGroups: security.auth.accountGroups } : {}),
  });
  await app.register(reconciliationRoutes, { reconciler });
  await app.register(alarmSetRoutes, { alarmCatalog });
  await app.register(healthRoutes, { ping: () => stores.ping(), prerequisites });
  await app.register(webPlugin, { managementAccountId: config.managementAccountId, mode: config.mode });

  // The pino-typed instance is a FastifyInstance with a narrower logger type.
  return app as unknown as FastifyInstance;
}

/**
 * What @fastify/swagger cannot be told per route, set on the operations src/openapi/operations.ts names:
 * - optionalBody: the body is not required (a preview without a draft, an approval without a reason); it
 *   marks every requestBody required, and neither a route schema nor its `transform` hook can say otherwise;
 * - example: the hand-written 200 example, set here because its schema conversion walks a route's
 *   examples too (it would turn an example's `properties` array into an object).
 * Only those two fields of those operations change; the schemas are as the routes and addSchema give them.
 */
function operationAnnotations<D>(doc: D): D {
  const optional = new Set(
    Object.values(OPERATIONS)
      .filter((e) => e.optionalBody)
      .map((e) => e.operationId),
  );
  const examples = new Map(
    Object.values(OPERATIONS)
      .filter((e) => e.example !== undefined)
      .map((e) => [e.operationId, e.example]),
  );
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  for (const ops of Object.values(paths))
    for (const op of Object.values(ops)) {
      const o = op as {
        operationId?: string;
        requestBody?: { required?: boolean };
        responses?: Record<string, { content?: Record<string, { example?: unknown }> }>;
      };
      if (o.requestBody && o.operationId && optional.has(o.operationId)) o.requestBody.required = false;
      const media = o.responses?.['200']?.content?.['application/json'];
      if (media && o.operationId && examples.has(o.operationId)) media.example = examples.get(o.operationId);
    }
  return doc;
}
