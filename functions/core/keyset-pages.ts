/**
 * APIv3 `limit`/`offset` pages served by keyset cursors over an ordered index, for
 * every list endpoint (issue 14). DynamoDB cannot skip to the n-th item of an index,
 * so an offset is turned into a keyset cursor:
 *
 * - every page served records a cursor for the offset right after it ("offset X
 *   starts after sort key K"), so the next page of a client that pages forward, as
 *   copr-cli and python-copr do, is one cursor read plus one `Query` of `limit`
 *   items: the same cost at offset 0 and at offset 49,900;
 * - an offset with no cursor (a client jumping deep) starts from the nearest cursor
 *   below it and walks the index reading keys only, then records the cursor, so the
 *   walk is paid once, not per request;
 * - a cursor is trusted only while it cannot have moved: deleting an item of the
 *   listing bumps its generation (every older cursor is dropped), and a descending
 *   cursor also dies when an item above the listing's first one appeared. Listings
 *   are ordered by ids that only grow, so new items never move an ascending cursor.
 *
 * A listing may keep only the items a predicate accepts (build/list?status=): its
 * cursors then count matching items, and a page reads until `limit` matched.
 */

export interface PageCursor {
  /** The listing position this cursor starts at. */
  offset: number;
  /** Sort key of the item just before `offset` in listing order. */
  afterKey: string;
  /** The listing's generation when the cursor was recorded. */
  generation: number;
  /** Descending listings: the first (highest) key when the cursor was recorded. */
  newestKey: string | null;
}

/** One ordered listing; every call reads a bounded number of items. */
export interface KeysetListing<T> {
  /** Names the listing's cursors: equal names mean equal order and filter (and owner of the items). */
  readonly name: string;
  readonly descending: boolean;
  /** Up to `limit` items after `afterKey` (null: from the start), in listing order. */
  page(afterKey: string | null, limit: number): Promise<T[]>;
  /** The sort key of an item `page` returned. */
  keyOf(item: T): string;
  /** Walks past `count` items after `afterKey` reading as little as it can: first and last key walked past, and how many. */
  skip(afterKey: string | null, count: number): Promise<{ firstKey: string | null; lastKey: string | null; skipped: number }>;
  /** Whether the listing holds an item that sorts above `key` (descending listings only ask). */
  hasAbove(key: string): Promise<boolean>;
  /** Bumped by every deletion of one of the listing's items. */
  generation(): Promise<number>;
}

export interface PageCursors {
  /** The cursor of the listing with the highest offset at or below `offset`. */
  cursorAtOrBelow(listing: string, offset: number): Promise<PageCursor | null>;
  putCursor(listing: string, cursor: PageCursor): Promise<void>;
}

async function usable<T>(listing: KeysetListing<T>, c: PageCursor | null, generation: number): Promise<PageCursor | null> {
  if (!c || c.generation !== generation) return null;
  if (listing.descending && (c.newestKey === null || (await listing.hasAbove(c.newestKey)))) return null;
  return c;
}

/** One page of a listing: the items at positions [offset, offset + limit). */
export async function keysetPage<T>(cursors: PageCursors, listing: KeysetListing<T>, offset: number, limit: number): Promise<T[]> {
  if (limit <= 0) return [];
  // Read before anything else: a deletion racing this request bumps it afterwards,
  // so a cursor computed from the pre-deletion index is recorded as already stale.
  const generation = await listing.generation();
  let afterKey: string | null = null;
  let newestKey: string | null = null;
  if (offset > 0) {
    const near = await usable(listing, await cursors.cursorAtOrBelow(listing.name, offset), generation);
    let at = 0;
    if (near) {
      at = near.offset;
      afterKey = near.afterKey;
      newestKey = near.newestKey;
    }
    if (at < offset) {
      const walked = await listing.skip(afterKey, offset - at);
      if (at === 0) newestKey = walked.firstKey;
      if (walked.skipped < offset - at || walked.lastKey === null) return [];
      afterKey = walked.lastKey;
      await cursors.putCursor(listing.name, { offset, afterKey, generation, newestKey: listing.descending ? newestKey : null });
    }
  }
  const items = await listing.page(afterKey, limit);
  const last = items.at(-1);
  if (last !== undefined) {
    const first = items[0];
    if (offset === 0 && first !== undefined) newestKey = listing.keyOf(first);
    await cursors.putCursor(listing.name, { offset: offset + items.length, afterKey: listing.keyOf(last), generation, newestKey: listing.descending ? newestKey : null });
  }
  return items;
}

/** Every item of a listing (no `limit`): read in chunks of `chunk`, in listing order. */
export async function allOfListing<T>(listing: KeysetListing<T>, offset: number, chunk = 1000): Promise<T[]> {
  const out: T[] = [];
  let afterKey: string | null = null;
  if (offset > 0) {
    const walked = await listing.skip(null, offset);
    if (walked.skipped < offset || walked.lastKey === null) return [];
    afterKey = walked.lastKey;
  }
  for (;;) {
    const got = await listing.page(afterKey, chunk);
    out.push(...got);
    const last = got.at(-1);
    if (last === undefined || got.length < chunk) return out;
    afterKey = listing.keyOf(last);
  }
}
