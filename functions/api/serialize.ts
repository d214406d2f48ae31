import type { Config } from '../config.js';
import type { Package, Project, ProjectChroot } from '../core/model.js';
import type { ApiPackage, ApiProject, ApiProjectChroot } from './wire-types.js';

/** Wire shapes of the APIv3 objects (spec §2, types in wire-types.ts). Every key is always present. */

export function projectRepoUrl(config: Config, owner: string, dirname: string): string {
  return `${config.RESULTS_BASE_URL}/${owner}/${dirname}`;
}

export function projectToApi(config: Config, p: Project, chroots: ProjectChroot[]): ApiProject {
  const repoUrl = projectRepoUrl(config, p.ownername, p.name);
  const chroot_repos: Record<string, string> = {};
  for (const c of [...chroots].sort((a, b) => a.mock_chroot.localeCompare(b.mock_chroot))) {
    chroot_repos[c.mock_chroot] = `${repoUrl}/${c.mock_chroot}/`;
  }
  return {
    id: p.id,
    name: p.name,
    ownername: p.ownername,
    full_name: `${p.ownername}/${p.name}`,
    // Upstream's form turns an unset text into "", so clients never see null here.
    description: p.description ?? '',
    instructions: p.instructions ?? '',
    homepage: p.homepage,
    contact: p.contact,
    devel_mode: p.devel_mode,
    persistent: p.persistent,
    unlisted_on_hp: p.unlisted_on_hp,
    auto_prune: p.auto_prune,
    enable_net: p.enable_net,
    bootstrap: p.bootstrap,
    isolation: p.isolation,
    module_hotfixes: p.module_hotfixes,
    appstream: p.appstream,
    follow_fedora_branching: p.follow_fedora_branching,
    additional_repos: p.additional_repos,
    chroot_repos,
    packit_forge_projects_allowed: p.packit_forge_projects_allowed,
    repo_priority: p.repo_priority,
    storage: p.storage,
  };
}

export function projectChrootToApi(c: ProjectChroot): ApiProjectChroot {
  return {
    mock_chroot: c.mock_chroot,
    ownername: c.ownername,
    projectname: c.projectname,
    comps_name: c.comps_name,
    additional_repos: c.additional_repos,
    additional_packages: c.additional_packages,
    additional_modules: c.additional_modules,
    with_opts: c.with_opts,
    without_opts: c.without_opts,
    delete_after_days: c.delete_after_days,
    // Upstream's chroot setting defaults to "unchanged" (= the project's); it emits no
    // bootstrap keys here (copr-cli get-chroot prints whatever keys it gets).
    isolation: c.isolation ?? 'unchanged',
  };
}

/**
 * Upstream renames `srpm_build_method` to `source_build_method` in source_dict. Custom
 * sources keep an unset `builddeps`/`resultdir` as null upstream; we store "" (the
 * builder wants strings) and show null.
 */
export function sourceDictToApi(source: Record<string, unknown>): Record<string, unknown> {
  const out = { ...source };
  if ('srpm_build_method' in out) {
    out.source_build_method = out.srpm_build_method;
    delete out.srpm_build_method;
  }
  if ('script' in out) {
    for (const k of ['builddeps', 'resultdir']) if (out[k] === '') out[k] = null;
  }
  return out;
}

export function packageToApi(p: Package, builds: ApiPackage['builds']): ApiPackage {
  return {
    id: p.id,
    name: p.name,
    ownername: p.ownername,
    projectname: p.projectname,
    source_type: p.source_type,
    source_dict: sourceDictToApi(p.source_dict),
    auto_rebuild: p.auto_rebuild,
    builds,
  };
}
