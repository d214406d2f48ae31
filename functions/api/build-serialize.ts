import { SRPM_CHROOT, type Build, type BuildChroot, type ChrootView, type Nevra } from '../core/build-model.js';
import { buildState, endedOn, startedOn } from '../core/build-state.js';
import { srpmResultPrefix } from '../core/results-store.js';
import { projectResultsUrl } from '../core/build-config.js';
import type { ApiBuild, ApiBuildChroot } from './wire-types.js';

/**
 * Wire shapes of Build, BuildChroot and NEVRA (spec §2.4, §2.5). `resultsBaseUrl`
 * is `<BACKEND_BASE_URL>/results` without a trailing slash. Pure: callers load the
 * build chroots (the state, start and end of a build derive from them, §3.2).
 */

/** Upstream's default memory request of a build (MiB); users cannot change it here. */
export const DEFAULT_MEMORY_LIMIT = 2048;

export function nevraToApi(n: Nevra) {
  return { name: n.name, epoch: n.epoch, version: n.version, release: n.release, arch: n.arch };
}

/**
 * `<B>/<owner>/<dirname>/<chroot>/<result_dir>/`: the trailing slash matters,
 * copr-cli download-build runs `wget -r --no-parent` on it. Null until the
 * builder was given a result dir.
 */
export function chrootResultUrl(resultsBaseUrl: string, build: Pick<Build, 'ownername' | 'project_dirname'>, c: Pick<BuildChroot, 'name' | 'result_dir'>): string | null {
  if (!c.result_dir) return null;
  return `${projectResultsUrl(resultsBaseUrl, build.ownername, build.project_dirname)}/${c.name}/${c.result_dir}/`;
}

/** The SRPM stage's result dir; null until the stage started (nothing uploaded before). */
export function sourceResultUrl(resultsBaseUrl: string, build: Build): string | null {
  if (build.source_started_on === null) return null;
  return `${resultsBaseUrl}/${srpmResultPrefix(build.ownername, build.project_dirname, build.id)}/`;
}

export function buildChrootToApi(resultsBaseUrl: string, build: Pick<Build, 'ownername' | 'project_dirname'>, c: BuildChroot): ApiBuildChroot {
  return {
    name: c.name,
    state: c.state,
    started_on: c.started_on,
    ended_on: c.ended_on,
    result_url: chrootResultUrl(resultsBaseUrl, build, c),
  };
}

/** The SRPM's URL; a URL build names its source URL from submit on, as upstream does. */
function sourcePackageUrl(build: Build): string | null {
  if (build.srpm_url) return build.srpm_url;
  const url = build.source_type === 'link' ? build.source_dict.url : null;
  return typeof url === 'string' ? url : null;
}

export function buildToApi(resultsBaseUrl: string, build: Build, chroots: ChrootView[]): ApiBuild {
  return {
    id: build.id,
    state: buildState(build, chroots),
    ownername: build.ownername,
    projectname: build.projectname,
    project_dirname: build.project_dirname,
    // The main project directory, no trailing slash (upstream shape).
    repo_url: projectResultsUrl(resultsBaseUrl, build.ownername, build.projectname),
    source_package: { name: build.package_name, version: build.pkg_version, url: sourcePackageUrl(build) },
    submitted_on: build.submitted_on,
    started_on: startedOn(build, chroots),
    ended_on: endedOn(chroots),
    submitter: build.submitter,
    chroots: chroots.map((c) => c.name).filter((n) => n !== SRPM_CHROOT).sort(),
    is_background: build.is_background,
  };
}

