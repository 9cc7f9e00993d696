// Who is calling, what roles it holds and which accounts it may act on.

export const ROLES = ['viewer', 'requester', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Roles are ordered: a route that needs `requester` admits approvers and admins too. */
const RANK: Record<Role, number> = { viewer: 0, requester: 1, approver: 2, admin: 3 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export interface Principal {
  /** Stable id, unique across kinds: `oidc:<sub>`, `svc:<token id>`, `svc:bootstrap`. */
  id: string;
  kind: 'oidc' | 'service-token' | 'bootstrap';
  /** Display name: the token name, or the user's name/email claim. */
  name: string;
  roles: Role[];
  /** Account ids, `group:<name>` or `*`, as granted; expanded against the configured groups when checked. */
  accounts: string[];
  /** For a service token: the principal that created it (four-eyes checks treat them as one person). */
  owner?: string;
  /** For a service token: when it expires (ISO 8601); the authentication cache never holds it longer. */
  expiresAt?: string;
}

/** Account groups from configuration: `group:<name>` in a grant stands for these account ids. */
export type AccountGroups = Readonly<Record<string, readonly string[]>>;

export function highestRole(principal: Pick<Principal, 'roles'>): Role | undefined {
  let best: Role | undefined;
  for (const r of principal.roles) if (best === undefined || RANK[r] > RANK[best]) best = r;
  return best;
}

export function hasRole(principal: Pick<Principal, 'roles'>, needed: Role): boolean {
  return principal.roles.some((r) => RANK[r] >= RANK[needed]);
}

/**
 * Whether the principal may act on the account: admins on all; others when a grant is `*`, the id,
 * or a `group:<name>` whose configured members include the id. Unknown groups grant nothing.
 */
export function canAccessAccount(
  principal: Pick<Principal, 'roles' | 'accounts'>,
  accountId: string,
  groups: AccountGroups = {},
): boolean {
  if (principal.roles.includes('admin')) return true;
  for (const grant of principal.accounts) {
    if (grant === '*' || grant === accountId) return true;
    if (grant.startsWith('group:')) {
      const members = Object.hasOwn(groups, grant.slice(6)) ? groups[grant.slice(6)] : undefined;
      if (members?.includes(accountId)) return true;
    }
  }
  return false;
}

/**
 * The accounts a principal may see, for list endpoints: `'all'` or the explicit ids (groups expanded).
 * Lets a list route filter its rows instead of checking one account.
 */
export function accountScope(
  principal: Pick<Principal, 'roles' | 'accounts'>,
  groups: AccountGroups = {},
): 'all' | Set<string> {
  if (principal.roles.includes('admin') || principal.accounts.includes('*')) return 'all';
  const ids = new Set<string>();
  for (const grant of principal.accounts) {
    if (grant.startsWith('group:')) {
      const name = grant.slice(6);
      for (const id of Object.hasOwn(groups, name) ? (groups[name] ?? []) : []) ids.add(id);
    } else ids.add(grant);
  }
  return ids;
}
