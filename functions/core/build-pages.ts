import type { Build } from './build-model.js';

/**
 * `build/list` with `limit`/`offset` served from the project-builds index instead of
 * reading the whole project (issue 14). DynamoDB cannot skip to the n-th item of an
 * index, so an offset is turned into a keyset cursor:
 *
 * - every page served records a cursor for the offset right after it ("offset X
 *   starts after build id N"), so the next page of a client that pages forward, as
 *   copr-cli and python-copr do, is one cursor read plus one `Query` of `limit`
 *   items: the same cost at offset 0 and at offset 49,900;
 * - an offset with no cursor (a client jumping deep) starts from the nearest cursor
 *   below it and walks the index reading keys only, then records the cursor, so the
 *   walk is paid once, not per request;
 * - a cursor is trusted only while it cannot have moved: deleting a build bumps the
 *   project's list generation (every older cursor is dropped), and a newest-first
 *   cursor also dies when a newer build of the listing exists. New builds get higher
 *   ids, so they never move an oldest-first cursor.
 */

/** A range of the project-builds index: one project's builds, maybe of one package, in id order. */
export interface BuildRange {
  ownername: string;
  projectname: string;
  /** Only builds of this package (`packagename=`), or all. */
  packageName: string | null;
  /** Newest first (`order_type=DESC`). */
  descending: boolean;
}

/** A range that pages by offset: its cursors belong to one project id. */
export interface BuildListing extends BuildRange {
  /** The project's id: cursors of a deleted and re-created project never mix. */
  projectId: number;
}

export interface PageCursor {
  /** The listing position this cursor starts at. */
  offset: number;
  /** The build just before `offset` in listing order. */
  afterId: number;
  /** The project's list generation when the cursor was recorded. */
  generation: number;
  /** Newest-first listings: the newest build id when the cursor was recorded. */
  newestId: number | null;
}

/** What the pages need of the store; every call reads a bounded number of items. */
export interface BuildPageIndex {
  /** Up to `limit` builds of the listing after `afterId` (null: from its start), in listing order. */
  page(range: BuildRange, afterId: number | null, limit: number): Promise<Build[]>;
  /**
   * Walks past `count` builds after `afterId` reading index keys only: the id of the
   * first and the last build walked past, and how many there were (fewer at the end).
   */
  skip(range: BuildRange, afterId: number | null, count: number): Promise<{ firstId: number | null; lastId: number | null; skipped: number }>;
  /** Whether the listing holds a build newer than `id`. */
  hasNewer(range: BuildRange, id: number): Promise<boolean>;
  /** The project's list generation (bumped by every build deletion). */
  generation(ownername: string, projectname: string): Promise<number>;
  /** The cursor with the highest offset at or below `offset`. */
  cursorAtOrBelow(listing: BuildListing, offset: number): Promise<PageCursor | null>;
  putCursor(listing: BuildListing, cursor: PageCursor): Promise<void>;
  /** The directories other than the project's own that builds were submitted to, by name. */
  projectDirs(ownername: string, projectname: string): Promise<string[]>;
}

async function usable(idx: BuildPageIndex, listing: BuildListing, c: PageCursor | null, generation: number): Promise<PageCursor | null> {
  if (!c || c.generation !== generation) return null;
  if (listing.descending && (c.newestId === null || (await idx.hasNewer(listing, c.newestId)))) return null;
  return c;
}

/** One page of a listing: builds at positions [offset, offset + limit). */
export async function buildPage(idx: BuildPageIndex, listing: BuildListing, offset: number, limit: number): Promise<Build[]> {
  if (limit <= 0) return [];
  // Read before anything else: a deletion racing this request bumps it afterwards,
  // so a cursor computed from the pre-deletion index is recorded as already stale.
  const generation = await idx.generation(listing.ownername, listing.projectname);
  let afterId: number | null = null;
  let newestId: number | null = null;
  if (offset > 0) {
    const near = await usable(idx, listing, await idx.cursorAtOrBelow(listing, offset), generation);
    let at = 0;
    if (near) {
      at = near.offset;
      afterId = near.afterId;
      newestId = near.newestId;
    }
    if (at < offset) {
      const walked = await idx.skip(listing, afterId, offset - at);
      if (at === 0) newestId = walked.firstId;
      if (walked.skipped < offset - at || walked.lastId === null) return [];
      afterId = walked.lastId;
      await idx.putCursor(listing, { offset, afterId, generation, newestId });
    }
  }
  const builds = await idx.page(listing, afterId, limit);
  const last = builds.at(-1);
  if (last) {
    if (offset === 0) newestId = builds[0]?.id ?? null;
    await idx.putCursor(listing, { offset: offset + builds.length, afterId: last.id, generation, newestId: listing.descending ? newestId : null });
  }
  return builds;
}
