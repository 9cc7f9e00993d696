// The one shape of every paged list: `limit` + `cursor` in the query, `{ items, nextCursor }` back.
// Cursors themselves are defined (and encoded) in cursor.ts.
import { type TSchema, Type } from 'typebox';
import { CursorSchema, NextCursorSchema } from './cursor.ts';

/** The `limit` and `cursor` query parameters; spread them into a list route's querystring object. */
export function pageQuery(limit: { maximum: number; default: number }) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limit.maximum, default: limit.default })),
    cursor: Type.Optional(CursorSchema),
  };
}

/** The answer of a list route: one page of items and the cursor of the next page. */
export function page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: NextCursorSchema });
}
