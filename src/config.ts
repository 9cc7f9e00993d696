// Configuration from environment variables, validated once at start. Every variable has a
// default that runs out of the box (SQLite and Pulumi state under ./data, sandbox mode: a fresh
// clone does its main job without an AWS account, and says so everywhere; the image sets aws).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';
import { type Static, type TObject, Type } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError, schemaErrorsToIssues } from './errors.ts';

export const MODES = ['sandbox', 'aws'] as const;
/** sandbox: the engine loads our own `aws` provider and nothing in AWS is changed; aws: real accounts. */
export type Mode = (typeof MODES)[number];

/** What every page, the log and /readyz say in sandbox mode. */
export const SANDBOX_NOTICE = 'Sandbox: nothing in AWS is changed';

export const DEFAULT_ROLE_ARN_TEMPLATE = 'arn:aws:iam::{accountId}:role/TrailwardenDeployer';

/** The environment variables the service reads, as TypeBox sees them after string conversion. */
export const ConfigEnv = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(sqlite:|postgres:|postgresql:|file:)',
      description: 'sqlite:<file> | postgres://… ; default sqlite file DATA_DIR/trailwarden.db',
    }),
  ),
  TRAILWARDEN_MODE: Type.Optional(
    Type.Enum(MODES, {
      description: 'sandbox (default: our own provider stands in for AWS) or aws (real accounts)',
    }),
  ),
  /** The old switch: true = TRAILWARDEN_MODE=sandbox, false = aws. Kept so existing setups still start. */
  TRAILWARDEN_SANDBOX: Type.Optional(Type.Boolean()),
  PULUMI_CONFIG_PASSPHRASE: Type.Optional(Type.String({ minLength: 1 })),
  PULUMI_CONFIG_PASSPHRASE_FILE: Type.Optional(Type.String({ minLength: 1 })),
  PULUMI_SECRETS_PROVIDER: Type.String({
    pattern: '^(passphrase|awskms://.+|gcpkms://.+|azurekeyvault://.+|hashivault://.+)$',
    maxLength: 2048,
    default: 'passphrase',
    description:
      'Encrypts secrets in stack state: passphrase, or a KMS key (awskms://alias/…?region=…) in production',
  }),
  MANAGEMENT_ACCOUNT_ID: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
  ROLE_ARN_TEMPLATE: Type.String({
    pattern: '^arn:aws[a-z-]*:iam::.*\\{accountId\\}.*$',
    default: DEFAULT_ROLE_ARN_TEMPLATE,
  }),
  EXTERNAL_ID: Type.Optional(Type.String({ minLength: 2, maxLength: 1224 })),
  MAX_CONCURRENT_OPERATIONS: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  TRAILWARDEN_REPLICA_ID: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._:-]{1,128}$',
      description:
        "This replica's name in operation leases (the pod name); default: an id kept in DATA_DIR/run/replica-id",
    }),
  ),
  OPERATION_LEASE_TTL_MS: Type.Integer({
    minimum: 2000,
    maximum: 600000,
    default: 30000,
    description:
      "A running operation's lease, renewed every third of it; once expired another replica recovers the operation",
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    default: 'info',
  }),
  LOG_FORMAT: Type.Enum(['json', 'pretty'] as const, {
    default: 'json',
    description: 'pretty: readable colored lines for local use (pino-pretty, a dev dependency)',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 30000 }),
  RECONCILE_CRON: Type.String({
    minLength: 1,
    default: '0 3 * * *',
    description: 'When the nightly reconciliation runs (cron, croner syntax); off disables it',
  }),
  RECONCILE_TZ: Type.String({
    minLength: 1,
    default: 'UTC',
    description: 'IANA time zone of RECONCILE_CRON',
  }),
  RECONCILE_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  RECONCILE_LEASE_TTL_MS: Type.Integer({ minimum: 1000, default: 60000 }),
  RETENTION_DAYS: Type.Integer({
    minimum: 1,
    maximum: 36500,
    default: 90,
    description:
      "Operation events and drift reports older than this are deleted (operations themselves and each account's latest report stay)",
  }),
  RETENTION_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 60000,
    maximum: 86400000,
    default: 3600000,
    description: 'How often the service applies RETENTION_DAYS and compacts the events of clean drift checks',
  }),
  MEMORY_TRIM_RSS_MB: Type.Integer({
    minimum: 0,
    maximum: 1048576,
    default: 300,
    description:
      'Resident MB of the service above which it runs a memory-reducing GC as an engine operation ends (0: never)',
  }),
  WEBHOOK_URLS: Type.Optional(Type.String({ description: 'Comma-separated http(s) URLs' })),
  WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  WEBHOOK_SECRET_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // Connection hygiene (slow and idle clients): see HttpLimits.
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({
    minimum: 500,
    maximum: 600000,
    default: 10000,
    description: 'A connection must send its request headers within this (idle ones too)',
  }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 3600000,
    default: 30000,
    description: 'The whole request (headers and body); not below the headers timeout',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600000,
    default: 72000,
    description: "An idle keep-alive connection is closed (above a proxy's usual 60 s)",
  }),
  HTTP_IDLE_TIMEOUT_MS: Type.Integer({
    minimum: 16000,
    maximum: 3600000,
    default: 60000,
    description:
      'A connection without traffic either way is closed (at least 16000: event streams ping every 15 s)',
  }),
  HTTP_MAX_CONNECTIONS: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    default: 1000,
    description: 'Open connections; past it the oldest one not serving a request is closed',
  }),
  HTTP_MAX_REQUESTS_PER_SOCKET: Type.Integer({
    minimum: 0,
    maximum: 1000000,
    default: 1000,
    description: 'Requests per keep-alive connection (0: no limit)',
  }),
  // The engine's locations (src/engine/index.ts reads them from Config, never from the environment).
  // Several replicas share one state bucket: https://www.pulumi.com/docs/iac/concepts/state-and-backends/
  PULUMI_BACKEND_URL: Type.Optional(
    Type.String({
      pattern: '^(file|s3|gs|azblob)://',
      maxLength: 2048,
      description: 'Any Pulumi DIY backend (`s3://bucket?region=…` for several replicas, `file://…`)',
    }),
  ),
  PULUMI_HOME: Type.Optional(Type.String({ minLength: 1, description: "The engine's plugins and settings" })),
  TRAILWARDEN_SANDBOX_DIR: Type.Optional(
    Type.String({ minLength: 1, description: "Sandbox provider's AWS-shaped state" }),
  ),
});
type ConfigEnv = Static<typeof ConfigEnv>;

const SECRET_VARIABLES = new Set(['PULUMI_CONFIG_PASSPHRASE', 'WEBHOOK_SECRET']);

export interface Config {
  port: number;
  host: string;
  /** Absolute path; SQLite file, Pulumi state and the generated passphrase live here. */
  dataDir: string;
  /** `sqlite:<absolute file>` or a PostgreSQL URL. */
  databaseUrl: string;
  /** TRAILWARDEN_MODE; `sandbox` is always `mode === 'sandbox'`. */
  mode: Mode;
  sandbox: boolean;
  /** Secret: never log it. Empty when a KMS secrets provider is configured. */
  pulumiConfigPassphrase: string;
  /** `passphrase` or a KMS URL (awskms://…): how new stacks encrypt their secrets. */
  pulumiSecretsProvider: string;
  managementAccountId: string | undefined;
  roleArnTemplate: string;
  externalId: string | undefined;
  maxConcurrentOperations: number;
  /** Names this replica in the operation leases it holds; stable across restarts on one DATA_DIR. */
  replicaId: string;
  /** How long a running operation's lease lasts without renewal (the holder renews every third of it). */
  operationLeaseTtlMs: number;
  logLevel: ConfigEnv['LOG_LEVEL'];
  logFormat: ConfigEnv['LOG_FORMAT'];
  /** How long SIGTERM waits for running operations before aborting them. */
  shutdownTimeoutMs: number;
  /** Cron expression of the nightly reconciliation; null when RECONCILE_CRON=off. */
  reconcileCron: string | null;
  reconcileTimezone: string;
  /** Accounts a reconciliation checks at once (the operation queue bounds it too). */
  reconcileConcurrency: number;
  /** The reconciliation lease expires this long after its last renewal. */
  reconcileLeaseTtlMs: number;
  /** Operation events and drift reports are kept this many days (the service sweeps them itself). */
  retentionDays: number;
  retentionSweepIntervalMs: number;
  /** Service RSS (MB) above which an engine operation's end returns memory to the OS; 0: never. */
  memoryTrimRssMb: number;
  webhookUrls: string[];
  /** Secret: never log it or return it. */
  webhookSecret: string | undefined;
  /** Timeouts and caps of the HTTP server. */
  http: HttpLimits;
  /** PULUMI_BACKEND_URL; undefined: the DIY backend under DATA_DIR/state (one replica only). */
  pulumiBackendUrl: string | undefined;
  /** The engine's PULUMI_HOME: the variable, else DATA_DIR/pulumi-home (plugins live under it). */
  pulumiHome: string;
  /** The sandbox provider's state root: TRAILWARDEN_SANDBOX_DIR, else DATA_DIR/sandbox/state. */
  sandboxStateDir: string;
}

/**
 * What the HTTP server allows a client, so that slow or idle clients cannot hold the process's
 * file handles: every connection either sends a request in time or is closed.
 */
export interface HttpLimits {
  /** A connection must send complete request headers within this (also idle before the first request). */
  headersTimeoutMs: number;
  /** A request (headers and body) must be received within this. */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this: above the 60 s idle timeout of common proxies and
   * load balancers (else they reuse a connection the service is closing); the cap evicts idle ones anyway.
   */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way is closed after this (above the 15 s SSE keep-alive). */
  idleTimeoutMs: number;
  /** Open connections at most; beyond it the oldest connection not serving a request is closed. */
  maxConnections: number;
  /** Requests one keep-alive connection may carry (0: no limit). */
  maxRequestsPerSocket: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10000,
  requestTimeoutMs: 30000,
  keepAliveTimeoutMs: 72000,
  idleTimeoutMs: 60000,
  maxConnections: 1000,
  maxRequestsPerSocket: 1000,
};

function pickEnv(env: NodeJS.ProcessEnv, schema: TObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    // An empty variable means "not set", as in most shells' `VAR= cmd`.
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/**
 * The one reader of environment variables: the schema's variables converted from strings, defaults
 * applied, checked; a ConfigError lists every variable that is wrong (secrets never repeated).
 * src/auth/config.ts reads its variables with it too.
 */
export function readEnv<S extends TObject>(
  schema: S,
  env: NodeJS.ProcessEnv,
  secrets: ReadonlySet<string> = SECRET_VARIABLES,
): Static<S> {
  const raw = pickEnv(env, schema);
  const value = Value.Default(schema, Value.Convert(schema, { ...raw }));
  if (!Value.Check(schema, value)) {
    const issues = schemaErrorsToIssues([...Value.Errors(schema, value)]).map((i) => {
      const key = i.path.slice(1);
      const got = secrets.has(key) ? '[redacted]' : JSON.stringify(raw[key]);
      return `${key || '(root)'}: ${i.message} (got ${got})`;
    });
    throw new ConfigError(issues);
  }
  return value as Static<S>;
}

/** Validates the variables; no file system access. */
export function parseConfigEnv(env: NodeJS.ProcessEnv): ConfigEnv {
  const value = readEnv(ConfigEnv, env);
  if (value.PULUMI_CONFIG_PASSPHRASE && value.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new ConfigError(['set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, not both']);
  }
  if (value.WEBHOOK_SECRET && value.WEBHOOK_SECRET_FILE) {
    throw new ConfigError(['set WEBHOOK_SECRET or WEBHOOK_SECRET_FILE, not both']);
  }
  const issues: string[] = [];
  if (value.RECONCILE_CRON !== 'off') {
    try {
      new Cron(value.RECONCILE_CRON, { timezone: value.RECONCILE_TZ, paused: true }).stop();
    } catch (err) {
      issues.push(
        `RECONCILE_CRON/RECONCILE_TZ: ${(err as Error).message} (got ${JSON.stringify(value.RECONCILE_CRON)} in ${JSON.stringify(value.RECONCILE_TZ)})`,
      );
    }
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: value.RECONCILE_TZ });
  } catch {
    issues.push(`RECONCILE_TZ: not a time zone (got ${JSON.stringify(value.RECONCILE_TZ)})`);
  }
  for (const url of webhookUrlsOf(value.WEBHOOK_URLS)) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      issues.push(`WEBHOOK_URLS: not an http(s) URL: ${JSON.stringify(url)}`);
    }
  }
  if (webhookUrlsOf(value.WEBHOOK_URLS).length > 0 && !value.WEBHOOK_SECRET && !value.WEBHOOK_SECRET_FILE) {
    issues.push('WEBHOOK_URLS needs WEBHOOK_SECRET or WEBHOOK_SECRET_FILE');
  }
  const legacy = value.TRAILWARDEN_SANDBOX;
  if (legacy !== undefined && value.TRAILWARDEN_MODE !== undefined) {
    if ((legacy ? 'sandbox' : 'aws') !== value.TRAILWARDEN_MODE)
      issues.push(
        `TRAILWARDEN_SANDBOX=${legacy} contradicts TRAILWARDEN_MODE=${value.TRAILWARDEN_MODE}; set only TRAILWARDEN_MODE`,
      );
  }
  if (value.LOG_FORMAT === 'pretty' && !canResolve('pino-pretty')) {
    issues.push('LOG_FORMAT=pretty needs pino-pretty, a dev dependency: run `npm ci` (not --omit=dev)');
  }
  if (value.HTTP_HEADERS_TIMEOUT_MS > value.HTTP_REQUEST_TIMEOUT_MS) {
    // Node refuses a headers timeout above the request timeout.
    issues.push(
      `HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (got ${value.HTTP_HEADERS_TIMEOUT_MS} > ${value.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return value;
}

function canResolve(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** TRAILWARDEN_MODE, else the old TRAILWARDEN_SANDBOX (true = sandbox, false = aws), else sandbox. */
export function modeOf(env: Pick<ConfigEnv, 'TRAILWARDEN_MODE' | 'TRAILWARDEN_SANDBOX'>): Mode {
  if (env.TRAILWARDEN_MODE) return env.TRAILWARDEN_MODE;
  if (env.TRAILWARDEN_SANDBOX !== undefined) return env.TRAILWARDEN_SANDBOX ? 'sandbox' : 'aws';
  return 'sandbox';
}

function webhookUrlsOf(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

function resolveWebhookSecret(env: ConfigEnv): string | undefined {
  if (env.WEBHOOK_SECRET) return env.WEBHOOK_SECRET;
  if (!env.WEBHOOK_SECRET_FILE) return undefined;
  let secret: string;
  try {
    secret = readFileSync(env.WEBHOOK_SECRET_FILE, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([
      `WEBHOOK_SECRET_FILE: cannot read ${env.WEBHOOK_SECRET_FILE}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    ]);
  }
  if (secret.length < 16)
    throw new ConfigError(['WEBHOOK_SECRET_FILE: the secret is shorter than 16 characters']);
  return secret;
}

/**
 * The passphrase that encrypts Pulumi secrets in state: from the variable, from the file it names,
 * or generated once into DATA_DIR/secrets/passphrase (mode 0600) and reused after that.
 */
export function resolvePassphrase(env: ConfigEnv, dataDir: string): string {
  if (env.PULUMI_CONFIG_PASSPHRASE) return env.PULUMI_CONFIG_PASSPHRASE;
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    try {
      return readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, 'utf8').trim();
    } catch (err) {
      throw new ConfigError([
        `PULUMI_CONFIG_PASSPHRASE_FILE: cannot read ${env.PULUMI_CONFIG_PASSPHRASE_FILE}: ${(err as Error).message}`,
      ]);
    }
  }
  const file = path.join(dataDir, 'secrets', 'passphrase');
  ensurePrivateDirectory(path.dirname(file));
  if (existsSync(file)) {
    // A file an older version (or an operator) left readable to others is tightened.
    chmodSync(file, 0o600);
    return readFileSync(file, 'utf8').trim();
  }
  const passphrase = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(file, passphrase + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  chmodSync(file, 0o600);
  return passphrase;
}

/**
 * The replica id when TRAILWARDEN_REPLICA_ID is not set: generated once into DATA_DIR/run/replica-id, so a
 * restart on the same DATA_DIR is the same replica (it recovers its own operations at once instead of
 * waiting for their leases to expire) and two replicas, which never share a DATA_DIR, never share an id.
 */
export function resolveReplicaId(dataDir: string): string {
  const file = path.join(dataDir, 'run', 'replica-id');
  ensurePrivateDirectory(path.dirname(file));
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = `replica-${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(file, `${id}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
  return id;
}

/**
 * Creates a directory that holds the database or secrets as 0700, and takes the "other" bits off an
 * existing one we own (never a sticky shared directory such as /tmp), so no other user can list or read it.
 */
export function ensurePrivateDirectory(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return;
  }
  const st = statSync(dir);
  const ours = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (ours && (st.mode & 0o1000) === 0 && (st.mode & 0o007) !== 0) chmodSync(dir, st.mode & 0o770);
}

// What one engine operation at a time costs in memory (MB): the Pulumi CLI (≈ 120 MB RSS), the
// inline program's share of the service heap and headroom (bench/results: peak RSS per operation).
const MB_PER_OPERATION = 384;
// The service itself with nothing running (its heap, @pulumi/aws loaded, SQLite).
const MB_FOR_SERVICE = 512;

/**
 * The default of MAX_CONCURRENT_OPERATIONS and RECONCILE_CONCURRENCY: one operation per core (an
 * operation keeps about one core busy: the CLI's engine, the provider, the program in this
 * process; on 2 cores concurrency 2 already saturates both and 4 only added memory and latency,
 * issue 15), fewer when memory cannot hold that many, at least 1.
 */
export function defaultConcurrency(cores = availableParallelism(), memoryBytes = totalmem()): number {
  const byMemory = Math.floor((memoryBytes / 2 ** 20 - MB_FOR_SERVICE) / MB_PER_OPERATION);
  return Math.max(1, Math.min(64, cores, byMemory));
}

/** Reads and validates the configuration; creates DATA_DIR and the passphrase file if needed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseConfigEnv(env);
  const dataDir = path.resolve(e.DATA_DIR);
  ensurePrivateDirectory(dataDir);
  const mode = modeOf(e);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'trailwarden.db')}`,
    mode,
    sandbox: mode === 'sandbox',
    // A KMS provider needs no passphrase: none is generated (nor required) then.
    pulumiConfigPassphrase: e.PULUMI_SECRETS_PROVIDER === 'passphrase' ? resolvePassphrase(e, dataDir) : '',
    pulumiSecretsProvider: e.PULUMI_SECRETS_PROVIDER,
    managementAccountId: e.MANAGEMENT_ACCOUNT_ID,
    roleArnTemplate: e.ROLE_ARN_TEMPLATE,
    externalId: e.EXTERNAL_ID,
    maxConcurrentOperations: e.MAX_CONCURRENT_OPERATIONS ?? defaultConcurrency(),
    replicaId: e.TRAILWARDEN_REPLICA_ID ?? resolveReplicaId(dataDir),
    operationLeaseTtlMs: e.OPERATION_LEASE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    reconcileCron: e.RECONCILE_CRON === 'off' ? null : e.RECONCILE_CRON,
    reconcileTimezone: e.RECONCILE_TZ,
    reconcileConcurrency: e.RECONCILE_CONCURRENCY ?? defaultConcurrency(),
    reconcileLeaseTtlMs: e.RECONCILE_LEASE_TTL_MS,
    retentionDays: e.RETENTION_DAYS,
    retentionSweepIntervalMs: e.RETENTION_SWEEP_INTERVAL_MS,
    memoryTrimRssMb: e.MEMORY_TRIM_RSS_MB,
    webhookUrls: webhookUrlsOf(e.WEBHOOK_URLS),
    webhookSecret: resolveWebhookSecret(e),
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      maxRequestsPerSocket: e.HTTP_MAX_REQUESTS_PER_SOCKET,
    },
    ...engineLocations(dataDir, e),
  };
}

/** Where the engine keeps its things: the variables when set, else under DATA_DIR. */
function engineLocations(
  dataDir: string,
  e: Partial<Pick<ConfigEnv, 'PULUMI_BACKEND_URL' | 'PULUMI_HOME' | 'TRAILWARDEN_SANDBOX_DIR'>> = {},
): Pick<Config, 'pulumiBackendUrl' | 'pulumiHome' | 'sandboxStateDir'> {
  return {
    pulumiBackendUrl: e.PULUMI_BACKEND_URL,
    pulumiHome: e.PULUMI_HOME ?? path.join(dataDir, 'pulumi-home'),
    sandboxStateDir: e.TRAILWARDEN_SANDBOX_DIR ?? path.join(dataDir, 'sandbox', 'state'),
  };
}

export interface AccountRole {
  roleArn: string;
  externalId?: string;
}

/** The role the engine assumes for an account; undefined in sandbox mode, which needs no AWS access. */
export function roleForAccount(config: Config, accountId: string): AccountRole | undefined {
  if (config.sandbox) return undefined;
  const roleArn = config.roleArnTemplate.replaceAll('{accountId}', accountId);
  return config.externalId ? { roleArn, externalId: config.externalId } : { roleArn };
}

/** A configuration for tests and tools: defaults, no file system access. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  // Either field may be given; the other follows it.
  const sandbox = overrides.sandbox ?? (overrides.mode ? overrides.mode === 'sandbox' : true);
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: '/nonexistent',
    databaseUrl: 'sqlite::memory:',
    pulumiConfigPassphrase: 'test-passphrase',
    pulumiSecretsProvider: 'passphrase',
    managementAccountId: undefined,
    roleArnTemplate: DEFAULT_ROLE_ARN_TEMPLATE,
    externalId: undefined,
    maxConcurrentOperations: 4,
    replicaId: 'test-replica',
    operationLeaseTtlMs: 30000,
    logLevel: 'silent',
    logFormat: 'json',
    shutdownTimeoutMs: 1000,
    reconcileCron: null,
    reconcileTimezone: 'UTC',
    reconcileConcurrency: 4,
    reconcileLeaseTtlMs: 60000,
    retentionDays: 90,
    retentionSweepIntervalMs: 3600000,
    memoryTrimRssMb: 300,
    webhookUrls: [],
    webhookSecret: undefined,
    http: DEFAULT_HTTP_LIMITS,
    ...engineLocations(overrides.dataDir ?? '/nonexistent'),
    ...overrides,
    mode: sandbox ? 'sandbox' : 'aws',
    sandbox,
  };
}
