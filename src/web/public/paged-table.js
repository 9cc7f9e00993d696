// A table read a page at a time from a list endpoint: the first page on load, the next ones with a
// "Show more" button while the API answers a nextCursor. The accounts, fleet and account pages use it.
import { api } from './api.js';
import { h, tableHead } from './dom.js';

/**
 * D: a page as the list endpoint answers it; I: the item a row shows.
 * @template D, I
 * @typedef {object} PagedTableOptions
 * @property {string} id the table's id
 * @property {string} className
 * @property {string} caption
 * @property {boolean} [captionHidden] the caption is for screen readers only
 * @property {string[]} columns column headings
 * @property {string} moreLabel the button that loads the next page
 * @property {string} path the list endpoint
 * @property {number} limit page size
 * @property {Record<string, string | null | undefined>} [filters] query parameters; empty ones are left out
 * @property {(data: D) => I[]} [items] the rows of a page (default: `data.items`)
 * @property {(item: I) => HTMLElement} row
 * @property {(data: D, page: { first: boolean, tbody: HTMLElement }) => void} [afterPage]
 * @property {(err: unknown) => void} onError
 */

/**
 * @template D, I
 * @param {PagedTableOptions<D, I>} o
 * @returns {{ table: HTMLElement, more: HTMLButtonElement, load: () => Promise<void> }}
 */
export function pagedTable(o) {
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, o.moreLabel);
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: o.className, id: o.id },
      h('caption', o.captionHidden ? { class: 'visually-hidden' } : {}, o.caption),
      tableHead(o.columns),
      tbody,
    ),
  );
  /** @type {string | null} */
  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const q = new URLSearchParams({ limit: String(o.limit) });
      for (const [k, v] of Object.entries(o.filters ?? {})) if (v) q.set(k, v);
      if (cursor) q.set('cursor', cursor);
      const first = cursor === null;
      // The endpoint's schema type is the caller's D; every list endpoint has nextCursor.
      const data = /** @type {D & import('./types.d.ts').Page} */ ((await api(`${o.path}?${q}`)).data);
      for (const item of o.items ? o.items(data) : /** @type {I[]} */ (data.items)) tbody.append(o.row(item));
      cursor = data.nextCursor ?? null;
      more.hidden = !cursor;
      o.afterPage?.(data, { first, tbody });
    } catch (err) {
      o.onError(err);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  return { table, more, load };
}
