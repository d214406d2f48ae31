/**
 * Entities of the Copr domain. Field names follow Copr's own vocabulary (the APIv3
 * objects), so the wire shapes in functions/api/serialize.ts stay a thin projection.
 */

export interface User {
  id: number;
  name: string;
  admin: boolean;
  /** Group names (without '@') the user is a member of. */
  groups: string[];
  /** API login (random id, not the username) and a hash of the API token. */
  api_login: string;
  api_token_hash: string;
  /** YYYY-MM-DD; the token is valid through this day. */
  api_token_expiration: string;
  created_on: number;
}

export interface Group {
  id: number;
  name: string;
  created_on: number;
}

export type Bootstrap = 'default' | 'on' | 'off' | 'image';
export type Isolation = 'default' | 'simple' | 'nspawn';
export type Storage = 'backend' | 'pulp';

export interface Project {
  id: number;
  /** `jdoe` or `@group`. */
  ownername: string;
  name: string;
  description: string | null;
  instructions: string | null;
  homepage: string | null;
  contact: string | null;
  devel_mode: boolean;
  persistent: boolean;
  unlisted_on_hp: boolean;
  auto_prune: boolean;
  enable_net: boolean;
  bootstrap: Bootstrap;
  isolation: Isolation;
  module_hotfixes: boolean;
  appstream: boolean;
  follow_fedora_branching: boolean;
  multilib: boolean;
  fedora_review: boolean;
  additional_repos: string[];
  runtime_dependencies: string[];
  packit_forge_projects_allowed: string[];
  repo_priority: number | null;
  storage: Storage;
  /** Days until the project is deleted; null = never. */
  delete_after_days: number | null;
  /** Epoch seconds at which a temporary project expires (derived from delete_after_days). */
  delete_after: number | null;
  webhook_secret: string | null;
  created_on: number;
}

export type ChrootBootstrap = 'default' | 'on' | 'off' | 'image' | 'custom_image';

export interface ProjectChroot {
  ownername: string;
  projectname: string;
  mock_chroot: string;
  additional_packages: string[];
  additional_repos: string[];
  /** Entries `name:stream` or `!name:stream`. */
  additional_modules: string[];
  with_opts: string[];
  without_opts: string[];
  comps_name: string | null;
  isolation: Isolation | null;
  bootstrap: ChrootBootstrap | null;
  bootstrap_image: string | null;
  /** Days left before the data of an EOL chroot is removed; null when not EOL. */
  delete_after_days: number | null;
  /** Epoch seconds when an EOL chroot's data is removed. */
  delete_after: number | null;
}

export interface MockChroot {
  name: string;
  os_release: string;
  os_version: string;
  arch: string;
  is_active: boolean;
  /** EOL: deactivated, but repositories of projects are kept for a while. */
  eol: boolean;
  comment: string;
}

export type SourceType = 'unset' | 'link' | 'upload' | 'pypi' | 'rubygems' | 'scm' | 'custom' | 'distgit' | 'rpm_upload';

export const SOURCE_TYPE_IDS: Record<SourceType, number> = {
  unset: 0,
  link: 1,
  upload: 2,
  pypi: 5,
  rubygems: 6,
  scm: 8,
  custom: 9,
  distgit: 10,
  // Not in Copr's BuildSourceEnum as we know it: the next free number, ours (copr-cli uploadrpm)
  rpm_upload: 11,
};

export interface Package {
  id: number;
  name: string;
  ownername: string;
  projectname: string;
  source_type: SourceType;
  /** The stored source (Copr's `source_json`), keys as the builder expects them. */
  source_dict: Record<string, unknown>;
  auto_rebuild: boolean;
  max_builds: number | null;
  timeout: number | null;
  /** Comma separated fnmatch patterns of chroots never to build in. */
  chroot_denylist: string[];
}

export type PermissionValue = 'nothing' | 'request' | 'approved';
export type PermissionRole = 'admin' | 'builder';

export interface ProjectPermission {
  ownername: string;
  projectname: string;
  username: string;
  admin: PermissionValue;
  builder: PermissionValue;
}

/** The authenticated caller of a request. */
export interface Caller {
  user: User;
}
