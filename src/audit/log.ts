// The tamper-evident audit trail's entries and hash chain: each entry carries the SHA-256 of a canonical
// JSON of its fields and the previous entry's hash. Changing, inserting or removing an entry breaks the
// chain at that entry; removing entries at the end is caught by the recorded head (see store.ts).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  /** Principal id (`oidc:<sub>`, `svc:<id>`), `system` for the service itself, `anonymous` before authentication. */
  actor: string;
  actorName?: string | null;
  /** What happened: `PUT /v1/accounts/:accountId/trail`, `operation.running`, … */
  action: string;
  accountId?: string | null;
  requestId?: string | null;
  /** The HTTP status code for calls, the state for operations. */
  outcome: string;
  /** Small JSON object with ids and names; never secrets. */
  details?: Record<string, unknown> | null;
  /** ISO 8601; defaults to now. */
  at?: string;
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  accountId: string | null;
  requestId: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export interface StoredFields {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  accountId: string | null;
  requestId: string | null;
  outcome: string;
  /** The details column as stored: canonical JSON text or null. */
  details: string | null;
  prevHash: string;
}

/** SHA-256 over the canonical JSON of the stored fields and the previous hash. */
export function entryHash(f: StoredFields): string {
  return createHash('sha256')
    .update(canonicalJson({ v: 1, ...f }), 'utf8')
    .digest('hex');
}

export interface AuditQuery {
  limit: number;
  /** Entries with a seq below this one (keyset pagination, newest first). */
  beforeSeq?: number | undefined;
  accountId?: string | undefined;
  actor?: string | undefined;
}

export type VerifyResult =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; broken: { seq: number; id: string | null; reason: string } };
