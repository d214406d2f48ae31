import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '../../functions/core/build-model.js';
import { buildPage, type BuildListing } from '../../functions/core/build-pages.js';
import { newBuild, newBuildChroot } from '../../functions/core/builds.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ReadMeter } from '../../functions/store/read-meter.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/**
 * build/list keyset pages (functions/core/build-pages.ts) against DynamoDB Local:
 * every page equals the slice of the fully sorted list, whichever way it is reached,
 * and a page's reads do not grow with its offset (counted by a ReadMeter, not timed).
 */
const OWNER = 'alice';
const PROJECT = 'pages';
const COUNT = 130;
const PKGS = ['alpha', 'beta', 'gamma'];

let meter: ReadMeter;
let builds: DynamoBuildStore;
let ids: number[];

function listing(over: Partial<BuildListing> = {}): BuildListing {
  return { ownername: OWNER, projectname: PROJECT, projectId: 7, packageName: null, descending: false, ...over };
}

/** What the in-memory pagination answered: the project's builds sorted, then sliced. */
async function expected(l: BuildListing, offset: number, limit: number): Promise<number[]> {
  const all = (await builds.listProjectBuilds(OWNER, PROJECT)).filter((b) => l.packageName === null || b.package_name === l.packageName);
  const sorted = all.map((b) => b.id).sort((a, b) => (l.descending ? b - a : a - b));
  return sorted.slice(offset, offset + limit);
}

const idsOf = (bs: Build[]) => bs.map((b) => b.id);

/** Pages forward from 0 as copr-cli does, until an empty page. */
async function pageThrough(l: BuildListing, limit: number): Promise<{ pages: number[][]; reads: number[] }> {
  const pages: number[][] = [];
  const reads: number[] = [];
  meter.take();
  for (let offset = 0; ; offset += limit) {
    const page = idsOf(await buildPage(builds.pages, l, offset, limit));
    reads.push(meter.take().itemsRead);
    if (page.length === 0) break;
    pages.push(page);
  }
  return { pages, reads };
}

beforeAll(async () => {
  meter = new ReadMeter(process.env.DYNAMODB_ENDPOINT ?? '');
  const table = `pages-${randomUUID()}`;
  await ensureTable(meter.db, table);
  builds = new DynamoBuildStore(meter.db, table);
  // Ids with gaps (other projects' builds in between), packages interleaved, one not yet known.
  ids = Array.from({ length: COUNT }, (_, i) => 10 + i * 3);
  await builds.seedBuilds(
    ids.map((id, i) => ({
      build: newBuild(id, OWNER, PROJECT, { package_name: i === 5 ? null : (PKGS[i % PKGS.length] ?? null), submitted_on: 1_700_000_000 + i }),
      chroots: [newBuildChroot(id, 'fedora-40-x86_64', 'succeeded')],
    })),
  );
});

describe('build/list keyset pages', { timeout: 120_000 }, () => {
  it('pages forward in both orders and per package exactly like slicing the sorted list', async () => {
    for (const l of [listing(), listing({ descending: true }), listing({ packageName: 'beta' }), listing({ packageName: 'beta', descending: true })]) {
      for (const limit of l.packageName === null ? [7, 50, 1000] : [3, 1000]) {
        const { pages } = await pageThrough(l, limit);
        const all = await expected(l, 0, 100_000);
        expect(pages.flat()).toEqual(all);
        for (const [i, page] of pages.entries()) expect(page).toEqual(all.slice(i * limit, (i + 1) * limit));
      }
    }
  }, 180_000);

  it('answers a deep offset jumped to with no cursor, and a limit of 0 or past the end with nothing', async () => {
    const l = listing({ projectId: 8 });
    expect(idsOf(await buildPage(builds.pages, l, 117, 5))).toEqual(await expected(l, 117, 5));
    expect(idsOf(await buildPage(builds.pages, l, 60, 10))).toEqual(await expected(l, 60, 10));
    expect(idsOf(await buildPage(builds.pages, l, 125, 100))).toEqual(await expected(l, 125, 100));
    expect(await buildPage(builds.pages, l, COUNT, 10)).toEqual([]);
    expect(await buildPage(builds.pages, l, COUNT + 500, 10)).toEqual([]);
    expect(await buildPage(builds.pages, l, 3, 0)).toEqual([]);
    const d = listing({ projectId: 8, descending: true });
    expect(idsOf(await buildPage(builds.pages, d, 99, 4))).toEqual(await expected(d, 99, 4));
  });

  it('reads the same number of items for the last page as for the first', async () => {
    const limit = 10;
    for (const l of [listing({ projectId: 9 }), listing({ projectId: 9, descending: true })]) {
      const { reads } = await pageThrough(l, limit);
      const full = reads.slice(0, -2); // the last two pages are short or empty
      // Page 0: the generation and the page; later pages add the cursor (and, newest first, a newer-build probe).
      expect(full[0]).toBe(limit);
      for (const r of full.slice(1)) expect(r).toBe(full[1]);
      expect(full[1]).toBeLessThanOrEqual(limit + 2);
      expect(Math.max(...reads)).toBeLessThanOrEqual(limit + 2);
    }
  });

  it('walks to an unseen deep offset once; the same offset afterwards costs one page', async () => {
    const l = listing({ projectId: 10 });
    const want = await expected(l, 120, 5);
    meter.take();
    await buildPage(builds.pages, l, 120, 5);
    expect(meter.take().itemsRead).toBeGreaterThanOrEqual(120);
    expect(idsOf(await buildPage(builds.pages, l, 120, 5))).toEqual(want);
    expect(meter.take().itemsRead).toBeLessThanOrEqual(5 + 2);
    // From the nearest cursor below: 10 more keys, not 128.
    await buildPage(builds.pages, l, 125, 5);
    expect(meter.take().itemsRead).toBeLessThanOrEqual(5 + 5 + 2);
  });

  it('drops its cursors when a build is deleted, and a newest-first cursor when a newer build arrives', async () => {
    const l = listing({ projectId: 11 });
    const d = listing({ projectId: 11, descending: true });
    await pageThrough(l, 20);
    await pageThrough(d, 20);
    await builds.deleteBuild(ids[3] ?? 0); // before every cursor: all of them would be off by one
    for (const offset of [20, 40, 100]) expect(idsOf(await buildPage(builds.pages, l, offset, 20))).toEqual(await expected(l, offset, 20));
    await pageThrough(d, 20);
    const newest = (ids.at(-1) ?? 0) + 1000;
    await builds.seedBuilds([{ build: newBuild(newest, OWNER, PROJECT, { package_name: 'alpha' }), chroots: [] }]);
    for (const offset of [20, 40, 100]) expect(idsOf(await buildPage(builds.pages, d, offset, 20))).toEqual(await expected(d, offset, 20));
    // Oldest first, the new build is simply at the end: the cursors still hold.
    const want = await expected(l, 120, 20);
    meter.take();
    expect(idsOf(await buildPage(builds.pages, l, 120, 20))).toEqual(want);
    expect(meter.take().itemsRead).toBeLessThanOrEqual(20 + 2);
  });
});
