/**
 * The APIv3 object shapes (shared/spec/copr-wire-contract.md §2), written once for both
 * ends: the serializers in this folder return them and the dashboard (web/src/types.ts)
 * reads them. Import-free on purpose, so the dashboard's compiler can take it as is.
 */

export interface ApiProject {
  id: number;
  name: string;
  ownername: string;
  full_name: string;
  description: string;
  instructions: string;
  homepage: string | null;
  contact: string | null;
  devel_mode: boolean;
  persistent: boolean;
  unlisted_on_hp: boolean;
  auto_prune: boolean;
  enable_net: boolean;
  bootstrap: string;
  isolation: string;
  module_hotfixes: boolean;
  appstream: boolean;
  follow_fedora_branching: boolean;
  additional_repos: string[];
  /** Chroot name → its repository URL (trailing slash). */
  chroot_repos: Record<string, string>;
  packit_forge_projects_allowed: string[];
  repo_priority: number | null;
  storage: string;
}

export interface ApiProjectChroot {
  mock_chroot: string;
  ownername: string;
  projectname: string;
  comps_name: string | null;
  additional_repos: string[];
  additional_packages: string[];
  additional_modules: string[];
  with_opts: string[];
  without_opts: string[];
  delete_after_days: number | null;
  isolation: string;
}

export interface ApiSourcePackage {
  name: string | null;
  version: string | null;
  url: string | null;
}

export interface ApiBuild {
  id: number;
  state: string;
  ownername: string;
  projectname: string;
  project_dirname: string;
  repo_url: string;
  source_package: ApiSourcePackage;
  submitted_on: number;
  started_on: number | null;
  ended_on: number | null;
  submitter: string | null;
  chroots: string[];
  is_background: boolean;
}

export interface ApiBuildChroot {
  name: string;
  state: string;
  started_on: number | null;
  ended_on: number | null;
  result_url: string | null;
}

export interface ApiPackage<B = ApiBuild> {
  id: number;
  name: string;
  ownername: string;
  projectname: string;
  source_type: string;
  source_dict: Record<string, unknown>;
  auto_rebuild: boolean;
  builds: { latest: B | null; latest_succeeded: B | null };
}
