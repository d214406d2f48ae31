import { isPublished, type Build, type BuildChroot } from './build-model.js';
import type { Project } from './model.js';
import type { Ports } from './ports.js';
import { chrootDirPrefix, projectDirPrefix, rpmResultPrefix, srpmResultPrefix } from './results-store.js';
import { deleteUploadOf } from './uploads.js';

/**
 * Removing what builds and projects leave in the table and the results store, one
 * way for every caller: build deletion (build-delete.ts), project actions
 * (actions.ts: a deleted project, a dropped chroot) and maintenance (expired
 * projects, pruning, EOL chroots).
 *
 * Two rules hold everywhere:
 * - A result dir a repository may name leaves through the publisher, which removes
 *   it only after new metadata is live (spec §4.9), so dnf never sees metadata
 *   naming deleted RPMs. Whole project or chroot dirs are removed directly: no
 *   repository of theirs is served any more.
 * - Rows go last. Every caller may be repeated after a crash (actions and
 *   maintenance jobs are retried; a user can delete again), and a repeat finds the
 *   remaining work only through the rows.
 */
export type CleanupDeps = Pick<Ports, 'builds' | 'results' | 'publish'>;

/** `proj` and every other dir (`proj:pr:1`) builds of the project were made in, sorted. */
export function projectDirnames(projectName: string, builds: ReadonlyArray<Pick<Build, 'project_dirname'>>): string[] {
  return [...new Set([projectName, ...builds.map((b) => b.project_dirname)])].sort();
}

export interface BuildWithChroots {
  build: Build;
  chroots: BuildChroot[];
}

export interface DroppedChroot {
  build: Build;
  chroot: BuildChroot;
}

/** The builds with their chroots (read in parallel). */
export function withChroots(deps: Pick<Ports, 'builds'>, builds: readonly Build[]): Promise<BuildWithChroots[]> {
  return Promise.all(builds.map(async (build) => ({ build, chroots: await deps.builds.listBuildChroots(build.id) })));
}

type Repo = Pick<Project, 'ownername' | 'devel_mode'>;

/**
 * Drops the result dirs of build chroots. Unpublished ones go at once; every
 * dropped dir is named in one republish per repository (a republish naming a dir
 * already gone is a no-op for it), and the publisher removes the published ones.
 */
async function dropChrootResults(deps: CleanupDeps, project: Repo, dropped: readonly DroppedChroot[]): Promise<void> {
  const perRepo = new Map<string, { dirname: string; chroot: string; dirs: string[] }>();
  for (const { build, chroot } of dropped) {
    if (!chroot.result_dir) continue;
    if (!isPublished(chroot)) {
      await deps.results.deletePrefix(rpmResultPrefix(project.ownername, build.project_dirname, chroot.name, chroot.result_dir) + '/');
    }
    const key = JSON.stringify([build.project_dirname, chroot.name]);
    const entry = perRepo.get(key) ?? { dirname: build.project_dirname, chroot: chroot.name, dirs: [] };
    entry.dirs.push(chroot.result_dir);
    perRepo.set(key, entry);
  }
  for (const r of perRepo.values()) {
    await deps.publish({ owner: project.ownername, dirname: r.dirname, chroot: r.chroot, adds: [], deletes: r.dirs.sort(), devel: project.devel_mode });
  }
}

/** A build's own files (its uploaded source, its SRPM results), then its rows. */
async function deleteBuildAndFiles(deps: CleanupDeps, build: Build): Promise<void> {
  await deleteUploadOf(deps.results, build);
  // Trailing slash: a prefix must not reach a neighbour whose id shares the digits.
  await deps.results.deletePrefix(srpmResultPrefix(build.ownername, build.project_dirname, build.id) + '/');
  await deps.builds.deleteBuild(build.id);
}

/**
 * Deletes builds of a project that lives on, and the results of `alsoChroots`
 * (chroots of builds that stay): the results leave its repositories first (one
 * republish per repository for all of them), then the builds.
 */
export async function deleteBuildsOf(deps: CleanupDeps, project: Repo, builds: readonly BuildWithChroots[], alsoChroots: readonly DroppedChroot[] = []): Promise<void> {
  const whole = builds.flatMap(({ build, chroots }) => chroots.map((chroot) => ({ build, chroot })));
  await dropChrootResults(deps, project, [...whole, ...alsoChroots]);
  for (const { build } of builds) await deleteBuildAndFiles(deps, build);
}

/**
 * Deletes every given build of a project that is gone, and every dir of it (its
 * repositories included); returns the dirnames removed.
 */
export async function removeProjectData(deps: CleanupDeps, owner: string, projectName: string, builds: readonly Build[]): Promise<string[]> {
  const dirnames = projectDirnames(projectName, builds);
  for (const d of dirnames) await deps.results.deletePrefix(projectDirPrefix(owner, d));
  // The SRPM results went with the dirs; what is left is uploads and rows.
  for (const b of builds) {
    await deleteUploadOf(deps.results, b);
    await deps.builds.deleteBuild(b.id);
  }
  return dirnames;
}

/** Removes the repositories and results of one chroot in every dir of a project; returns the paths removed. */
export async function removeChrootData(deps: CleanupDeps, owner: string, projectName: string, chroot: string): Promise<string[]> {
  const dirnames = projectDirnames(projectName, await deps.builds.listProjectBuilds(owner, projectName));
  for (const d of dirnames) await deps.results.deletePrefix(chrootDirPrefix(owner, d, chroot));
  return dirnames.map((d) => `${owner}/${d}/${chroot}`);
}
