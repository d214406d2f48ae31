import { buildRepos, sanitizeRepoId, type Repo } from './build-config.js';
import type { BuildStore } from './build-ports.js';
import { resultDirName, SRPM_CHROOT, taskIdOf, type Build } from './build-model.js';
import type { Project, ProjectChroot } from './model.js';
import { SOURCE_TYPE_IDS } from './model.js';
import { parseChrootName } from './names.js';
import type { Store } from './ports.js';
import { loadCoprTargets } from './project-chroots.js';
import { rpmResultPrefix } from './results-store.js';

/**
 * Read-only views of a build's tasks in the shape Copr's frontend publishes them at
 * `/backend/get-build-task/<build>-<chroot>` and `/backend/get-srpm-build-task/<build>`
 * (spec §4.3, §4.4): what a builder got, so users and scripts can check a build's
 * timeout, network, isolation, repos and source after submitting it, and reproduce it.
 * Upstream's RPM task names the dist-git repository the SRPM was imported into (`git_repo`)
 * and the import's commit (`git_hash`), for every source type. There is no dist-git import
 * here: builders take the SRPM stage's result, so `git_repo` is that SRPM's results URL and
 * `git_hash` is null (upstream's value too before its import has finished).
 */
export interface TaskViewDeps {
  store: Store;
  builds: BuildStore;
  /** `<BACKEND>/results`, no trailing slash. */
  resultsBaseUrl: string;
}

/** Upstream's default memory request (MiB); not configurable here. */
const MEMORY_REQS = 2048;
const STORAGE_IDS = { backend: 0, pulp: 1 } as const;

function sandboxOf(build: Build): string {
  return `${build.ownername}/${build.projectname}--${build.submitter ?? 'webhook'}`;
}

/** build > chroot > project; `unchanged` (stored as null) defers to the next level. */
function resolvedIsolation(build: Build, chroot: ProjectChroot | null, project: Project): string {
  const own = build.isolation && build.isolation !== 'unchanged' ? build.isolation : null;
  return own ?? chroot?.isolation ?? project.isolation;
}

/** Bootstrap keys only when they differ from the default, as upstream writes them. */
function bootstrapKeys(build: Build, chroot: ProjectChroot | null, project: Project): Record<string, string> {
  const pick = (v: string | null | undefined) => (v && v !== 'unchanged' ? v : null);
  const mode = pick(build.bootstrap) ?? pick(chroot?.bootstrap) ?? project.bootstrap;
  if (mode === 'default') return {};
  const out: Record<string, string> = { bootstrap: mode };
  if (mode === 'custom_image' && chroot?.bootstrap_image) out.bootstrap_image = chroot.bootstrap_image;
  return out;
}

/** `!name:stream` disables, `name:stream` enables (upstream's `modules.toggle`). */
function moduleToggles(modules: string[]): Record<string, unknown> {
  if (modules.length === 0) return {};
  return { modules: { toggle: modules.map((m) => (m.startsWith('!') ? { disable: m.slice(1) } : { enable: m })) } };
}

async function loadContext(deps: TaskViewDeps, buildId: number): Promise<{ build: Build; project: Project } | null> {
  const build = await deps.builds.getBuild(buildId);
  if (!build) return null;
  const project = await deps.store.getProject(build.ownername, build.projectname);
  return project ? { build, project } : null;
}

/** The fields both task kinds start with (upstream's order). */
function taskHead(build: Build, chroot: string | null) {
  return {
    task_id: taskIdOf(build.id, chroot),
    build_id: build.id,
    project_owner: build.ownername,
    project_name: build.projectname,
    project_dirname: build.project_dirname,
    sandbox: sandboxOf(build),
    background: build.is_background,
  };
}

/** The RPM task of `<build>-<chroot>`, or null when there is no such build chroot. */
export async function rpmTaskView(deps: TaskViewDeps, buildId: number, chrootName: string): Promise<Record<string, unknown> | null> {
  if (chrootName === SRPM_CHROOT) return null;
  const loaded = await loadContext(deps, buildId);
  if (!loaded) return null;
  const { build, project } = loaded;
  if (!(await deps.builds.getBuildChroot(buildId, chrootName))) return null;
  const chroot = await deps.store.getProjectChroot(project.ownername, project.name, chrootName);
  let repos: Repo[] = [];
  if (chroot) {
    const coprTargets = await loadCoprTargets(deps.store, [...project.additional_repos, ...chroot.additional_repos]);
    repos = buildRepos({ resultsBaseUrl: deps.resultsBaseUrl, project, chroot, dirname: build.project_dirname, coprTargets });
  }
  return {
    ...taskHead(build, chrootName),
    chroot: chrootName,
    tags: [],
    allow_user_ssh: false,
    ssh_public_keys: null,
    submitter: build.submitter,
    repos,
    buildroot_pkgs: chroot?.additional_packages ?? [],
    with_opts: chroot?.with_opts ?? [],
    without_opts: chroot?.without_opts ?? [],
    memory_reqs: MEMORY_REQS,
    timeout: build.timeout,
    enable_net: build.enable_net,
    git_repo: build.srpm_url,
    git_hash: null,
    ...prebuiltRpms(deps, build, chrootName),
    package_name: build.package_name,
    package_version: build.pkg_version,
    uses_devel_repo: project.devel_mode,
    isolation: resolvedIsolation(build, chroot, project),
    ...bootstrapKeys(build, chroot, project),
    ...moduleToggles(chroot?.additional_modules ?? []),
    fedora_review: project.fedora_review,
    appstream: project.appstream,
    repo_priority: project.repo_priority,
    storage: STORAGE_IDS[project.storage],
  };
}

/**
 * An uploaded RPM's task names the package instead of an SRPM (upstream's
 * `prebuilt_rpm_urls`); here it is the published copy in the chroot's result dir.
 */
function prebuiltRpms(deps: TaskViewDeps, build: Build, chroot: string): { prebuilt_rpm_urls?: string[] } {
  const pkg = build.source_dict.pkg;
  if (build.source_type !== 'rpm_upload' || typeof pkg !== 'string') return {};
  const dir = rpmResultPrefix(build.ownername, build.project_dirname, chroot, resultDirName(build.id, build.package_name));
  return { prebuilt_rpm_urls: [`${deps.resultsBaseUrl}/${dir}/${pkg}`] };
}

function distributions(chroots: string[]): string[] {
  return [...new Set(chroots.map((c) => parseChrootName(c).name_release))].sort();
}

/** The custom method's own repos as Repo objects (upstream's SRPM task `repos`). */
function customRepos(build: Build): Repo[] {
  const raw = build.source_type === 'custom' ? build.source_dict.repos : null;
  const urls = typeof raw === 'string' ? raw.split(/\s+/).filter((u) => u.length > 0) : [];
  return urls.map((url) => {
    const id = sanitizeRepoId(url);
    return { id, name: `Additional repo ${id}`, baseurl: url, priority: null, module_hotfixes: null, repo_gpgcheck: null };
  });
}

/** The SRPM task of a build, or null for an unknown build. */
export async function srpmTaskView(deps: TaskViewDeps, buildId: number): Promise<Record<string, unknown> | null> {
  const loaded = await loadContext(deps, buildId);
  if (!loaded) return null;
  const { build, project } = loaded;
  const projectChroots = (await deps.store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot);
  const buildChroots = (await deps.builds.listBuildChroots(build.id)).map((c) => c.name).filter((n) => n !== SRPM_CHROOT);
  const customChroot = build.source_type === 'custom' ? build.source_dict.chroot : null;
  return {
    ...taskHead(build, null),
    submitter: build.submitter,
    chroot: typeof customChroot === 'string' ? customChroot : null,
    source_type: SOURCE_TYPE_IDS[build.source_type],
    source_json: JSON.stringify(build.source_dict),
    package_name: build.package_name,
    appstream: project.appstream,
    repos: customRepos(build),
    distributions_in_project: distributions(projectChroots),
    distributions_in_build: distributions(buildChroots.length > 0 ? buildChroots : build.chroots_requested ?? []),
  };
}
