import type { Config } from '../config.js';
import { buildToApi, type ApiBuild } from '../api/build-serialize.js';
import type { BuildsView } from '../api/context.js';
import type { BuildStore } from './build-ports.js';
import type { Build, BuildChroot } from './build-model.js';
import { buildState } from './build-state.js';
import type { Store } from './ports.js';

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

/**
 * The BuildsView for `ctx.services.builds`. `store` is the project store of the
 * composition root (kept in the signature so the view may grow project-level reads
 * without changing its callers).
 */
export function createBuildsView(store: Store, builds: BuildStore, config: Pick<Config, 'RESULTS_BASE_URL'>): BuildsView {
  void store;
  const toApi = (x: BuildWithChroots | null): ApiBuild | null => (x ? buildToApi(config.RESULTS_BASE_URL, x.build, x.chroots) : null);
  return {
    async latestForPackage(owner, project, packageName) {
      const got = await latestBuildsOfPackage(builds, owner, project, packageName);
      return { latest: toApi(got.latest), latest_succeeded: toApi(got.latest_succeeded) };
    },
  };
}
