// One cursor format for every list: the base64url encoding of the position of the last item of the page
// (an account id's UTF-8 bytes, or a sequence number's big-endian bytes). Clients treat it as opaque.
// Every string the schema accepts decodes to some position, so a well-formed cursor is never refused
// (at worst it names a position with nothing after it); a malformed one fails schema validation (400).
import { Type } from 'typebox';

export const CURSOR_PATTERN = '^[A-Za-z0-9_-]{1,200}$';

/** The `cursor` query parameter of every list route. */
export const CursorSchema = Type.String({
  pattern: CURSOR_PATTERN,
  maxLength: 512,
  description: 'nextCursor of the previous page (opaque)',
});

/** The `nextCursor` of every list answer: null on the last page. */
export const NextCursorSchema = Type.Union([Type.String({ pattern: CURSOR_PATTERN }), Type.Null()], {
  description: 'Pass as cursor to get the next page; null on the last page',
});

/** Cursor of a list ordered by a text key (e.g. account id). */
export function encodeKeyCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeKeyCursor(cursor: string): string {
  // NUL cannot reach PostgreSQL in a text parameter; no key holds one anyway.
  return Buffer.from(cursor, 'base64url').toString('utf8').replaceAll('\u0000', '');
}

/** Cursor of a list ordered by a sequence number (newest first: the next page is before it). */
export function encodeSeqCursor(seq: number): string {
  let hex = Math.max(0, Math.trunc(seq)).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function decodeSeqCursor(cursor: string): number {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length === 0) return 0;
  const n = Number.parseInt(bytes.toString('hex'), 16);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}
