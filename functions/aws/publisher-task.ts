import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { filesUnder } from '../adapters/files-under.js';
import type { Clock, PublishLedger, PublishRepository, SigningKeyStore } from '../core/ports.js';
import type { ResultsStore } from '../core/results-store.js';
import type { GpgSigner } from '../publish/gpg-signer.js';
import type { KmsKeyStore } from '../publish/kms-key-store.js';
import { renderIndexHtml, spliceIndexHtml, type ListingChange, type ListingEntry } from '../publish/listing.js';
import { primaryHrefs } from '../publish/primary-hrefs.js';
import type { ProcessRunner } from '../publish/process-runner.js';
import { NeedsFullMirror, publishRepository } from '../publish/publish-repo.js';
import { PublishRepositoryRef, PublishRequest } from '../publish/publish-request.js';
import { drainRepository, type DrainReport } from '../publish/publish-runs.js';
import { projectOfDirname } from '../publish/signer.js';

/**
 * One publishing run in the Fargate task, on a metadata-only mirror of the
 * repository: it downloads the current `repodata/` and the added build dirs, never
 * the RPMs already published. An add appends the new builds' entries to the old
 * metadata files (publish/repodata-append.ts); other runs use `createrepo_c --update
 * --skip-stat --recycle-pkglist`, which keeps the old packages' entries from the old
 * metadata without reading their files (verified with createrepo_c 0.17). Either way a
 * run costs the new builds plus metadata, not the repository's bytes. Uploads go in reader-safe order: package files, then
 * metadata files, repomd.xml last; deleted builds go only after that.
 */
export interface PublisherTaskDeps {
  results: ResultsStore;
  /** Where the sealed key of each project is kept (functions/store/dynamo-signing-keys.ts). */
  signingKeys: SigningKeyStore;
  keys: KmsKeyStore;
  signer: GpgSigner;
  run: ProcessRunner;
  clock: Clock;
  workDir: string;
  resultsBaseUrl: string;
}

/**
 * S3 requests of one run in flight at once. Each is a round trip of tens of ms on S3;
 * one after another, the ~20 of an add would take longer than the add's own work.
 */
const S3_CONCURRENCY = 8;

/** `fn` over `items`, at most S3_CONCURRENCY at a time. */
async function eachBounded<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  const limit = pLimit(S3_CONCURRENCY);
  await Promise.all(items.map((item) => limit(() => fn(item))));
}

async function download(results: ResultsStore, mirror: string, prefix: string): Promise<number> {
  let n = 0;
  await eachBounded(await results.list(prefix), async (key) => {
    const data = await results.get(key);
    if (!data) return;
    const path = join(mirror, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
    n++;
  });
  return n;
}

/** Loads the project's sealed key into the signer, or creates and seals one (first writer wins). */
async function loadSigningKey(deps: PublisherTaskDeps, owner: string, project: string): Promise<void> {
  const found = await deps.signingKeys.getSealed(owner, project);
  if (found) {
    await deps.signer.importSecretKey(owner, project, await deps.keys.open(owner, project, found));
    return;
  }
  await deps.signer.ensureKey(owner, project);
  const sealed = await deps.keys.seal(owner, project, await deps.signer.exportSecretKey(owner, project));
  if (await deps.signingKeys.putSealedIfAbsent(owner, project, sealed)) return;
  // Another run created the key first: use that one, so every RPM has one signer.
  // close() first: it stops the agent holding our key and forgets the homedir's
  // socket redirects, which the signer re-creates only for homedirs it has not set up.
  await deps.signer.close();
  await rm(deps.signer.homedir(owner, project), { recursive: true, force: true });
  const winner = await deps.signingKeys.getSealed(owner, project);
  if (!winner) throw new Error(`signing key of ${owner}/${project} vanished after another run stored it`);
  await deps.signer.importSecretKey(owner, project, await deps.keys.open(owner, project, winner));
}

/**
 * Updates the listing of one bucket "directory" from the change: the index.html the
 * last run wrote, plus `add`, minus `remove`. One GET and one PUT whatever the
 * directory holds; only a directory without an index.html yet is listed.
 */
async function updateRemoteListing(results: ResultsStore, dirKey: string, change: ListingChange): Promise<void> {
  const index = `${dirKey}/index.html`;
  const dirPath = `/results/${dirKey}`;
  const old = await results.get(index);
  if (old) {
    await results.put(index, spliceIndexHtml(old.toString('utf8'), dirPath, change, { parentLink: true }));
    return;
  }
  const entries = new Map<string, ListingEntry>();
  for (const k of await results.list(`${dirKey}/`)) {
    const [first, ...more] = k.slice(dirKey.length + 1).split('/');
    if (!first || first === 'index.html' || first.startsWith('.')) continue;
    const isDir = (entries.get(first)?.isDir ?? false) || more.length > 0;
    entries.set(first, { name: first, isDir, size: 0, mtimeMs: 0 });
  }
  for (const name of change.remove) entries.delete(name);
  for (const e of change.add) entries.set(e.name, e);
  await results.put(index, renderIndexHtml(dirPath, [...entries.values()], { parentLink: true }));
}

/** `<build dir>/<file>.rpm` keys of a chroot (not repodata, not devel, not deeper). */
function packagePaths(chrootKey: string, keys: readonly string[]): string[] {
  return keys
    .map((k) => k.slice(chrootKey.length + 1))
    .filter((rel) => {
      const parts = rel.split('/');
      return parts.length === 2 && rel.endsWith('.rpm') && parts[0] !== 'repodata' && parts[0] !== 'devel' && !parts[0]!.startsWith('.');
    });
}

export interface PublisherTaskReport {
  /** Objects downloaded (metadata, new builds); never the packages already published. */
  downloaded: number;
  /** Whether the whole chroot had to be mirrored (no metadata to recycle). */
  wholeChroot: boolean;
}

export async function runPublisherTask(input: unknown, deps: PublisherTaskDeps): Promise<PublisherTaskReport> {
  const req = PublishRequest.parse(input);
  // One agent for the key's import and every signing of the run.
  return deps.signer.session(req.owner, projectOfDirname(req.dirname), () => publishMirrored(req, deps));
}

async function publishMirrored(req: PublishRequest, deps: PublisherTaskDeps): Promise<PublisherTaskReport> {
  const mirror = join(deps.workDir, 'mirror');
  await rm(mirror, { recursive: true, force: true });
  const chrootKey = `${req.owner}/${req.dirname}/${req.chroot}`;
  const metaDir = req.devel ? `${chrootKey}/devel/repodata` : `${chrootKey}/repodata`;
  const report: PublisherTaskReport = { downloaded: 0, wholeChroot: false };

  // The mirror's inputs and the project's signing key (KMS, then a gpg import: tens of
  // ms each) do not depend on each other: fetched at once.
  const mirrorInputs = async () => {
    // Created up front: a new chroot has neither repodata nor added builds to download.
    await mkdir(join(mirror, chrootKey), { recursive: true });
    report.downloaded += await download(deps.results, mirror, `${metaDir}/`);
    const repodataExists = await stat(join(mirror, metaDir, 'repomd.xml')).then(() => true, () => false);
    let adds = req.adds;
    let removeRpms: string[] = [];
    if (req.full && repodataExists) {
      // Regenerate: the bucket's package list against the metadata's. Only packages the
      // metadata lacks are fetched; those it lists that are gone leave it. Listing keys
      // moves no package bytes.
      const known = await primaryHrefs(join(mirror, metaDir));
      const inBucket = packagePaths(chrootKey, await deps.results.list(`${chrootKey}/`));
      const present = new Set(inBucket);
      const freshDirs = inBucket.filter((p) => !known.has(p)).map((p) => p.slice(0, p.indexOf('/')));
      adds = [...new Set([...req.adds, ...freshDirs])].sort();
      removeRpms = [...known].filter((h) => !present.has(h)).sort();
    } else if (req.full) {
      report.downloaded += await download(deps.results, mirror, `${chrootKey}/`); // no metadata to recycle: read every package once
      report.wholeChroot = true;
    }
    if (!report.wholeChroot) {
      for (const add of adds) report.downloaded += await download(deps.results, mirror, `${chrootKey}/${add}/`);
      const comps = await deps.results.get(`${chrootKey}/comps.xml`);
      if (comps) await writeFile(join(mirror, chrootKey, 'comps.xml'), comps);
    }
    return { adds, removeRpms, oldMeta: new Set(await deps.results.list(`${metaDir}/`)) };
  };
  // Both settle before anything is thrown: no key import goes on behind a failed run.
  const [inputs, key] = await Promise.allSettled([mirrorInputs(), loadSigningKey(deps, req.owner, projectOfDirname(req.dirname))]);
  if (inputs.status === 'rejected') throw inputs.reason;
  if (key.status === 'rejected') throw key.reason;
  const { adds, removeRpms, oldMeta } = inputs.value;

  const publishDeps = { resultsDir: mirror, signer: deps.signer, run: deps.run, clock: deps.clock, resultsBaseUrl: deps.resultsBaseUrl };
  try {
    await publishRepository({ ...req, adds }, { ...publishDeps, partialMirror: report.wholeChroot ? undefined : { removeRpms } });
  } catch (err) {
    if (!(err instanceof NeedsFullMirror)) throw err;
    // Metadata listing a package with its pre-signing checksum: only a scan fixes it.
    report.downloaded += await download(deps.results, mirror, `${chrootKey}/`);
    report.wholeChroot = true;
    await publishRepository({ ...req, adds, full: true }, publishDeps);
  }

  const upload = async (rel: string) => deps.results.put(rel, await readFile(join(mirror, rel)));
  // 1. packages of the added builds (now signed) and their listings
  const addedDirs: string[] = [];
  for (const add of adds) {
    const files = await filesUnder(mirror, join(mirror, chrootKey, add));
    if (files.length > 0) addedDirs.push(add);
    await eachBounded(files, upload);
  }
  // 2. metadata data files, then the signature, then repomd.xml itself
  const meta = await filesUnder(mirror, join(mirror, metaDir));
  const repomd = `${metaDir}/repomd.xml`;
  await eachBounded(meta.filter((m) => m !== repomd && !m.endsWith('repomd.xml.asc')), upload);
  if (meta.includes(`${repomd}.asc`)) await upload(`${repomd}.asc`);
  if (meta.includes(repomd)) await upload(repomd);
  const pubkey = `${req.owner}/${req.dirname}/pubkey.gpg`;
  const pubkeyStat = await stat(join(mirror, pubkey)).catch(() => null);
  if (pubkeyStat) await upload(pubkey);
  // 3. only now: old metadata files no longer referenced, and deleted builds
  await eachBounded([...oldMeta].filter((old) => !meta.includes(old)), (old) => deps.results.deletePrefix(old));
  await eachBounded(req.deletes, (del) => deps.results.deletePrefix(`${chrootKey}/${del}/`));
  // 4. listings of the chroot and project dirs (independent objects), updated from what this run changed
  const now = deps.clock.now();
  const dir = (name: string): ListingEntry => ({ name, isDir: true, size: 0, mtimeMs: now });
  await Promise.all([
    updateRemoteListing(deps.results, chrootKey, { add: [...addedDirs.map(dir), dir(req.devel ? 'devel' : 'repodata')], remove: req.deletes }),
    updateRemoteListing(deps.results, `${req.owner}/${req.dirname}`, {
      add: [dir(req.chroot), ...(pubkeyStat ? [{ name: 'pubkey.gpg', isDir: false, size: pubkeyStat.size, mtimeMs: now }] : [])],
      remove: [],
    }),
  ]);
  return report;
}

export interface PublisherContainerInput {
  /** $PUBLISH_REPOSITORY: the repository JSON the trigger put in the container override. */
  repository: string;
  /** $PUBLISH_LEASE_HOLDER: the lease the trigger took for this run. */
  holder: string;
  ledger: PublishLedger;
  leaseMs: number;
  log?: (msg: string) => void;
}

/**
 * What the container does (functions/handlers/publisher-task.ts): publish the
 * repository's pending ledger entries, merged, under the trigger's lease, until
 * none is left (functions/publish/publish-runs.ts).
 */
export async function publishFromLedger(input: PublisherContainerInput, deps: PublisherTaskDeps): Promise<DrainReport> {
  const repo: PublishRepository = PublishRepositoryRef.parse(JSON.parse(input.repository));
  return drainRepository(
    { ledger: input.ledger, clock: deps.clock, publish: async (req) => void (await runPublisherTask(req, deps)), leaseMs: input.leaseMs, log: input.log },
    repo,
    input.holder,
    { acquire: false },
  );
}
