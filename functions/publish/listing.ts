import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ListingEntry {
  name: string;
  isDir: boolean;
  size: number;
  mtimeMs: number;
}

const INDEX = 'index.html';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function humanSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** localeCompare's order, with one collator instead of one per comparison (10,000-entry listings). */
const byName = new Intl.Collator();

/** Listing order: directories first, then by name. */
const listingOrder = (a: Pick<ListingEntry, 'name' | 'isDir'>, b: Pick<ListingEntry, 'name' | 'isDir'>): number =>
  a.isDir === b.isDir ? byName.compare(a.name, b.name) : a.isDir ? -1 : 1;

/** One entry's table row. */
function renderRow(e: ListingEntry): string {
  const href = encodeURIComponent(e.name) + (e.isDir ? '/' : '');
  const label = escapeHtml(e.name) + (e.isDir ? '/' : '');
  const when = new Date(e.mtimeMs).toISOString().replace('T', ' ').slice(0, 19);
  const size = e.isDir ? '-' : `<span title="${e.size} bytes">${humanSize(e.size)}</span>`;
  return `<tr><td><a href="${href}">${label}</a></td><td>${when}</td><td>${size}</td></tr>`;
}

/** The page around rows already in listing order. */
function renderPage(dirPath: string, rows: readonly string[], opts: { parentLink?: boolean }): string {
  const title = `Index of ${escapeHtml(dirPath)}`;
  const parent = opts.parentLink === false ? '' : '<tr><td><a href="../">../</a></td><td></td><td></td></tr>\n';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${title}</title></head>`,
    '<body>',
    `<h1>${title}</h1>`,
    '<table>',
    '<thead><tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr></thead>',
    `<tbody>\n${parent}${rows.join('\n')}\n</tbody>`,
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Renders a browsable directory listing. Links are relative and percent-encoded (a
 * name like `proj:pr:1` would otherwise read as a URL scheme), directories end in `/`
 * so `wget -r --no-parent` (copr-cli download-build) descends into them.
 */
export function renderIndexHtml(dirPath: string, entries: readonly ListingEntry[], opts: { parentLink?: boolean } = {}): string {
  return renderPage(dirPath, [...entries].sort(listingOrder).map(renderRow), opts);
}

const ROW = /<tr><td><a href="([^"]+)">[^<]*<\/a><\/td><td>([^<]*)<\/td><td>(.*?)<\/td><\/tr>/g;

/** A row of a listing as written: its entry's name and kind, and the row itself. */
interface Row {
  name: string;
  isDir: boolean;
  html: string;
  match: RegExpMatchArray;
}

/** The rows of a listing `renderIndexHtml` wrote, in its order, without the parent link. */
function listingRows(html: string): Row[] {
  const out: Row[] = [];
  for (const m of html.matchAll(ROW)) {
    const href = m[1] ?? '';
    if (href === '../') continue;
    const isDir = href.endsWith('/');
    try {
      out.push({ name: decodeURIComponent(isDir ? href.slice(0, -1) : href), isDir, html: m[0], match: m });
    } catch {
      // not a link this module wrote
    }
  }
  return out;
}

/**
 * The entries of a listing `renderIndexHtml` wrote (the parent link left out), so a
 * listing can be read back without listing the directory again.
 */
export function parseIndexHtml(html: string): ListingEntry[] {
  return listingRows(html).map(({ name, isDir, match }) => {
    const when = Date.parse(`${(match[2] ?? '').replace(' ', 'T')}Z`);
    const size = Number(/title="(\d+) bytes"/.exec(match[3] ?? '')?.[1] ?? 0);
    return { name, isDir, size, mtimeMs: Number.isNaN(when) ? 0 : when };
  });
}

/** What changed in a directory since its listing was written. */
export interface ListingChange {
  /** New or changed entries (a row of the same name is replaced). */
  add: readonly ListingEntry[];
  /** Names gone. */
  remove: readonly string[];
}

/**
 * A listing updated from a change without rendering the rows that stay: those are
 * copied as written, and only the added ones are rendered, each put in its place in
 * listing order. An add to a 10,000-entry chroot listing then costs one scan of the
 * old page, not 10,000 rows sorted and rendered again.
 */
function spliceRows(rows: readonly Row[], dirPath: string, change: ListingChange, opts: { parentLink?: boolean }): string {
  const drop = new Set([...change.remove, ...change.add.map((e) => e.name)]);
  const out: Pick<Row, 'name' | 'isDir' | 'html'>[] = drop.size > 0 ? rows.filter((r) => !drop.has(r.name)) : [...rows];
  for (const e of [...change.add].sort(listingOrder)) {
    // The first row that sorts after `e` (rows are in listing order): binary search.
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const row = out[mid];
      if (row && listingOrder(row, e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, { name: e.name, isDir: e.isDir, html: renderRow(e) });
  }
  return renderPage(dirPath, out.map((r) => r.html), opts);
}

/** `oldHtml`, a listing `renderIndexHtml` wrote, updated from `change`. */
export function spliceIndexHtml(oldHtml: string, dirPath: string, change: ListingChange, opts: { parentLink?: boolean } = {}): string {
  return spliceRows(listingRows(oldHtml), dirPath, change, opts);
}

/** Hidden files (staging dirs, pkglists) and index.html itself are never listed. */
const listed = (name: string): boolean => !name.startsWith('.') && name !== INDEX;

/** One entry as it stands on disk; null when it was removed meanwhile (a concurrent delete). */
async function statEntry(absDir: string, name: string): Promise<ListingEntry | null> {
  try {
    const s = await stat(join(absDir, name));
    return { name, isDir: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return null;
  }
}

/** Entries of a directory as listed. */
export async function readListingEntries(absDir: string): Promise<ListingEntry[]> {
  const out: ListingEntry[] = [];
  for (const d of await readdir(absDir, { withFileTypes: true })) {
    const entry = listed(d.name) ? await statEntry(absDir, d.name) : null;
    if (entry) out.push(entry);
  }
  return out;
}

/**
 * The listing of `absDir` updated from its previous index.html: names are read from
 * the directory (cheap), but only new names and `touched` ones are stat-ed and
 * rendered; the other rows are copied as written (spliceRows). A chroot dir holds a
 * build dir per build: stat-ing or rendering 10,000 of them on every publish cost
 * more than the rest of an add. Null when there is no previous listing to start from.
 */
async function updatedListing(absDir: string, dirPath: string, touched: ReadonlySet<string>): Promise<string | null> {
  const html = await readFile(join(absDir, INDEX), 'utf8').catch(() => null);
  if (html === null) return null;
  const rows = listingRows(html);
  const present = new Map<string, boolean>();
  for (const d of await readdir(absDir, { withFileTypes: true })) if (listed(d.name)) present.set(d.name, d.isDirectory());
  const kept = new Set(rows.filter((r) => present.get(r.name) === r.isDir && !touched.has(r.name)).map((r) => r.name));
  const remove = rows.filter((r) => !kept.has(r.name)).map((r) => r.name);
  const add: ListingEntry[] = [];
  for (const name of present.keys()) {
    const entry = kept.has(name) ? null : await statEntry(absDir, name);
    if (entry) add.push(entry);
  }
  return spliceRows(rows, dirPath, { add, remove }, {});
}

async function writeOne(root: string, segments: readonly string[], touched?: ReadonlySet<string>): Promise<void> {
  const abs = join(root, ...segments);
  const dirPath = `/${segments.join('/')}/`;
  const html = (touched && (await updatedListing(abs, dirPath, touched))) || renderIndexHtml(dirPath, await readListingEntries(abs));
  // Write then rename: a reader gets the old or the new listing, never half of one.
  const tmp = join(abs, `.index.html.${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, html, { mode: 0o644 });
  await rename(tmp, join(abs, INDEX));
}

function splitRel(relDir: string): string[] {
  const segs = relDir.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.some((s) => s === '..')) throw new Error(`relDir must stay inside root: ${relDir}`);
  if (segs.length < 2) throw new Error(`relDir must be at least <owner>/<dirname>: ${relDir}`);
  return segs;
}

/**
 * (Re)writes index.html in `root/relDir` and each parent up to `root/<owner>/<dirname>`.
 * `root` is the results root; `relDir` starts with `<owner>/<dirname>`.
 */
export async function writeListings(root: string, relDir: string, opts: { touched?: readonly string[] } = {}): Promise<void> {
  const segs = splitRel(relDir);
  for (let n = segs.length; n >= 2; n -= 1) {
    // With `touched` (the names this publish changed), each parent is updated from its
    // previous listing, the child on the path touched; `relDir` itself is listed whole.
    const touched = opts.touched && n < segs.length ? new Set([...opts.touched, segs[n] ?? '']) : undefined;
    await writeOne(root, segs.slice(0, n), touched);
  }
}

/**
 * Like writeListings, plus every directory below `relDir` (a new build's result dir).
 * `parents: false` leaves the parents to the caller (one writeListings for many build dirs).
 */
export async function writeListingsTree(root: string, relDir: string, opts: { parents?: boolean } = {}): Promise<void> {
  const segs = splitRel(relDir);
  const walk = async (s: string[]): Promise<void> => {
    for (const d of await readdir(join(root, ...s), { withFileTypes: true })) {
      if (d.isDirectory() && !d.name.startsWith('.')) await walk([...s, d.name]);
    }
    await writeOne(root, s);
  };
  await walk(segs);
  if (segs.length > 2 && opts.parents !== false) await writeListings(root, segs.slice(0, -1).join('/'));
}
