// Service tokens for automation: `twst_<id>_<secret>`, shown once, stored only as a SHA-256 hash,
// compared in constant time, revocable, always expiring. Plus the bootstrap admin token of a fresh install.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDirectory } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { SqlDatabase, SqlValue } from '../store/sql.ts';
import { isRole, type Principal, type Role } from './principal.ts';

export const SERVICE_TOKEN_PREFIX = 'twst_';
const TOKEN_SHAPE = /^twst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function isServiceTokenShaped(token: string): boolean {
  return token.startsWith(SERVICE_TOKEN_PREFIX);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two hex SHA-256 digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export function generateServiceToken(): { id: string; token: string } {
  const id = randomBytes(8).toString('hex');
  return { id, token: `${SERVICE_TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

export const SERVICE_TOKEN_SCHEMA = `
CREATE TABLE IF NOT EXISTS service_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  roles TEXT NOT NULL,
  accounts TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_by TEXT
)`;

export interface ServiceTokenRecord {
  id: string;
  name: string;
  roles: Role[];
  accounts: string[];
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export type ServiceTokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(t: ServiceTokenRecord, now: Date): ServiceTokenStatus {
  if (t.revokedAt) return 'revoked';
  return Date.parse(t.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

type Row = Record<string, unknown>;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function fromRow(r: Row): ServiceTokenRecord {
  return {
    id: String(r['id']),
    name: String(r['name']),
    roles: (JSON.parse(String(r['roles'])) as unknown[]).filter(isRole),
    accounts: JSON.parse(String(r['accounts'])) as string[],
    createdBy: String(r['created_by']),
    createdAt: String(r['created_at']),
    expiresAt: String(r['expires_at']),
    revokedAt: strOrNull(r['revoked_at']),
    revokedBy: strOrNull(r['revoked_by']),
  };
}

const COLUMNS = 'id, name, roles, accounts, created_by, created_at, expires_at, revoked_at, revoked_by';

export interface NewServiceToken {
  name: string;
  roles: Role[];
  accounts: string[];
  expiresInDays: number;
  createdBy: string;
}

export class ServiceTokenStore {
  readonly #db: SqlDatabase;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, opts: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Creates the table if missing (idempotent; SQLite and PostgreSQL). */
  async init(): Promise<void> {
    await this.#db.exec(SERVICE_TOKEN_SCHEMA);
  }

  /** Returns the token once; only its hash is stored. */
  async create(input: NewServiceToken): Promise<{ token: string; record: ServiceTokenRecord }> {
    const { id, token } = generateServiceToken();
    const now = this.#now();
    const record: ServiceTokenRecord = {
      id,
      name: input.name,
      roles: [...new Set(input.roles)],
      accounts: [...new Set(input.accounts)],
      createdBy: input.createdBy,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString(),
      revokedAt: null,
      revokedBy: null,
    };
    const params: SqlValue[] = [
      record.id,
      record.name,
      hashToken(token),
      JSON.stringify(record.roles),
      JSON.stringify(record.accounts),
      record.createdBy,
      record.createdAt,
      record.expiresAt,
    ];
    await this.#db.run(
      'INSERT INTO service_tokens (id, name, token_hash, roles, accounts, created_by, created_at, expires_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      params,
    );
    return { token, record };
  }

  async list(): Promise<ServiceTokenRecord[]> {
    const rows = await this.#db.all<Row>(`SELECT ${COLUMNS} FROM service_tokens ORDER BY created_at, id`);
    return rows.map(fromRow);
  }

  async get(id: string): Promise<ServiceTokenRecord | undefined> {
    const rows = await this.#db.all<Row>(`SELECT ${COLUMNS} FROM service_tokens WHERE id = ?`, [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Marks the token revoked (the row stays, for the audit trail). Undefined when unknown. */
  async revoke(id: string, by: string): Promise<ServiceTokenRecord | undefined> {
    await this.#db.run(
      'UPDATE service_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
      [this.#now().toISOString(), by, id],
    );
    return this.get(id);
  }

  /** The principal of a valid, unrevoked, unexpired token; undefined for anything else. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const m = TOKEN_SHAPE.exec(token);
    if (!m) return undefined;
    const rows = await this.#db.all<Row>(`SELECT ${COLUMNS}, token_hash FROM service_tokens WHERE id = ?`, [
      m[1]!,
    ]);
    const row = rows[0];
    if (!row || !sameHash(hashToken(token), String(row['token_hash']))) return undefined;
    const record = fromRow(row);
    if (tokenStatus(record, this.#now()) !== 'active') return undefined;
    return {
      id: `svc:${record.id}`,
      kind: 'service-token',
      name: record.name,
      roles: record.roles,
      accounts: record.accounts,
      // Four-eyes checks treat a token and its creator as one person.
      owner: record.createdBy,
      expiresAt: record.expiresAt,
    };
  }
}

export const BOOTSTRAP_PRINCIPAL: Principal = {
  id: 'svc:bootstrap',
  kind: 'bootstrap',
  name: 'bootstrap admin',
  roles: ['admin'],
  accounts: ['*'],
};

/** Only the hash of the bootstrap token is kept in memory. */
export interface BootstrapCredential {
  hash: string;
  /** Where the token is; safe to log (the token is not). */
  file: string;
  /** The file was created by this call. */
  created: boolean;
}

/**
 * The bootstrap admin token: read from `tokenFile` (TRAILWARDEN_BOOTSTRAP_TOKEN_FILE), or generated once
 * into DATA_DIR/secrets/bootstrap-token (mode 0600) and reused after that. Never logs or returns the token.
 */
export function resolveBootstrapToken(opts: {
  tokenFile: string | undefined;
  dataDir: string;
}): BootstrapCredential {
  if (opts.tokenFile) {
    let token: string;
    try {
      token = readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError([
        `TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: cannot read ${opts.tokenFile}: ${(err as Error).message}`,
      ]);
    }
    if (token.length < 32)
      throw new ConfigError(['TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: token shorter than 32 characters']);
    return { hash: hashToken(token), file: opts.tokenFile, created: false };
  }
  const file = path.join(opts.dataDir, 'secrets', 'bootstrap-token');
  ensurePrivateDirectory(path.dirname(file));
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return { hash: hashToken(readFileSync(file, 'utf8').trim()), file, created: false };
  }
  const token = `${SERVICE_TOKEN_PREFIX}bootstrap_${randomBytes(32).toString('base64url')}`;
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return { hash: hashToken(readFileSync(file, 'utf8').trim()), file, created: false };
    }
    throw err;
  }
  chmodSync(file, 0o600);
  return { hash: hashToken(token), file, created: true };
}
