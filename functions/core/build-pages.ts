import type { Build, BuildState } from './build-model.js';
import { keysetPage, type KeysetListing, type PageCursors } from './keyset-pages.js';

/**
 * `build/list` pages over the project-builds index (issue 14), by the shared keyset
 * cursors of functions/core/keyset-pages.ts: a page reads `limit` build items
 * whatever its offset, and each build item carries its chroots' summary, so a page
 * needs no other read. `status=` is a filter on the state derived from that summary:
 * its cursors count matching builds, and a page reads until `limit` matched.
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

/** What the pages need of the store; every call reads a bounded number of items. */
export interface BuildPageIndex {
  /** Up to `limit` builds of the range after `afterId` (null: from its start), in range order. */
  page(range: BuildRange, afterId: number | null, limit: number): Promise<Build[]>;
  /** The listing as keyset pages see it, only builds in `status` when given. */
  listing(listing: BuildListing, status: BuildState | null): KeysetListing<Build>;
  readonly cursors: PageCursors;
  /** The directories other than the project's own that builds were submitted to, by name. */
  projectDirs(ownername: string, projectname: string): Promise<string[]>;
}

/** One page of a listing: builds at positions [offset, offset + limit). */
export function buildPage(idx: BuildPageIndex, listing: BuildListing, offset: number, limit: number, status: BuildState | null = null): Promise<Build[]> {
  return keysetPage(idx.cursors, idx.listing(listing, status), offset, limit);
}
