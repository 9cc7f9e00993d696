// Four-eyes policy for applies and deletes: pure functions, no state. The operation queue keeps the
// `pending-approval` state; these decide whether an operation needs it and who may give it.
import { canonicalJson } from '../canonical-json.ts';
import type { OperationKind } from '../engine/types.ts';
import type { ResolvedTrailRequest } from '../trail-request/schema.ts';
import type { ApprovalConfig } from './config.ts';
import { type AccountGroups, canAccessAccount, hasRole, type Principal } from './principal.ts';

export interface ApprovalDecision {
  required: boolean;
  /** Why, in words fit for the operation record and the audit trail. */
  reasons: string[];
}

type Spec = ResolvedTrailRequest;

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const superset = <T>(next: readonly T[], prev: readonly T[]) =>
  prev.every((p) => next.some((n) => same(n, p)));
const sameSet = <T>(a: readonly T[], b: readonly T[]) => superset(a, b) && superset(b, a);

type DataScope = Spec['dataEvents'][number];

/** Whether `n` records at least the events `p` records: same kind, access and resources covering. */
function covers(n: DataScope, p: DataScope): boolean {
  if (n.kind !== p.kind) return false;
  const na = n.access ?? 'all';
  const pa = p.access ?? 'all';
  if (na !== 'all' && na !== pa) return false;
  if (n.resources === 'all') return true;
  if (p.resources === 'all') return false;
  return superset(n.resources, p.resources);
}

/**
 * The fields of `next` that do not merely strengthen `prev`. Empty: `next` only strengthens.
 * Strengthening: more regions (or all), more data event scopes, insights added, longer retention (expiry, CloudWatch Logs), object lock added (or longer / GOVERNANCE→COMPLIANCE).
 * Any other difference, including fields this function does not know, is not a strengthening.
 */
export function weakeningChanges(prev: Spec, next: Spec): string[] {
  const out: string[] = [];
  const handled = new Set<string>();
  const check = (field: string, ok: boolean) => {
    handled.add(field);
    if (!ok) out.push(field);
  };

  check(
    'regions',
    next.regions === 'all' ||
      (prev.regions !== 'all' &&
        superset(next.regions as readonly string[], prev.regions as readonly string[])),
  );
  check(
    'dataEvents',
    prev.dataEvents.every((p) => next.dataEvents.some((n) => covers(n, p))),
  );
  check('insights', superset(next.insights, prev.insights));

  handled.add('alarms');
  if (next.alarms.set !== prev.alarms.set) out.push('alarms.set');
  // Recipients receive what the alarms say about the account: adding one (an address or endpoint
  // outside the organization, possibly) needs an approver as much as removing one does.
  if (!sameSet(next.alarms.notify.emails, prev.alarms.notify.emails)) out.push('alarms.notify.emails');
  if (!sameSet(next.alarms.notify.https, prev.alarms.notify.https)) out.push('alarms.notify.https');
  const knownAlarm = (a: Spec['alarms']) => {
    const { set: _s, notify, ...rest } = a;
    const { emails: _e, https: _h, ...notifyRest } = notify;
    return { rest, notifyRest };
  };
  if (!same(knownAlarm(next.alarms), knownAlarm(prev.alarms))) out.push('alarms');

  handled.add('retention');
  if (next.retention.expireAfterDays < prev.retention.expireAfterDays) out.push('retention.expireAfterDays');
  if (next.retention.cloudWatchLogsDays < prev.retention.cloudWatchLogsDays)
    out.push('retention.cloudWatchLogsDays');
  // Archiving earlier or later changes cost and retrieval, not what is kept: not a strengthening.
  if (next.retention.archiveAfterDays !== prev.retention.archiveAfterDays)
    out.push('retention.archiveAfterDays');
  {
    const { expireAfterDays: _a, cloudWatchLogsDays: _b, archiveAfterDays: _c, ...nr } = next.retention;
    const { expireAfterDays: _d, cloudWatchLogsDays: _e, archiveAfterDays: _f, ...pr } = prev.retention;
    if (!same(nr, pr)) out.push('retention');
  }

  handled.add('objectLock');
  if (prev.objectLock) {
    const n = next.objectLock;
    const modeOk = n !== undefined && (n.mode === prev.objectLock.mode || n.mode === 'COMPLIANCE');
    if (!n || !modeOk || n.days < prev.objectLock.days) out.push('objectLock');
  }

  // Everything else must stay as it is: management events, organization trail, readers, tags, …
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
  for (const key of [...keys].sort()) {
    if (handled.has(key)) continue;
    if (!same((prev as Record<string, unknown>)[key], (next as Record<string, unknown>)[key])) out.push(key);
  }
  return out;
}

export function onlyStrengthens(prev: Spec, next: Spec): boolean {
  return weakeningChanges(prev, next).length === 0;
}

/** Operation kinds that change or remove resources; previews and drift checks never wait. */
export const APPROVAL_KINDS: readonly OperationKind[] = ['apply', 'destroy'];

/**
 * Whether the operation waits in `pending-approval`.
 * - previews, drift checks, refreshes: never;
 * - approvals switched off: never;
 * - an admin, when admins may skip it: no;
 * - destroy: always (a delete never strengthens);
 * - apply of exactly the applied spec (a re-apply, e.g. remediation): no, it was approved when applied;
 * - apply with an applied spec to compare and only strengthening changes, when configured: no;
 * - any other apply (including the first apply of an account: nothing to compare against): yes.
 */
export function needsApproval(input: {
  principal: Pick<Principal, 'roles'>;
  kind: OperationKind;
  /** The spec last applied to the account; undefined when none was. */
  previousSpec: Spec | undefined;
  nextSpec: Spec | undefined;
  config: ApprovalConfig;
}): ApprovalDecision {
  const { principal, kind, previousSpec, nextSpec, config } = input;
  if (!APPROVAL_KINDS.includes(kind)) return { required: false, reasons: [`${kind} needs no approval`] };
  if (!config.required) return { required: false, reasons: ['approvals are switched off'] };
  if (config.adminBypass && principal.roles.includes('admin')) {
    return { required: false, reasons: ['requested by an admin'] };
  }
  if (kind === 'destroy') return { required: true, reasons: ['decommissioning removes the trail'] };
  if (!previousSpec || !nextSpec) return { required: true, reasons: ['no applied spec to compare against'] };
  if (same(previousSpec, nextSpec)) return { required: false, reasons: ['re-applies the applied spec'] };
  const changes = weakeningChanges(previousSpec, nextSpec);
  if (changes.length === 0 && config.strengtheningBypass) {
    return { required: false, reasons: ['only strengthens the applied spec'] };
  }
  return {
    required: true,
    reasons:
      changes.length === 0 ? ['approval required by configuration'] : changes.map((c) => `changes ${c}`),
  };
}

export interface ApprovalCheck {
  ok: boolean;
  reason?: string;
}

/** The requester as recorded on the operation: its principal id (or the principal). */
export type Requester = string | Pick<Principal, 'id'>;

/**
 * Whether `approver` may approve an operation that `requestedBy` requested on `accountId`: approver or
 * admin role, scoped to the account, and not the requester themself. Four eyes compare principal
 * subjects (`oidc:<sub>`, `svc:<token id>`), not who created a token: on a fresh install the bootstrap
 * admin creates every token, and two people holding two of them are two pairs of eyes. Only admins
 * create tokens, and an admin can grant itself any role anyway, so token ownership adds no assurance.
 */
export function canApprove(input: {
  approver: Pick<Principal, 'id' | 'roles' | 'accounts'>;
  requestedBy: Requester;
  accountId: string;
  accountGroups?: AccountGroups;
}): ApprovalCheck {
  const { approver, accountId } = input;
  const requesterId = typeof input.requestedBy === 'string' ? input.requestedBy : input.requestedBy.id;
  if (!hasRole(approver, 'approver')) return { ok: false, reason: 'needs the approver role' };
  if (approver.id === requesterId) {
    return { ok: false, reason: 'the requester cannot approve their own request' };
  }
  if (!canAccessAccount(approver, accountId, input.accountGroups)) {
    return { ok: false, reason: `not granted access to account ${accountId}` };
  }
  return { ok: true };
}
