// A dist-git `sources` file → the tarballs it names, fetched from the DistGit instance's
// lookaside cache and checked against their hashes (what dist-git-client and rpkg do before
// building the SRPM). Runs on the host like the clone: nothing from the repository is
// executed, but every path the repository names is checked to stay inside the clone, and
// files are created exclusively, so a planted symlink cannot redirect a write.
import { createHash } from 'node:crypto';
import { createReadStream, constants as fsConstants, existsSync, lstatSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { downloadFile } from '../download.js';
import { BuildFailedError } from '../errors.js';
import { lookasideUrl, matchLookaside, repoNameParts, type LookasideInstance } from '../lookaside-config.js';
import { runLogged, type StageContext } from '../stage-context.js';

export interface SourcesEntry {
  hashtype: string;
  hash: string;
  filename: string;
}

const HASHES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/**
 * Parses a sources file: `SHA512 (name) = <hash>` lines (Fedora since 2017) and old
 * `<hash>  <name>` lines, whose hash type is the instance's default. Blank lines are skipped.
 */
export function parseSourcesFile(text: string, defaultSum: string): SourcesEntry[] {
  const out: SourcesEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter((f) => f.length > 0);
    if (fields.length === 0) return;
    let entry: SourcesEntry;
    const [a, b, c, d] = fields;
    if (fields.length === 2 && a !== undefined && b !== undefined) {
      entry = { hashtype: defaultSum.toLowerCase(), hash: a, filename: b };
    } else if (fields.length === 4 && a !== undefined && b !== undefined && c === '=' && d !== undefined && /^\(.+\)$/.test(b)) {
      entry = { hashtype: a.toLowerCase(), hash: d, filename: b.slice(1, -1) };
    } else {
      throw new BuildFailedError(`sources file line ${i + 1} is neither "SHA512 (file) = hash" nor "hash  file": ${line.trim().slice(0, 200)}`);
    }
    // Upstream keeps only the base name; a name that is still not a plain file name is refused.
    entry.filename = basename(entry.filename);
    if (entry.filename === '.' || entry.filename === '..' || entry.filename.length === 0) {
      throw new BuildFailedError(`sources file line ${i + 1}: "${entry.filename}" is not a file name`);
    }
    if (!HASHES.has(entry.hashtype)) {
      throw new BuildFailedError(`sources file line ${i + 1}: hash type ${entry.hashtype} is not supported (${[...HASHES].join(', ')})`);
    }
    if (!/^[0-9a-fA-F]+$/.test(entry.hash)) throw new BuildFailedError(`sources file line ${i + 1}: "${entry.hash}" is not a hex digest`);
    entry.hash = entry.hash.toLowerCase();
    out.push(entry);
  });
  return out;
}

async function digestOf(file: string, hashtype: string): Promise<string> {
  const h = createHash(hashtype);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `<repo>/<rel>` resolved; refuses a path that leaves the clone (also through a symlink). */
export function insideRepo(repo: string, rel: string, what: string): string {
  const path = join(repo, rel);
  const realRepo = realpathSync(repo);
  if (!existsSync(path)) return path;
  const real = realpathSync(path);
  if (real !== realRepo && !real.startsWith(`${realRepo}/`)) throw new BuildFailedError(`${what} ${rel} leaves the repository`);
  return path;
}

export interface LookasideRequest {
  /** The clone; every path below stays inside it. */
  repo: string;
  cloneUrl: string;
  /** The sources file, relative to the repository. */
  sourcesFile: string;
  /** Where the files go (the dir rpmbuild reads sources from), relative to the repository. */
  sourcesDir: string;
  /** The matched instance, or null when none serves the clone URL's host. */
  instance: LookasideInstance | null;
  /** Prefix of failure reasons ("distgit", "scm"). */
  what: string;
}

/** The instance for a clone URL from the agent's configuration. */
export function lookasideFor(ctx: StageContext, cloneUrl: string): LookasideInstance | null {
  return matchLookaside(ctx.config.distgitLookaside, cloneUrl);
}

async function currentRefspec(ctx: StageContext, repo: string): Promise<string> {
  const branch = await runLogged(ctx, ['git', '-C', repo, 'rev-parse', '--abbrev-ref', 'HEAD']);
  const name = branch.output.trim();
  if (branch.code === 0 && name !== 'HEAD' && name !== '') return name;
  return (await runLogged(ctx, ['git', '-C', repo, 'rev-parse', 'HEAD'])).output.trim();
}

/** Downloads and verifies every file of the sources file; no sources file, nothing to do. */
export async function fetchLookasideSources(ctx: StageContext, req: LookasideRequest): Promise<number> {
  const sourcesPath = insideRepo(req.repo, req.sourcesFile, `${req.what}: the sources file`);
  if (!existsSync(sourcesPath)) return 0;
  if (!lstatSync(sourcesPath).isFile()) throw new BuildFailedError(`${req.what}: ${req.sourcesFile} is not a regular file`);
  const fail = (message: string): never => {
    const reason = `${req.what}: lookaside: ${message}`;
    ctx.log(`${reason}\n`);
    throw new BuildFailedError(reason);
  };
  let entries: SourcesEntry[];
  try {
    entries = parseSourcesFile(await readFile(sourcesPath, 'utf8'), req.instance?.default_sum ?? 'md5');
  } catch (err) {
    return fail(`${req.sourcesFile}: ${(err as Error).message}`);
  }
  if (entries.length === 0) return 0;
  const destDir = insideRepo(req.repo, req.sourcesDir, `${req.what}: the sources directory`);
  await mkdir(destDir, { recursive: true });
  const { name, namespace } = repoNameParts(req.cloneUrl);
  const refspec = req.instance?.lookaside_uri_pattern.includes('{refspec}') ? await currentRefspec(ctx, req.repo) : '';
  let fetched = 0;
  for (const entry of entries) {
    const dest = join(destDir, entry.filename);
    const present = lstatSync(dest, { throwIfNoEntry: false });
    if (present) {
      // Committed next to the sources file: used as it is, if it is what the file names.
      if (!present.isFile()) fail(`${entry.filename} in the repository is not a regular file`);
      const got = await digestOf(dest, entry.hashtype);
      if (got !== entry.hash) fail(`${entry.filename} in the repository has ${entry.hashtype} ${got}, the sources file says ${entry.hash}`);
      ctx.log(`lookaside: ${entry.filename} is in the repository (${entry.hashtype} matches)\n`);
      continue;
    }
    if (!req.instance) {
      fail(`${entry.filename} is listed in ${req.sourcesFile} but no lookaside cache is configured for ${req.cloneUrl} (COPR_DISTGIT_LOOKASIDE)`);
      continue;
    }
    const url = lookasideUrl(req.instance, { name, namespace, refspec, ...entry });
    ctx.log(`lookaside (${req.instance.name}): downloading ${entry.filename} from ${url}\n`);
    // Into the agent's own dir first: the file reaches the clone only once it is verified.
    const tmp = join(ctx.metaDir, `lookaside-${fetched}-${entry.hash.slice(0, 16)}`);
    try {
      try {
        await downloadFile(url, tmp, { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
      } catch (err) {
        if (err instanceof BuildFailedError) fail(`${entry.filename}: ${err.message}`);
        throw err;
      }
      const got = await digestOf(tmp, entry.hashtype);
      if (got !== entry.hash) fail(`${entry.filename} from ${url} has ${entry.hashtype} ${got}, the sources file says ${entry.hash}`);
      await copyFile(tmp, dest, fsConstants.COPYFILE_EXCL);
    } finally {
      await rm(tmp, { force: true });
    }
    ctx.log(`lookaside: ${entry.filename} ${entry.hashtype} verified\n`);
    fetched += 1;
  }
  return fetched;
}
