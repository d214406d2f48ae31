import type { BuildStore } from './build-ports.js';
import { summaryChroots, type Build, type ChrootView } from './build-model.js';
import { buildState } from './build-state.js';

/**
 * The read side of builds other resources embed: a package's latest and latest
 * succeeded build (package `builds`, spec §2.6). Reads by the project-builds index
 * only (no Scan); states are derived from the chroot summary on each build item (spec §3.2).
 */

export interface BuildWithChroots {
  build: Build;
  /** As the build item summarises them (builds stored before summaries: read from their items). */
  chroots: ChrootView[];
}

/** Builds read per step while looking for a package's latest builds. */
const CHUNK = 50;

/** Builds of one package, newest first, read from the index a chunk at a time. */
export async function* packageBuildsNewestFirst(builds: BuildStore, owner: string, project: string, packageName: string): AsyncGenerator<Build> {
  const range = { ownername: owner, projectname: project, packageName, descending: true };
  for (let after: number | null = null; ; ) {
    const chunk = await builds.pages.page(range, after, CHUNK);
    yield* chunk;
    const last = chunk.at(-1);
    if (!last || chunk.length < CHUNK) return;
    after = last.id;
  }
}

/**
 * Reads the package's builds newest first only until a succeeded one: the builds of
 * the project newer than the package's latest success, not the whole project.
 */
export async function latestBuildsOfPackage(
  builds: BuildStore,
  owner: string,
  project: string,
  packageName: string,
): Promise<{ latest: BuildWithChroots | null; latest_succeeded: BuildWithChroots | null }> {
  let latest: BuildWithChroots | null = null;
  let succeeded: BuildWithChroots | null = null;
  // The build items carry their chroots' summary: no other read per build passed.
  for await (const build of packageBuildsNewestFirst(builds, owner, project, packageName)) {
    const chroots = summaryChroots(build) ?? (await builds.listBuildChroots(build.id));
    latest ??= { build, chroots };
    if (buildState(build, chroots) === 'succeeded') {
      succeeded = { build, chroots };
      break;
    }
  }
  return { latest, latest_succeeded: succeeded };
}
