import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseRepomd, rewriteRepomd, type RepomdEntry } from './repomd-entries.js';
import { headerMember, member, readLayout, splitDocument, withCount } from './spliced-gzip.js';

/**
 * The publisher's fast path for a run that only adds packages (DESIGN §3 Publish,
 * docs/publishing.md): createrepo_c reads just the new packages into a scratch
 * repository, and their `<package>` entries are appended to the live
 * primary/filelists/other files as new gzip members (spliced-gzip.ts) without
 * decompressing the old ones. createrepo_c's `--update --recycle-pkglist` would parse
 * and rewrite every old entry, which at 10,000 packages costs more than a full run.
 *
 * repomd.xml gets the new checksums, sizes and timestamps. An append drops the
 * entry's `open-checksum` (the digest of the whole uncompressed file, which cannot be
 * extended when the count at its start changes); it is optional in repomd and
 * neither dnf nor createrepo_c needs it (test/publish/repodata-append.test.ts installs
 * with dnf and runs `createrepo_c --update` on an appended repository). The next
 * createrepo_c run writes it again.
 */
export const SPLICED_TYPES = ['primary', 'filelists', 'other'] as const;
/** Entries an add leaves as they are: comps, which only a `comps` run changes. */
const KEPT_TYPES = new Set(['group', 'group_gz']);
/** Above this share of appended bytes in the body, the body is compressed again as one member. */
const MAX_APPENDED_SHARE = 0.25;

/** The metadata does not have the shape an append needs; createrepo_c rewrites it instead. */
export class NotAppendable extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotAppendable';
  }
}

export interface AppendableRepomd {
  xml: string;
  entries: Map<string, RepomdEntry>;
}

/**
 * The repomd.xml of `repodataDir` when packages can be appended to it: gzip
 * primary/filelists/other with sha256 checksums, and no entry an append would leave
 * stale (sqlite databases, zchunk files, updateinfo…). Null sends the run to createrepo_c.
 */
export async function appendableRepomd(repodataDir: string): Promise<AppendableRepomd | null> {
  const xml = await readFile(join(repodataDir, 'repomd.xml'), 'utf8').catch(() => null);
  const list = xml === null ? null : parseRepomd(xml);
  if (xml === null || !list) return null;
  const entries = new Map(list.map((e) => [e.type, e]));
  if (entries.size !== list.length) return null;
  for (const e of list) if (!KEPT_TYPES.has(e.type) && !(SPLICED_TYPES as readonly string[]).includes(e.type)) return null;
  for (const type of SPLICED_TYPES) {
    const e = entries.get(type);
    if (!e || e.checksumType !== 'sha256' || !/^repodata\/[^/]+\.xml\.gz$/.test(e.href)) return null;
  }
  return { xml, entries };
}

const fileOf = (dir: string, e: RepomdEntry) => join(dir, e.href.slice(e.href.lastIndexOf('/') + 1));

/** A byte range of an existing file, copied as it is. */
interface Range {
  path: string;
  start: number;
  end: number;
}

/**
 * Writes `parts` as `<dir>/<sha256>-<type>.xml.gz` (createrepo_c's content-addressed
 * name), hashing while writing; old bytes are streamed in chunks, never held whole.
 */
async function writeParts(dir: string, type: string, parts: ReadonlyArray<Buffer | Range>): Promise<{ checksum: string; size: number; name: string }> {
  const tmp = join(dir, `.${type}.xml.gz.tmp`);
  const hash = createHash('sha256');
  let size = 0;
  const out = await open(tmp, 'w');
  try {
    const put = async (b: Buffer) => {
      hash.update(b);
      size += b.length;
      await out.write(b);
    };
    for (const p of parts) {
      if (Buffer.isBuffer(p)) {
        await put(p);
        continue;
      }
      const src = await open(p.path, 'r');
      try {
        const chunk = Buffer.alloc(Math.min(1 << 20, Math.max(1, p.end - p.start)));
        for (let at = p.start; at < p.end; ) {
          const { bytesRead } = await src.read(chunk, 0, Math.min(chunk.length, p.end - at), at);
          if (bytesRead === 0) throw new Error(`${p.path} ended at ${at}, before ${p.end}`);
          await put(Buffer.from(chunk.subarray(0, bytesRead)));
          at += bytesRead;
        }
      } finally {
        await src.close();
      }
    }
  } finally {
    await out.close();
  }
  const checksum = hash.digest('hex');
  const name = `${checksum}-${type}.xml.gz`;
  await rename(tmp, join(dir, name));
  return { checksum, size, name };
}

function parseDocument(gz: Buffer, what: string) {
  const doc = splitDocument(gunzipSync(gz).toString('utf8'));
  if (!doc) throw new NotAppendable(`${what} is not a createrepo metadata document`);
  return doc;
}

/**
 * Rewrites createrepo_c's single-member primary/filelists/other in `repodataDir` (a
 * staging dir, before signing) into the appendable layout, so the next add is an
 * append. The uncompressed content is unchanged: open-checksum and open-size stay
 * valid. Does nothing when the repository does not qualify for appends.
 */
export async function makeAppendable(repodataDir: string): Promise<boolean> {
  const repomd = await appendableRepomd(repodataDir);
  if (!repomd) return false;
  // Every file is taken apart before any is written: a document of another shape
  // (NotAppendable) leaves createrepo_c's files as they are.
  const planned: Array<{ entry: RepomdEntry; path: string; parts: Buffer[] }> = [];
  for (const type of SPLICED_TYPES) {
    const entry = repomd.entries.get(type);
    if (!entry) return false;
    const path = fileOf(repodataDir, entry);
    if (await readLayout(path)) continue;
    const doc = parseDocument(await readFile(path), path);
    const footer = member(doc.footer);
    planned.push({ entry, path, parts: [headerMember(doc.header, { footerLength: footer.length, appended: 0 }), ...(doc.body ? [member(doc.body)] : []), footer] });
  }
  const changed = new Map<string, RepomdEntry>();
  for (const { entry, parts } of planned) {
    const written = await writeParts(repodataDir, entry.type, parts);
    changed.set(entry.type, { ...entry, checksum: written.checksum, size: written.size, href: `repodata/${written.name}` });
  }
  if (changed.size > 0) await writeFile(join(repodataDir, 'repomd.xml'), rewriteRepomd(repomd.xml, changed));
  for (const { entry, path } of planned) if (changed.get(entry.type)?.href !== entry.href) await rm(path, { force: true });
  return true;
}

export interface AppendInput {
  /** The live repodata/ (read only). */
  liveDir: string;
  /** createrepo_c's repodata/ of the new packages alone (same checksum type and base URL). */
  addedDir: string;
  /** Where the new data files and repomd.xml go (the staging dir that is swapped in). */
  outDir: string;
  /** Seconds, for `<revision>` and the changed entries' timestamps. */
  nowSec: number;
}

/** Appends the packages of `addedDir` to the live metadata; writes only the changed files and repomd.xml into `outDir`. */
export async function appendPackages(input: AppendInput): Promise<void> {
  const live = await appendableRepomd(input.liveDir);
  if (!live) throw new NotAppendable(`${input.liveDir} cannot take appended packages`);
  const addedList = parseRepomd(await readFile(join(input.addedDir, 'repomd.xml'), 'utf8'));
  if (!addedList) throw new NotAppendable(`unreadable repomd.xml in ${input.addedDir}`);
  const changed = new Map<string, RepomdEntry>();
  for (const type of SPLICED_TYPES) {
    const le = live.entries.get(type);
    const ae = addedList.find((e) => e.type === type);
    if (!le || !ae) throw new NotAppendable(`no ${type} metadata to append`);
    const added = parseDocument(await readFile(fileOf(input.addedDir, ae)), `${type} of the added packages`);
    const path = fileOf(input.liveDir, le);
    const layout = await readLayout(path);
    // Not yet in the layout (written by createrepo_c before this code existed, or by
    // another tool): its body is taken apart once here, as in makeAppendable.
    const old = layout
      ? { header: layout.headerXml, footer: layout.footerXml, packages: layout.packages, body: { path, start: layout.headerLength, end: layout.size - layout.footerLength }, appended: layout.appended }
      : await (async () => {
          const doc = parseDocument(await readFile(path), path);
          return { header: doc.header, footer: doc.footer, packages: doc.packages, body: Buffer.from(doc.body, 'utf8'), appended: 0 };
        })();
    const header = withCount(old.header, old.packages + added.packages);
    const footer = member(old.footer);
    const fresh = added.body ? member(added.body) : Buffer.alloc(0);
    let parts: Array<Buffer | Range>;
    if (Buffer.isBuffer(old.body)) {
      // Converted just now: the old body is compressed once, with the new entries.
      parts = [headerMember(header, { footerLength: footer.length, appended: 0 }), member(old.body.toString('utf8') + added.body), footer];
    } else {
      const bodyBytes = old.body.end - old.body.start + fresh.length;
      const appended = old.appended + fresh.length;
      if (appended > bodyBytes * MAX_APPENDED_SHARE || appended >= 2 ** 32) {
        // Many small members compress worse than one: recompress the body now and then,
        // which keeps the file within a quarter of its compact size at a cost spread thin.
        const text = old.body.end > old.body.start ? gunzipSync(await readRangeOf(old.body)).toString('utf8') : '';
        parts = [headerMember(header, { footerLength: footer.length, appended: 0 }), member(text + added.body), footer];
      } else {
        parts = [headerMember(header, { footerLength: footer.length, appended }), old.body, ...(fresh.length ? [fresh] : []), footer];
      }
    }
    const written = await writeParts(input.outDir, type, parts);
    const grew = Buffer.byteLength(header) - Buffer.byteLength(old.header) + Buffer.byteLength(added.body);
    const { openChecksum: _dropped, ...rest } = le;
    changed.set(type, {
      ...rest,
      checksum: written.checksum,
      size: written.size,
      href: `repodata/${written.name}`,
      timestamp: input.nowSec,
      ...(le.openSize !== undefined ? { openSize: le.openSize + grew } : {}),
    });
  }
  await writeFile(join(input.outDir, 'repomd.xml'), rewriteRepomd(live.xml, changed, input.nowSec));
}

async function readRangeOf(r: Range): Promise<Buffer> {
  const fh = await open(r.path, 'r');
  try {
    const buf = Buffer.alloc(r.end - r.start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, r.start);
    if (bytesRead !== buf.length) throw new Error(`${r.path} is shorter than its layout says`);
    return buf;
  } finally {
    await fh.close();
  }
}
