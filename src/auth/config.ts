// Security settings from the environment: OIDC, account groups, approval policy, limits.
// Same conventions as src/config.ts (TypeBox-validated, empty variable = unset, ConfigError on failure).
import { readFileSync } from 'node:fs';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { readEnv } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { AccountGroups } from './principal.ts';

export const AuthEnv = Type.Object({
  OIDC_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  OIDC_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'comma-separated for several' })),
  OIDC_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  OIDC_JWKS_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'local JWKS (air-gapped installs)' }),
  ),
  OIDC_ROLES_CLAIM: Type.String({ minLength: 1, default: 'trailwarden_roles' }),
  OIDC_ACCOUNTS_CLAIM: Type.String({ minLength: 1, default: 'trailwarden_accounts' }),
  OIDC_NAME_CLAIM: Type.String({ minLength: 1, default: 'email' }),
  OIDC_CLOCK_TOLERANCE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
  ACCOUNT_GROUPS: Type.Optional(
    Type.String({ minLength: 2, description: 'JSON {"name": ["123456789012"]}' }),
  ),
  ACCOUNT_GROUPS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TRAILWARDEN_BOOTSTRAP_DISABLED: Type.Boolean({ default: false }),
  SERVICE_TOKEN_MAX_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 365 }),
  APPROVAL_REQUIRED: Type.Boolean({ default: true }),
  APPROVAL_ADMIN_BYPASS: Type.Boolean({ default: true }),
  APPROVAL_STRENGTHENING_BYPASS: Type.Boolean({ default: true }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 300 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10485760, default: 262144 }),
  AUTH_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 60000, default: 5000 }),
});
type AuthEnv = Static<typeof AuthEnv>;

export interface OidcConfig {
  issuer: string;
  audience: string[];
  /** Exactly one of the two. */
  jwksUrl?: string;
  /** A JWKS document ({ keys: [...] }) already read. */
  jwks?: { keys: Record<string, unknown>[] };
  rolesClaim: string;
  accountsClaim: string;
  nameClaim: string;
  clockToleranceSeconds: number;
}

export interface ApprovalConfig {
  /** false: nothing waits for approval. */
  required: boolean;
  /** Admins' applies and deletes run without approval. */
  adminBypass: boolean;
  /** Applies that only strengthen the applied spec run without approval. */
  strengtheningBypass: boolean;
}

export interface AuthConfig {
  oidc: OidcConfig | undefined;
  accountGroups: AccountGroups;
  bootstrap: { disabled: boolean; tokenFile: string | undefined };
  serviceTokenMaxDays: number;
  approval: ApprovalConfig;
  rateLimit: { max: number; timeWindowMs: number };
  bodyLimitBytes: number;
  /**
   * How long a verified token is remembered (0: verified on every request). A revoked service token is
   * refused at once on the replica that revoked it, within this on the others.
   */
  authCacheTtlMs: number;
}

function readText(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${variable}: cannot read ${file}: ${(err as Error).message}`]);
  }
}

function parseJson(variable: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${variable}: not valid JSON: ${(err as Error).message}`]);
  }
}

const GroupsSchema = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  Type.Array(Type.String({ pattern: '^[0-9]{12}$' }), { uniqueItems: true }),
);

export function parseAccountGroups(variable: string, text: string): AccountGroups {
  const value = parseJson(variable, text);
  if (!Value.Check(GroupsSchema, value)) {
    throw new ConfigError([`${variable}: expected {"<group>": ["<12-digit account id>", ...]}`]);
  }
  return value;
}

/** Validates the security variables and reads the files they name (JWKS, account groups). */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const e: AuthEnv = readEnv(AuthEnv, env);
  const issues: string[] = [];
  let oidc: OidcConfig | undefined;
  const anyOidc = e.OIDC_ISSUER || e.OIDC_AUDIENCE || e.OIDC_JWKS_URL || e.OIDC_JWKS_FILE;
  if (anyOidc) {
    if (!e.OIDC_ISSUER) issues.push('OIDC_ISSUER: required when OIDC is configured');
    if (!e.OIDC_AUDIENCE) issues.push('OIDC_AUDIENCE: required when OIDC is configured');
    if (!e.OIDC_JWKS_URL === !e.OIDC_JWKS_FILE)
      issues.push('set exactly one of OIDC_JWKS_URL and OIDC_JWKS_FILE');
    if (issues.length === 0) {
      let jwks: OidcConfig['jwks'];
      if (e.OIDC_JWKS_FILE) {
        const doc = parseJson('OIDC_JWKS_FILE', readText('OIDC_JWKS_FILE', e.OIDC_JWKS_FILE)) as {
          keys?: unknown;
        };
        if (!Array.isArray(doc?.keys))
          issues.push('OIDC_JWKS_FILE: expected a JWKS document { "keys": [...] }');
        else jwks = { keys: doc.keys as Record<string, unknown>[] };
      }
      oidc = {
        issuer: e.OIDC_ISSUER!,
        audience: e
          .OIDC_AUDIENCE!.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        ...(e.OIDC_JWKS_URL ? { jwksUrl: e.OIDC_JWKS_URL } : {}),
        ...(jwks ? { jwks } : {}),
        rolesClaim: e.OIDC_ROLES_CLAIM,
        accountsClaim: e.OIDC_ACCOUNTS_CLAIM,
        nameClaim: e.OIDC_NAME_CLAIM,
        clockToleranceSeconds: e.OIDC_CLOCK_TOLERANCE_SECONDS,
      };
    }
  }
  if (e.ACCOUNT_GROUPS && e.ACCOUNT_GROUPS_FILE)
    issues.push('set ACCOUNT_GROUPS or ACCOUNT_GROUPS_FILE, not both');
  if (issues.length > 0) throw new ConfigError(issues);
  const accountGroups = e.ACCOUNT_GROUPS
    ? parseAccountGroups('ACCOUNT_GROUPS', e.ACCOUNT_GROUPS)
    : e.ACCOUNT_GROUPS_FILE
      ? parseAccountGroups('ACCOUNT_GROUPS_FILE', readText('ACCOUNT_GROUPS_FILE', e.ACCOUNT_GROUPS_FILE))
      : {};
  return {
    oidc,
    accountGroups,
    bootstrap: { disabled: e.TRAILWARDEN_BOOTSTRAP_DISABLED, tokenFile: e.TRAILWARDEN_BOOTSTRAP_TOKEN_FILE },
    serviceTokenMaxDays: e.SERVICE_TOKEN_MAX_DAYS,
    approval: {
      required: e.APPROVAL_REQUIRED,
      adminBypass: e.APPROVAL_ADMIN_BYPASS,
      strengtheningBypass: e.APPROVAL_STRENGTHENING_BYPASS,
    },
    rateLimit: { max: e.RATE_LIMIT_MAX, timeWindowMs: e.RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    authCacheTtlMs: e.AUTH_CACHE_TTL_MS,
  };
}

/** Defaults for tests: no OIDC, no groups, approvals on. */
export function testAuthConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    oidc: undefined,
    accountGroups: {},
    bootstrap: { disabled: true, tokenFile: undefined },
    serviceTokenMaxDays: 365,
    approval: { required: true, adminBypass: true, strengtheningBypass: true },
    rateLimit: { max: 1000, timeWindowMs: 60000 },
    bodyLimitBytes: 262144,
    authCacheTtlMs: 5000,
    ...overrides,
  };
}
