// The service-token aggregate: tokens stored as SHA-256 hashes with their grants, expiry and revocation.
import type { Row, SqlDatabase, SqlValue } from '../store/sql.ts';
import { strOrNull } from '../store/sql.ts';
import { isRole, type Principal, type Role } from './principal.ts';
import { generateServiceToken, hashToken, sameHash, TOKEN_SHAPE } from './tokens.ts';

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

export interface TokenStore {
  /** Returns the token once; only its hash is stored. */
  create(input: NewServiceToken): Promise<{ token: string; record: ServiceTokenRecord }>;
  list(): Promise<ServiceTokenRecord[]>;
  get(id: string): Promise<ServiceTokenRecord | undefined>;
  /** Marks the token revoked (the row stays, for the audit trail). Undefined when unknown. */
  revoke(id: string, by: string): Promise<ServiceTokenRecord | undefined>;
  /** The principal of a valid, unrevoked, unexpired token; undefined for anything else. */
  authenticate(token: string): Promise<Principal | undefined>;
}

export class SqlTokenStore implements TokenStore {
  readonly #db: SqlDatabase;
  readonly #now: () => Date;

  constructor(db: SqlDatabase, opts: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = opts.now ?? (() => new Date());
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
