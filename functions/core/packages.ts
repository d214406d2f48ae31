import { canEdit, loadProject } from './access.js';
import { badRequest, conflict, fieldError, forbidden, notFound } from './errors.js';
import { fnmatchRegex } from './fnmatch.js';
import type { Caller, Package, Project } from './model.js';
import { assertNameLength, assertPackageName } from './names.js';
import { AlreadyExists, type Store } from './ports.js';
import { isPackageSourceType, mergeStoredSource, normaliseSource, type DistgitInstance, type PackageSourceType } from './sources.js';
import { activeChrootNames } from './usable-chroots.js';

/**
 * Package rules (spec §2.6): who may change packages, how add and edit turn client
 * input into a stored Package, and what reset/delete leave behind. Input shapes are
 * checked at the edge; the source fields are checked by sources.ts.
 */

/** Package-level settings; undefined = not sent (edit keeps the stored value). */
export interface PackageSettings {
  auto_rebuild?: boolean;
  /** Keep the N newest builds; null = unlimited. */
  max_builds?: number | null;
  timeout?: number | null;
  /** Comma separated fnmatch patterns as sent; '' clears the list. */
  chroot_denylist?: string;
}

export interface PackageInput {
  /** The `{source_type}` path segment (undefined on the edit route without it). */
  sourceType: string | undefined;
  /** The request body: source fields under client or stored names, nulls = not sent. */
  source: Record<string, unknown>;
  settings: PackageSettings;
}

export const MAX_UNPAGINATED_PACKAGES = 10_000;

export function packageNotFound(name: string, projectname: string) {
  return notFound(`No package with name ${name} in copr ${projectname}`);
}

async function requirePackageEdit(store: Store, caller: Caller, project: Project): Promise<void> {
  if (!(await canEdit(store, caller.user, project))) {
    throw forbidden('You are not allowed to add or edit packages in this copr.');
  }
}

export async function loadPackage(store: Store, project: Project, name: string): Promise<Package> {
  assertNameLength('package_name', 'package', name);
  const pkg = await store.getPackage(project.ownername, project.name, name);
  if (!pkg) throw packageNotFound(name, project.name);
  return pkg;
}

function checkSourceType(text: string): PackageSourceType {
  if (!isPackageSourceType(text)) throw badRequest(`Unsupported package source type ${text}`);
  return text;
}

/**
 * Denylist patterns must each match a chroot of the project, and together must not
 * exclude all of them (a package that can build nowhere is a mistake, not a wish).
 */
export async function parseChrootDenylist(store: Store, project: Project, raw: string): Promise<string[]> {
  const patterns = [...new Set(raw.split(',').map((p) => p.trim()).filter(Boolean))];
  if (patterns.length === 0) return [];
  const chroots = (await store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot);
  const denied = new Set<string>();
  for (const p of patterns) {
    if (p.length > 100 || !/^[a-z0-9_.*?[\]!-]+$/.test(p)) {
      throw fieldError('chroot_denylist', `Pattern '${p}' is not a valid chroot pattern`);
    }
    const re = fnmatchRegex(p);
    const hits = chroots.filter((c) => re.test(c));
    if (hits.length === 0) throw fieldError('chroot_denylist', `Pattern '${p}' does not match any chroot of this project`);
    for (const h of hits) denied.add(h);
  }
  if (denied.size === chroots.length) {
    throw fieldError('chroot_denylist', 'The patterns exclude every chroot of this project');
  }
  return patterns;
}


/** Deployment settings source validation needs. */
export interface PackageSourceSettings {
  /** The DistGit instances offered (default: upstream's). */
  distgitInstances?: readonly DistgitInstance[];
}

async function buildSource(store: Store, type: PackageSourceType, name: string, input: Record<string, unknown>, settings: PackageSourceSettings) {
  const activeChroots = type === 'custom' ? [...(await activeChrootNames(store))] : undefined;
  return normaliseSource(type, input, { packageName: name, activeChroots, distgitInstances: settings.distgitInstances });
}

/** The project, once the caller may edit its packages. */
async function editableProject(store: Store, caller: Caller, owner: string, projectname: string): Promise<Project> {
  const project = await loadProject(store, owner, projectname);
  await requirePackageEdit(store, caller, project);
  return project;
}

async function editablePackage(store: Store, caller: Caller, owner: string, projectname: string, name: string): Promise<{ project: Project; current: Package }> {
  const project = await editableProject(store, caller, owner, projectname);
  return { project, current: await loadPackage(store, project, name) };
}

export async function addPackage(
  store: Store,
  caller: Caller,
  owner: string,
  projectname: string,
  name: string,
  input: PackageInput,
  settings: PackageSourceSettings = {},
): Promise<Package> {
  const project = await editableProject(store, caller, owner, projectname);
  const type = checkSourceType(input.sourceType ?? '');
  assertPackageName(name);
  const source_dict = await buildSource(store, type, name, input.source, settings);
  const denylist = await parseChrootDenylist(store, project, input.settings.chroot_denylist ?? '');
  if (await store.getPackage(owner, projectname, name)) throw duplicate(project, name);
  const pkg: Package = {
    id: await store.nextId('package'),
    name,
    ownername: owner,
    projectname,
    source_type: type,
    source_dict,
    auto_rebuild: input.settings.auto_rebuild ?? false,
    max_builds: input.settings.max_builds ?? null,
    timeout: input.settings.timeout ?? null,
    chroot_denylist: denylist,
  };
  try {
    await store.createPackage(pkg);
  } catch (err) {
    // A concurrent add of the same name won the conditional write.
    if (err instanceof AlreadyExists) throw duplicate(project, name);
    throw err;
  }
  return pkg;
}

function duplicate(project: Project, name: string) {
  return conflict(`Project dir ${project.ownername}/${project.name} already has a package '${name}'`);
}

/**
 * Edit merges: source fields and settings that are not sent keep their stored
 * values. The stored source is merged only when the source type stays the same;
 * switching type starts from the new type's defaults.
 */
export async function editPackage(
  store: Store,
  caller: Caller,
  owner: string,
  projectname: string,
  name: string,
  input: PackageInput,
  settings: PackageSourceSettings = {},
): Promise<Package> {
  const { project, current } = await editablePackage(store, caller, owner, projectname, name);
  // python-copr formats a missing source type into the URL as the string `None`.
  const requested = input.sourceType === undefined || input.sourceType === 'None' ? current.source_type : input.sourceType;
  const type = checkSourceType(requested);
  const merged = type === current.source_type ? mergeStoredSource(current.source_dict, input.source) : input.source;
  const source_dict = await buildSource(store, type, name, merged, settings);
  const s = input.settings;
  const next: Package = {
    ...current,
    source_type: type,
    source_dict,
    auto_rebuild: s.auto_rebuild ?? current.auto_rebuild,
    max_builds: s.max_builds !== undefined ? s.max_builds : current.max_builds,
    timeout: s.timeout !== undefined ? s.timeout : current.timeout,
    chroot_denylist:
      s.chroot_denylist !== undefined ? await parseChrootDenylist(store, project, s.chroot_denylist) : current.chroot_denylist,
  };
  await store.updatePackage(next);
  return next;
}

/** Clears the source (type `unset`); settings and builds stay. */
export async function resetPackage(store: Store, caller: Caller, owner: string, projectname: string, name: string): Promise<Package> {
  const { current } = await editablePackage(store, caller, owner, projectname, name);
  const next: Package = { ...current, source_type: 'unset', source_dict: {} };
  await store.updatePackage(next);
  return next;
}

/** Removes the package and returns it as it was. */
export async function deletePackage(store: Store, caller: Caller, owner: string, projectname: string, name: string): Promise<Package> {
  const { current } = await editablePackage(store, caller, owner, projectname, name);
  await store.deletePackage(owner, projectname, name);
  return current;
}
