import { randomBytes } from 'node:crypto';
import { access, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../core/ports.js';
import { createrepoArgs, isFullRun, legacyChecksums } from './createrepo.js';
import { listedAmong } from './primary-hrefs.js';
import { appendableRepomd, appendPackages, makeAppendable, NotAppendable } from './repodata-append.js';
import { writeListings, writeListingsTree } from './listing.js';
import type { ProcessRunner } from './process-runner.js';
import { PublishRequest, type PublishRequestInput } from './publish-request.js';
import { swapInRepodata } from './repodata-swap.js';
import { rpmsNotSignedBy } from './rpm-signatures.js';
import { projectOfDirname, type Signer } from './signer.js';

export interface PublishDeps {
  /** Local root of `results/` (`<resultsDir>/<owner>/<dirname>/<chroot>/...`). */
  resultsDir: string;
  signer: Signer;
  run: ProcessRunner;
  clock: Clock;
  /** Public `<BACKEND_BASE_URL>/results`, needed only for devel repositories. */
  resultsBaseUrl?: string;
  /**
   * The chroot dir is a partial mirror (the AWS publisher's): it holds the repodata
   * and the builds the request adds, not the packages already published. Those are
   * kept from the old metadata and never re-scanned, so even `full` and `comps`
   * runs recycle the package list; `removeRpms` (paths below the chroot dir) leave
   * it. Needs existing repodata: without it the caller mirrors the whole chroot.
   */
  partialMirror?: { removeRpms: readonly string[] };
}

/** A partial mirror cannot fix metadata that lists a package with its pre-signing checksum. */
export class NeedsFullMirror extends Error {
  constructor(what: string) {
    super(`publishing ${what} needs the whole chroot: its metadata lists packages signed only now`);
    this.name = 'NeedsFullMirror';
  }
}

export interface PublishOutcome {
  /** Whether createrepo_c ran (false: nothing to add or delete). */
  createrepoRan: boolean;
  /** RPMs that were signed by this run. */
  signed: string[];
  /** Requested adds whose directory did not exist (deleted meanwhile); ignored. */
  missingAdds: string[];
  /** Build subdirs removed from disk. */
  removed: string[];
  finishedAt: number;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function rpmsIn(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.endsWith('.rpm'))
    .map((d) => d.name)
    .sort();
}

/**
 * One publishing run for `<owner>/<dirname>/<chroot>` (spec §4.9, DESIGN §3 Publish).
 * Callers must serialize runs per repository (the publish ledger's lease, publish/publish-runs.ts).
 * Order matters and is the point of this function:
 * sign → new metadata into staging (appended, or createrepo_c) → sign repomd.xml → swap in → pubkey → remove
 * deleted builds → listings. Deleted builds disappear from disk only after the
 * metadata that no longer names them is live.
 */
export async function publishRepository(input: PublishRequestInput, deps: PublishDeps): Promise<PublishOutcome> {
  const req = PublishRequest.parse(input);
  const run = () => publishParsed(req, deps);
  return deps.signer.session ? deps.signer.session(req.owner, projectOfDirname(req.dirname), run) : run();
}

async function publishParsed(req: PublishRequest, deps: PublishDeps): Promise<PublishOutcome> {
  const projectDir = join(deps.resultsDir, req.owner, req.dirname);
  const chrootDir = join(projectDir, req.chroot);
  const project = projectOfDirname(req.dirname);
  await mkdir(chrootDir, { recursive: true });

  const key = await deps.signer.ensureKey(req.owner, project);

  // 1. Sign what the builders uploaded (only packages not yet signed by this key).
  const adds: string[] = [];
  const missingAdds: string[] = [];
  const pkglist: string[] = [];
  const toSign: string[] = [];
  for (const sub of req.adds) {
    const dir = join(chrootDir, sub);
    if (!(await exists(dir))) {
      missingAdds.push(sub);
      continue;
    }
    adds.push(sub);
    const rpms = await rpmsIn(dir);
    pkglist.push(...rpms.map((r) => `${sub}/${r}`));
    toSign.push(...rpms.map((r) => join(dir, r)));
  }
  const signed = await rpmsNotSignedBy(deps.run, toSign, key.fingerprint);
  await deps.signer.signRpms(req.owner, project, signed);

  // 2. New metadata, written into a staging dir inside the chroot dir (same filesystem).
  const repoRoot = req.devel ? join(chrootDir, 'devel') : chrootDir;
  const liveRepodata = join(repoRoot, 'repodata');
  const repodataExists = await exists(join(liveRepodata, 'repomd.xml'));
  // A package the metadata already lists that was signed only now (a regenerate scan
  // took it before its own publish) is listed there with its old checksum, and
  // --recycle-pkglist would list it twice: re-read the directory instead (full, stat).
  const known = repodataExists ? await listedAmong(liveRepodata, pkglist) : new Set<string>();
  const justSigned = new Set(signed);
  const stale = pkglist.some((e) => known.has(e) && justSigned.has(join(chrootDir, e)));
  const partial = deps.partialMirror && repodataExists ? deps.partialMirror : undefined;
  if (partial && stale) throw new NeedsFullMirror(`${req.owner}/${req.dirname}/${req.chroot}`);
  if (req.devel && !deps.resultsBaseUrl) throw new Error('devel publishing needs resultsBaseUrl');
  const staging = join(chrootDir, `.publish-${randomBytes(6).toString('hex')}`);
  const common = {
    chrootDir,
    chroot: req.chroot,
    owner: req.owner,
    dirname: req.dirname,
    devel: req.devel,
    resultsBaseUrl: deps.resultsBaseUrl ?? '',
    pkglistPath: join(staging, 'pkglist'),
    // createrepo_c's checksum cache, inside the (never served) dot-dir of the results
    // root instead of upstream's /tmp, so it neither litters nor leaks between services.
    cachedir: join(deps.resultsDir, '.createrepo-cache'),
  };
  let createrepoRan = false;
  let appended = false;

  // 2a. A run that only adds packages the metadata lacks: append their entries
  // (repodata-append.ts). Packages it lists already are not added again. Metadata of
  // a shape the append does not expect goes to createrepo_c (2b), which rewrites it.
  const onlyAdds = !req.full && req.comps !== true && req.deletes.length === 0 && (partial?.removeRpms.length ?? 0) === 0;
  if (repodataExists && onlyAdds && !stale && !legacyChecksums(req.chroot) && (await appendableRepomd(liveRepodata))) {
    const fresh = pkglist.filter((e) => !known.has(e));
    appended = true;
    if (fresh.length > 0) {
      const scratch = join(staging, 'added');
      const args = createrepoArgs({ ...common, adds, deletes: [], full: false, repodataExists: false, compsExists: false, outputDir: scratch });
      if (!args) throw new Error('createrepo_c of the added packages was skipped');
      await mkdir(join(staging, 'repodata'), { recursive: true });
      await mkdir(scratch);
      try {
        await writeFile(common.pkglistPath, fresh.map((l) => `${l}\n`).join(''));
        await deps.run.run('createrepo_c', args);
        createrepoRan = true;
        const stagedRepodata = join(staging, 'repodata');
        await appendPackages({ liveDir: liveRepodata, addedDir: join(scratch, 'repodata'), outDir: stagedRepodata, nowSec: Math.floor(deps.clock.now() / 1000) });
        await deps.signer.signDetached(req.owner, project, join(stagedRepodata, 'repomd.xml'));
        await swapInRepodata(stagedRepodata, liveRepodata);
      } catch (err) {
        if (!(err instanceof NotAppendable)) throw err;
        appended = false;
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    }
  }

  // 2b. Anything else: createrepo_c into a staging dir inside the chroot dir (same filesystem).
  const plan = {
    ...common,
    adds,
    deletes: req.deletes,
    full: partial ? false : req.full || req.comps === true || stale,
    force: partial ? req.full || req.comps === true : false,
    rpmsToRemove: partial?.removeRpms ?? [],
    doStat: stale,
    repodataExists,
    compsExists: await exists(join(chrootDir, 'comps.xml')),
    outputDir: staging,
  };
  const args = appended ? null : createrepoArgs(plan);
  if (args) {
    await mkdir(staging, { recursive: true });
    try {
      if (repodataExists) {
        // --update reads the old metadata from the output dir: give it a copy (metadata
        // only; the packages are not touched). The signature is regenerated below.
        await mkdir(join(staging, 'repodata'));
        for (const f of await readdir(liveRepodata)) {
          if (f === 'repomd.xml.asc' || f === 'index.html' || f.startsWith('.')) continue;
          await copyFile(join(liveRepodata, f), join(staging, 'repodata', f));
        }
      }
      if (!isFullRun(plan)) await writeFile(plan.pkglistPath, pkglist.map((l) => `${l}\n`).join(''));
      await deps.run.run('createrepo_c', args);
      createrepoRan = true;
      const stagedRepodata = join(staging, 'repodata');
      // Written once here, so the next add appends instead of running createrepo_c.
      await makeAppendable(stagedRepodata).catch((err: unknown) => {
        if (!(err instanceof NotAppendable)) throw err;
      });
      await deps.signer.signDetached(req.owner, project, join(stagedRepodata, 'repomd.xml'));
      await swapInRepodata(stagedRepodata, liveRepodata);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  // 3. The public key next to the repositories (`gpgkey=<repo_url>/pubkey.gpg`).
  await writeIfChanged(join(projectDir, 'pubkey.gpg'), key.publicKeyArmored);

  // 4. Only now that no live metadata names them, remove deleted builds.
  const removed: string[] = [];
  for (const sub of req.deletes) {
    const dir = join(chrootDir, sub);
    if (await exists(dir)) {
      await rm(dir, { recursive: true, force: true });
      removed.push(sub);
    }
  }

  // 5. Browsable listings for what changed, up to <owner>/<dirname>.
  const rel = (...p: string[]) => [req.owner, req.dirname, req.chroot, ...p].join('/');
  // The build dirs' own trees are listed whole; the chroot dir and its parents once,
  // from their previous listings with the names this run changed.
  for (const sub of adds) await writeListingsTree(deps.resultsDir, rel(sub), { parents: false });
  const touched = { touched: [...adds, ...req.deletes] };
  if (await exists(liveRepodata)) await writeListings(deps.resultsDir, req.devel ? rel('devel', 'repodata') : rel('repodata'), touched);
  else await writeListings(deps.resultsDir, rel(), touched);

  return { createrepoRan, signed, missingAdds, removed, finishedAt: deps.clock.now() };
}

async function writeIfChanged(path: string, content: string): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => undefined);
  if (old === content) return;
  // Hidden temp name: listings skip dotfiles, so a half-written key is never linked.
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, path);
}
