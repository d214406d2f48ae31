import * as z from 'zod';
import { serverError } from '../core/errors.js';
import { allOfListing, keysetPage, type KeysetListing, type PageCursors } from '../core/keyset-pages.js';
import type { ApiRequest } from './request.js';

/**
 * Copr's APIv3 pagination: `limit`, `offset`, `order` (a column name, default id),
 * `order_type` (ASC|DESC, default ASC). No limit = everything, meta.limit null.
 * The client's next_page() adds meta.offset + meta.limit, so both echo as numbers,
 * and a page past the end is an empty list, not an error.
 */
export interface Page {
  limit: number | null;
  offset: number;
  order: string;
  order_type: 'ASC' | 'DESC';
}

const PageQuery = z.object({
  limit: z.coerce.number().int().min(0).max(1_000_000).optional(),
  offset: z.coerce.number().int().min(0).max(100_000_000).default(0),
  order: z.string().regex(/^\w{1,64}$/).default('id'),
  order_type: z.enum(['ASC', 'DESC', 'asc', 'desc']).default('ASC').transform((s) => s.toUpperCase() as 'ASC' | 'DESC'),
});

export function parsePage(req: ApiRequest): Page {
  const first = (k: string) => req.query.get(k)?.[0];
  const parsed = PageQuery.parse({
    limit: first('limit') || undefined,
    offset: first('offset') || undefined,
    order: first('order') || undefined,
    order_type: first('order_type') || undefined,
  });
  return { limit: parsed.limit ?? null, offset: parsed.offset, order: parsed.order, order_type: parsed.order_type };
}

export type Orderable<T> = Record<string, (item: T) => string | number | null>;

export interface Paginated<R> {
  items: R[];
  meta: Page;
}

/**
 * Sorts by an allowed column and slices the page: for lists that are read whole
 * anyway (bounded, or no `limit`) or ordered by a column no index holds. The orders
 * an index holds (id, and name for packages) are served by `indexedPage`.
 */
export function paginate<T>(all: T[], page: Page, orderable: Orderable<T>, tableName: string): T[] {
  const key = orderable[page.order];
  if (!key) throw serverError(`Cannot order by ${page.order}, ${tableName} doesn't have such property`);
  const dir = page.order_type === 'DESC' ? -1 : 1;
  const sorted = [...all].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === y) return 0;
    if (x === null) return -dir;
    if (y === null) return dir;
    return x < y ? -dir : dir;
  });
  return page.limit === null ? sorted.slice(page.offset) : sorted.slice(page.offset, page.offset + page.limit);
}

export function pageResult<R>(items: R[], page: Page): Paginated<R> {
  return { items, meta: page };
}

/**
 * A page of a listing an index orders (core/keyset-pages.ts): with `limit`, keyset
 * cursors (the page's reads do not grow with its offset or the listing's size);
 * without, the whole listing from `offset`, read in chunks.
 */
export function indexedPage<T>(cursors: PageCursors, listing: KeysetListing<T>, page: Page): Promise<T[]> {
  return page.limit === null ? allOfListing(listing, page.offset) : keysetPage(cursors, listing, page.offset, page.limit);
}
