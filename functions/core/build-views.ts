import type { BuildStore } from './build-ports.js';
import type { Build, BuildChroot } from './build-model.js';
import { buildState } from './build-state.js';

/**
 * The read side of builds other resources embed: a package's latest and latest
 * succeeded build (package `builds`, spec §2.6). Reads by the project-builds index
 * only (no Scan); states are derived from the build chroots (spec §3.2).
 */

export interface BuildWithChroots {
  build: Build;
  chroots: BuildChroot[];
}

/** Builds of one package, newest first. */
export async function packageBuildsNewestFirst(builds: BuildStore, owner: string, project: string, packageName: string): Promise<Build[]> {
  const all = await builds.listProjectBuilds(owner, project);
  return all.filter((b) => b.package_name === packageName).sort((a, b) => b.id - a.id);
}

export async function latestBuildsOfPackage(
  builds: BuildStore,
  owner: string,
  project: string,
  packageName: string,
): Promise<{ latest: BuildWithChroots | null; latest_succeeded: BuildWithChroots | null }> {
  const newest = await packageBuildsNewestFirst(builds, owner, project, packageName);
  let latest: BuildWithChroots | null = null;
  let succeeded: BuildWithChroots | null = null;
  // Chroots are loaded lazily: usually the newest build or the one before settles both.
  for (const build of newest) {
    const chroots = await builds.listBuildChroots(build.id);
    latest ??= { build, chroots };
    if (buildState(build, chroots) === 'succeeded') {
      succeeded = { build, chroots };
      break;
    }
  }
  return { latest, latest_succeeded: succeeded };
}
