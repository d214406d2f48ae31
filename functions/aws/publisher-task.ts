import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Clock, PublishLedger, PublishRepository, SigningKeyStore } from '../core/ports.js';
import type { ResultsStore } from '../core/results-store.js';
import type { GpgSigner } from '../publish/gpg-signer.js';
import type { KmsKeyStore } from '../publish/kms-key-store.js';
import { renderIndexHtml } from '../publish/listing.js';
import type { ProcessRunner } from '../publish/process-runner.js';
import { publishRepository } from '../publish/publish-repo.js';
import { PublishRepositoryRef, PublishRequest } from '../publish/publish-request.js';
import { drainRepository, type DrainReport } from '../publish/publish-runs.js';
import { projectOfDirname } from '../publish/signer.js';

/**
 * One publishing run in the Fargate task, on a metadata-only mirror of the
 * repository: it downloads the current `repodata/` and the added build dirs, never
 * the RPMs already published. `createrepo_c --update --skip-stat --recycle-pkglist`
 * keeps the old packages' entries from the old metadata without reading their files
 * (verified with createrepo_c 0.17), so a run costs the new builds plus metadata,
 * not the repository's bytes. Uploads go in reader-safe order: package files, then
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

async function download(results: ResultsStore, mirror: string, prefix: string): Promise<number> {
  let n = 0;
  for (const key of await results.list(prefix)) {
    const data = await results.get(key);
    if (!data) continue;
    const path = join(mirror, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
    n++;
  }
  return n;
}

async function filesUnder(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(join(root, dir));
  return out.sort();
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

/** Directory listing of one S3 "directory", built from the object keys below it. */
async function writeRemoteListing(results: ResultsStore, dirKey: string): Promise<void> {
  const keys = await results.list(`${dirKey}/`);
  const children = new Map<string, boolean>();
  for (const k of keys) {
    const rest = k.slice(dirKey.length + 1);
    const [first, ...more] = rest.split('/');
    if (!first || first === 'index.html' || first.startsWith('.')) continue;
    children.set(first, (children.get(first) ?? false) || more.length > 0);
  }
  const entries = [...children].map(([name, isDir]) => ({ name, isDir, size: 0, mtimeMs: Date.now() }));
  await results.put(`${dirKey}/index.html`, renderIndexHtml(`/results/${dirKey}`, entries, { parentLink: true }));
}

export async function runPublisherTask(input: unknown, deps: PublisherTaskDeps): Promise<void> {
  const req = PublishRequest.parse(input);
  const mirror = join(deps.workDir, 'mirror');
  await rm(mirror, { recursive: true, force: true });
  const chrootKey = `${req.owner}/${req.dirname}/${req.chroot}`;
  const metaDir = req.devel ? `${chrootKey}/devel/repodata` : `${chrootKey}/repodata`;

  // Created up front: a new chroot has neither repodata nor added builds to download.
  await mkdir(join(mirror, chrootKey), { recursive: true });
  if (req.full) {
    await download(deps.results, mirror, `${chrootKey}/`); // regenerate: reads every package once
  } else {
    await download(deps.results, mirror, `${metaDir}/`);
    for (const add of req.adds) await download(deps.results, mirror, `${chrootKey}/${add}/`);
    const comps = await deps.results.get(`${chrootKey}/comps.xml`);
    if (comps) await writeFile(join(mirror, chrootKey, 'comps.xml'), comps);
  }
  const oldMeta = new Set(await deps.results.list(`${metaDir}/`));

  await loadSigningKey(deps, req.owner, projectOfDirname(req.dirname));
  await publishRepository(req, { resultsDir: mirror, signer: deps.signer, run: deps.run, clock: deps.clock, resultsBaseUrl: deps.resultsBaseUrl });

  const upload = async (rel: string) => deps.results.put(rel, await readFile(join(mirror, rel)));
  // 1. packages of the added builds (now signed) and their listings
  for (const add of req.adds) for (const f of await filesUnder(mirror, `${chrootKey}/${add}`)) await upload(f);
  // 2. metadata data files, then the signature, then repomd.xml itself
  const meta = await filesUnder(mirror, metaDir);
  const repomd = `${metaDir}/repomd.xml`;
  for (const f of meta.filter((m) => m !== repomd && !m.endsWith('repomd.xml.asc'))) await upload(f);
  if (meta.includes(`${repomd}.asc`)) await upload(`${repomd}.asc`);
  if (meta.includes(repomd)) await upload(repomd);
  const pubkey = `${req.owner}/${req.dirname}/pubkey.gpg`;
  if (await stat(join(mirror, pubkey)).catch(() => null)) await upload(pubkey);
  // 3. only now: old metadata files no longer referenced, and deleted builds
  for (const old of oldMeta) if (!meta.includes(old)) await deps.results.deletePrefix(old);
  for (const del of req.deletes) await deps.results.deletePrefix(`${chrootKey}/${del}/`);
  // 4. listings of the chroot and project dirs from what the bucket now holds
  await writeRemoteListing(deps.results, chrootKey);
  await writeRemoteListing(deps.results, `${req.owner}/${req.dirname}`);
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
    { ledger: input.ledger, clock: deps.clock, publish: (req) => runPublisherTask(req, deps), leaseMs: input.leaseMs, log: input.log },
    repo,
    input.holder,
    { acquire: false },
  );
}
