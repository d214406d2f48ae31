/** The APIv3 shapes the dashboard reads (see shared/spec/copr-wire-contract.md §2). */
export interface Paginated<T> {
  items: T[];
  meta: { limit: number | null; offset: number | null; order: string | null; order_type: string | null };
}

export interface Project {
  id: number;
  name: string;
  ownername: string;
  full_name: string;
  description: string | null;
  instructions: string | null;
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
  chroot_repos: Record<string, string>;
  repo_priority: number | null;
}

export interface SourcePackage {
  name: string | null;
  version: string | null;
  url: string | null;
}

export interface Build {
  id: number;
  state: string;
  ownername: string;
  projectname: string;
  project_dirname: string;
  repo_url: string;
  source_package: SourcePackage;
  submitted_on: number;
  started_on: number | null;
  ended_on: number | null;
  submitter: string | null;
  chroots: string[];
  is_background: boolean;
}

export interface BuildChroot {
  name: string;
  state: string;
  started_on: number | null;
  ended_on: number | null;
  result_url: string | null;
}

export interface Package {
  id: number;
  name: string;
  ownername: string;
  projectname: string;
  source_type: string;
  source_dict: Record<string, unknown>;
  auto_rebuild: boolean;
  builds: { latest: Build | null; latest_succeeded: Build | null };
}

export type Permission = 'nothing' | 'request' | 'approved';

export interface QueueItem {
  build_id: number;
  chroot: string;
  owner: string;
  project: string;
  arch: string;
}

export interface QueueStatus {
  pending: QueueItem[];
  starting: QueueItem[];
  running: QueueItem[];
}

export interface ApiToken {
  api_login: string;
  api_token: string;
  expiration: string;
}
