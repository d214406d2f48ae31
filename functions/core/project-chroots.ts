import { loadProject, requireEdit } from './access.js';
import {
  coprTargetNames,
  projectChrootBuildConfig,
  type CoprRepoTarget,
  type ProjectChrootBuildConfig,
} from './build-config.js';
import { badRequest, fieldError, notFound } from './errors.js';
import type { Caller, ChrootBootstrap, Isolation, Project, ProjectChroot } from './model.js';
import type { Store } from './ports.js';

/**
 * Per-chroot settings of a project (spec §2.3): reading one, its build config, and
 * the edit that `copr-cli edit-chroot` sends. Shapes are checked at the edge; the
 * rules that need stored state (reset names, bootstrap image, comps) live here.
 */

export interface ChrootComps {
  /** File name as uploaded (a plain base name). */
  name: string;
  content: string;
}

/** An edit as the API received it; absent = leave unchanged. */
export interface ChrootEdit {
  additional_packages?: string[];
  additional_repos?: string[];
  additional_modules?: string[];
  with_opts?: string[];
  without_opts?: string[];
  /** `unchanged` = inherit the project's setting. */
  bootstrap?: ChrootBootstrap | 'unchanged';
  bootstrap_image?: string;
  isolation?: Isolation | 'unchanged';
  delete_comps?: boolean;
  reset_fields?: string[];
  comps?: ChrootComps;
}

export const MAX_COMPS_BYTES = 300 * 1024;

type Resettable = 'additional_packages' | 'additional_repos' | 'additional_modules' | 'with_opts' | 'without_opts' | 'isolation' | 'bootstrap' | 'bootstrap_image';

/** API names, plus upstream's internal names that older clients may send. */
const RESET_NAMES: Record<string, Resettable> = {
  additional_packages: 'additional_packages',
  buildroot_pkgs: 'additional_packages',
  additional_repos: 'additional_repos',
  repos: 'additional_repos',
  additional_modules: 'additional_modules',
  module_toggle: 'additional_modules',
  with_opts: 'with_opts',
  without_opts: 'without_opts',
  isolation: 'isolation',
  bootstrap: 'bootstrap',
  bootstrap_image: 'bootstrap_image',
};

export function chrootNotFound(project: Project, chroot: string) {
  return notFound(`Chroot ${chroot} does not exist in ${project.ownername}/${project.name}`);
}

export async function loadProjectChroot(
  store: Store,
  owner: string,
  projectName: string,
  chroot: string,
): Promise<{ project: Project; chroot: ProjectChroot }> {
  const project = await loadProject(store, owner, projectName);
  const pc = await store.getProjectChroot(owner, projectName, chroot);
  if (!pc) throw chrootNotFound(project, chroot);
  return { project, chroot: pc };
}

/** module_hotfixes of the projects that copr:// repos point to (missing projects are skipped). */
export async function loadCoprTargets(store: Store, urls: string[]): Promise<Map<string, CoprRepoTarget>> {
  const out = new Map<string, CoprRepoTarget>();
  for (const full of coprTargetNames(urls)) {
    const slash = full.indexOf('/');
    const p = await store.getProject(full.slice(0, slash), full.slice(slash + 1));
    if (p) out.set(full, { module_hotfixes: p.module_hotfixes });
  }
  return out;
}

export async function buildConfigOf(
  store: Store,
  resultsBaseUrl: string,
  owner: string,
  projectName: string,
  chrootName: string,
): Promise<ProjectChrootBuildConfig> {
  const { project, chroot } = await loadProjectChroot(store, owner, projectName, chrootName);
  const coprTargets = await loadCoprTargets(store, [...project.additional_repos, ...chroot.additional_repos]);
  return projectChrootBuildConfig({ resultsBaseUrl, project, chroot, coprTargets });
}

function resetField(c: ProjectChroot, field: Resettable): void {
  switch (field) {
    case 'isolation':
      c.isolation = null;
      return;
    case 'bootstrap':
      c.bootstrap = null;
      c.bootstrap_image = null;
      return;
    case 'bootstrap_image':
      c.bootstrap_image = null;
      if (c.bootstrap === 'custom_image') c.bootstrap = null;
      return;
    default:
      c[field] = [];
  }
}

/** Applies the edit to a copy of the chroot; throws (400) before anything is written. */
export function applyChrootEdit(current: ProjectChroot, edit: ChrootEdit): ProjectChroot {
  const next: ProjectChroot = { ...current };
  for (const name of edit.reset_fields ?? []) {
    const field = RESET_NAMES[name];
    if (!field) throw badRequest(`Trying to reset an invalid attribute: ${name}`);
    resetField(next, field);
  }
  if (edit.additional_packages !== undefined) next.additional_packages = edit.additional_packages;
  if (edit.additional_repos !== undefined) next.additional_repos = edit.additional_repos;
  if (edit.additional_modules !== undefined) next.additional_modules = edit.additional_modules;
  if (edit.with_opts !== undefined) next.with_opts = edit.with_opts;
  if (edit.without_opts !== undefined) next.without_opts = edit.without_opts;
  if (edit.isolation !== undefined) next.isolation = edit.isolation === 'unchanged' ? null : edit.isolation;

  // An image alone means "use this image" (copr-cli always pairs it with custom_image).
  const bootstrap = edit.bootstrap ?? (edit.bootstrap_image !== undefined ? 'custom_image' : undefined);
  if (bootstrap !== undefined) {
    if (bootstrap === 'custom_image') {
      const image = edit.bootstrap_image ?? next.bootstrap_image;
      if (!image) throw fieldError('bootstrap_image', 'An image is required with bootstrap custom_image');
      next.bootstrap = 'custom_image';
      next.bootstrap_image = image;
    } else {
      next.bootstrap = bootstrap === 'unchanged' ? null : bootstrap;
      next.bootstrap_image = null;
    }
  }
  return next;
}

/** A comps file name is shown and used as a file name later: a plain base name only. */
export function checkComps(comps: ChrootComps): void {
  if (!/^[\w][\w.+-]{0,99}$/.test(comps.name)) throw fieldError('upload_comps', 'Invalid file name');
  if (Buffer.byteLength(comps.content, 'utf8') > MAX_COMPS_BYTES) throw fieldError('upload_comps', 'File is too large');
  if (comps.content.includes('\u0000') || comps.content.includes('\uFFFD')) {
    throw fieldError('upload_comps', 'The comps file must be UTF-8 text');
  }
}

export async function editProjectChroot(
  store: Store,
  caller: Caller,
  owner: string,
  projectName: string,
  chrootName: string,
  edit: ChrootEdit,
): Promise<ProjectChroot> {
  const { project, chroot } = await loadProjectChroot(store, owner, projectName, chrootName);
  await requireEdit(store, caller, project, 'modify chroots of this project');
  const next = applyChrootEdit(chroot, edit);
  if (edit.comps) checkComps(edit.comps);
  // Delete first, so a request with both a delete and an upload ends with the upload.
  if (edit.delete_comps) {
    await store.deleteComps(owner, projectName, chrootName);
    next.comps_name = null;
  }
  if (edit.comps) {
    await store.putComps(owner, projectName, chrootName, edit.comps);
    next.comps_name = edit.comps.name;
  }
  await store.putProjectChroot(next);
  return next;
}
