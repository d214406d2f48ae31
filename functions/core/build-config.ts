import type { Isolation, Project, ProjectChroot } from './model.js';

/**
 * The repositories and options a build in one project chroot sees (spec §2.3): the
 * `repos` list mock gets, and the ProjectChrootBuildConfig object of the API. Pure:
 * every outside fact (results base URL, module_hotfixes of copr:// targets) comes in
 * as input, so the API and the builder-task code compute the same thing.
 */

export interface Repo {
  id: string;
  name: string;
  baseurl: string;
  priority: number | null;
  module_hotfixes: boolean | null;
  repo_gpgcheck: boolean | null;
}

/** What a copr:// target project contributes to its repo entry. */
export interface CoprRepoTarget {
  module_hotfixes: boolean;
}

export interface RepoInput {
  /** `<BACKEND>/results`, no trailing slash. */
  resultsBaseUrl: string;
  project: Pick<Project, 'ownername' | 'name' | 'module_hotfixes' | 'devel_mode' | 'repo_priority' | 'storage' | 'additional_repos'>;
  chroot: Pick<ProjectChroot, 'mock_chroot' | 'additional_repos'>;
  /** A non-main directory (`foo:pr:12`); adds `copr_coprdir`. */
  dirname?: string;
  /** module_hotfixes of copr:// targets, keyed by `<owner>/<project>`; unknown targets get null. */
  coprTargets?: ReadonlyMap<string, CoprRepoTarget>;
}

/** Non-alphanumeric runs → `_`, trimmed of `_` at both ends. */
export function sanitizeRepoId(url: string): string {
  return url.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

export function projectResultsUrl(resultsBaseUrl: string, owner: string, dirname: string): string {
  return `${resultsBaseUrl}/${owner}/${dirname}`;
}

/** `copr://owner/project[/...]` → `owner/project`, or null if not a copr:// URL. */
export function coprTargetOf(url: string): { owner: string; project: string } | null {
  const m = /^copr:\/\/([^/?#]+)\/([^/?#]+)/.exec(url);
  if (!m) return null;
  return { owner: m[1]!, project: m[2]! };
}

/** Distinct `owner/project` names referenced by copr:// URLs (for loading their settings). */
export function coprTargetNames(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    const t = coprTargetOf(u);
    if (t) out.add(`${t.owner}/${t.project}`);
  }
  return [...out];
}

/** Splits off a `priority=N` query parameter; the other parameters stay in the URL. */
function takePriority(url: string): { url: string; priority: number | null } {
  const q = url.indexOf('?');
  if (q < 0) return { url, priority: null };
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const rest = hashAt < 0 ? '' : url.slice(hashAt);
  let priority: number | null = null;
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    const [k, v] = pair.split('=', 2);
    if (k === 'priority') {
      if (priority === null && v !== undefined && /^\d+$/.test(v)) priority = Number(v);
      continue;
    }
    if (pair !== '') kept.push(pair);
  }
  return { url: url.slice(0, q) + (kept.length > 0 ? `?${kept.join('&')}` : '') + rest, priority };
}

/** `$distname` = the chroot name without its architecture. */
export function distname(chroot: string): string {
  const dash = chroot.lastIndexOf('-');
  return dash < 0 ? chroot : chroot.slice(0, dash);
}

/** One additional repository URL as mock sees it (copr:// expansion, $chroot, $distname, ?priority). */
export function additionalRepo(
  url: string,
  chroot: string,
  resultsBaseUrl: string,
  coprTargets?: ReadonlyMap<string, CoprRepoTarget>,
): Repo {
  const id = sanitizeRepoId(url);
  const { url: withoutPriority, priority } = takePriority(url);
  const target = coprTargetOf(url);
  let baseurl = target ? `${projectResultsUrl(resultsBaseUrl, target.owner, target.project)}/${chroot}/` : withoutPriority;
  baseurl = baseurl.replaceAll('$chroot', chroot).replaceAll('$distname', distname(chroot));
  let module_hotfixes: boolean | null = null;
  if (target && coprTargets?.get(`${target.owner}/${target.project}`)?.module_hotfixes) module_hotfixes = true;
  return {
    id,
    name: `Additional repo ${id}`,
    baseurl,
    priority,
    module_hotfixes,
    // Copr repositories are signed per file, repodata is not: mock must not demand it.
    repo_gpgcheck: target ? false : null,
  };
}

/** The repository list of a build in one chroot, in Copr's order. */
export function buildRepos(input: RepoInput): Repo[] {
  const { project: p, chroot, resultsBaseUrl } = input;
  const name = chroot.mock_chroot;
  const repoUrl = projectResultsUrl(resultsBaseUrl, p.ownername, p.name);
  // 99 is the dnf default priority; upstream leaves it out then.
  const priority = p.repo_priority === null || p.repo_priority === 99 ? null : p.repo_priority;
  const repos: Repo[] = [
    {
      id: 'copr_base',
      name: 'Copr repository',
      baseurl: `${repoUrl}/${name}/`,
      priority,
      module_hotfixes: p.module_hotfixes ? true : null,
      repo_gpgcheck: false,
    },
  ];
  if (p.devel_mode) {
    repos.push({
      id: 'copr_base_devel',
      name: 'Copr buildroot',
      baseurl: p.storage === 'pulp' ? `${repoUrl}/${name}-devel/` : `${repoUrl}/${name}/devel/`,
      priority,
      module_hotfixes: p.module_hotfixes ? true : null,
      repo_gpgcheck: false,
    });
  }
  if (input.dirname !== undefined && input.dirname !== p.name) {
    repos.push({
      id: 'copr_coprdir',
      name: 'Copr repository for this directory',
      baseurl: `${projectResultsUrl(resultsBaseUrl, p.ownername, input.dirname)}/${name}/`,
      priority,
      module_hotfixes: p.module_hotfixes ? true : null,
      repo_gpgcheck: false,
    });
  }
  for (const url of [...p.additional_repos, ...chroot.additional_repos]) {
    repos.push(additionalRepo(url, name, resultsBaseUrl, input.coprTargets));
  }
  return repos;
}

/** The API's ProjectChrootBuildConfig (spec §2.3); bootstrap is computed upstream but never emitted. */
export interface ProjectChrootBuildConfig {
  chroot: string;
  enable_net: boolean;
  repos: Repo[];
  additional_repos: string[];
  additional_packages: string[];
  additional_modules: string[];
  with_opts: string[];
  without_opts: string[];
  isolation: Isolation | 'unchanged';
}

export function projectChrootBuildConfig(
  input: RepoInput & {
    project: RepoInput['project'] & Pick<Project, 'enable_net' | 'isolation'>;
    chroot: RepoInput['chroot'] & Pick<ProjectChroot, 'additional_packages' | 'additional_modules' | 'with_opts' | 'without_opts' | 'isolation'>;
  },
): ProjectChrootBuildConfig {
  const { project: p, chroot: c } = input;
  const fullName = `${p.ownername}/${p.name}`;
  const additional_repos = [`copr://${fullName}`, ...c.additional_repos, ...p.additional_repos];
  if (p.devel_mode) additional_repos.push(`copr://${fullName}/devel`);
  return {
    chroot: c.mock_chroot,
    enable_net: p.enable_net,
    repos: buildRepos(input),
    additional_repos,
    additional_packages: [...c.additional_packages],
    additional_modules: [...c.additional_modules],
    with_opts: [...c.with_opts],
    without_opts: [...c.without_opts],
    // A chroot without its own isolation says "unchanged", as upstream's does; a
    // project that picked one is named instead, so `copr-cli mock-config` applies it.
    isolation: c.isolation ?? (p.isolation === 'default' ? 'unchanged' : p.isolation),
  };
}
