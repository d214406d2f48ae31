import { isOwnerOrMember, loadProject, requireEdit } from './access.js';
import { badRequest, forbidden, notFound } from './errors.js';
import type { Bootstrap, Caller, Isolation, Project, ProjectChroot, Storage } from './model.js';
import { assertOwnerName, assertProjectName } from './names.js';
import { AlreadyExists, type Clock, type Store } from './ports.js';
import { activeChrootNames } from './usable-chroots.js';

/** Project settings a client may set on add/edit (already shape-checked at the edge). */
export interface ProjectSettings {
  description?: string;
  instructions?: string;
  homepage?: string;
  contact?: string;
  additional_repos?: string[];
  runtime_dependencies?: string[];
  packit_forge_projects_allowed?: string[];
  unlisted_on_hp?: boolean;
  enable_net?: boolean;
  persistent?: boolean;
  auto_prune?: boolean;
  devel_mode?: boolean;
  bootstrap?: Bootstrap;
  isolation?: Isolation;
  follow_fedora_branching?: boolean;
  delete_after_days?: number;
  multilib?: boolean;
  module_hotfixes?: boolean;
  fedora_review?: boolean;
  appstream?: boolean;
  repo_priority?: number;
  storage?: Storage;
}

export interface NewProject extends ProjectSettings {
  name: string;
  chroots: string[];
}

export function newProjectChroot(owner: string, project: string, chroot: string): ProjectChroot {
  return {
    ownername: owner,
    projectname: project,
    mock_chroot: chroot,
    additional_packages: [],
    additional_repos: [],
    additional_modules: [],
    with_opts: [],
    without_opts: [],
    comps_name: null,
    isolation: null,
    bootstrap: null,
    bootstrap_image: null,
    delete_after_days: null,
    delete_after: null,
  };
}

/** The caller may create projects under `owner`: themselves, a group they're in, or anyone if admin. */
export async function checkOwner(store: Store, caller: Caller, owner: string): Promise<void> {
  assertOwnerName(owner);
  if (owner.startsWith('@')) {
    const group = await store.getGroup(owner.slice(1));
    if (!group) throw notFound(`Group ${owner.slice(1)} does not exist.`);
    if (!caller.user.admin && !caller.user.groups.includes(group.name)) {
      throw forbidden(`You are not a member of group ${owner.slice(1)}.`);
    }
    return;
  }
  if (caller.user.name === owner) return;
  if (!caller.user.admin) throw forbidden(`You can not create projects for user ${owner}.`);
  if (!(await store.getUser(owner))) throw notFound(`User ${owner} does not exist.`);
}

/** Active chroots only; unknown → 400 listing them (upstream's message). */
export async function validateChroots(store: Store, names: string[]): Promise<string[]> {
  if (names.length === 0) throw badRequest('None: At least one chroot must be selected');
  const active = await activeChrootNames(store);
  const unique = [...new Set(names)];
  const unknown = unique.filter((n) => !active.has(n));
  if (unknown.length > 0) throw badRequest(`Unexpected chroot: ${unknown.join(', ')}`);
  return unique;
}

/** Settings only site admins may change (upstream answers 403). */
function checkAdminOnly(caller: Caller, s: ProjectSettings, before: Project | null): void {
  if (caller.user.admin) return;
  if (s.persistent === true && !before?.persistent) throw forbidden('Only admins may create persistent projects.');
  if (s.auto_prune === false && before?.auto_prune !== false) throw forbidden('Only admins may disable auto-pruning.');
  if (s.storage !== undefined && s.storage !== (before?.storage ?? undefined)) {
    throw forbidden('Non-admin cannot set storage');
  }
}

function deleteAfter(days: number | null | undefined, nowMs: number): { days: number | null; at: number | null } {
  if (days === undefined || days === null || days < 0) return { days: null, at: null };
  return { days, at: Math.floor(nowMs / 1000) + days * 86_400 };
}

function applySettings(p: Project, s: ProjectSettings, nowMs: number): Project {
  const next: Project = { ...p };
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined || k === 'delete_after_days') continue;
    (next as unknown as Record<string, unknown>)[k] = v;
  }
  if (s.delete_after_days !== undefined) {
    const d = deleteAfter(s.delete_after_days, nowMs);
    next.delete_after_days = d.days;
    next.delete_after = d.at;
  }
  if (next.persistent && next.delete_after_days !== null) {
    throw badRequest("delete_after_days: Can't set delete_after_days for a persistent project");
  }
  return next;
}

/** A project with every setting at Copr's default (id assigned by the caller). */
export function projectDefaults(owner: string, name: string, createdOn: number, id = 0): Project {
  return {
    id,
    ownername: owner,
    name,
    description: null,
    instructions: null,
    homepage: null,
    contact: null,
    devel_mode: false,
    persistent: false,
    unlisted_on_hp: false,
    auto_prune: true,
    enable_net: false,
    bootstrap: 'default',
    isolation: 'default',
    module_hotfixes: false,
    appstream: false,
    follow_fedora_branching: true,
    multilib: false,
    fedora_review: false,
    additional_repos: [],
    runtime_dependencies: [],
    packit_forge_projects_allowed: [],
    repo_priority: null,
    storage: 'backend',
    delete_after_days: null,
    delete_after: null,
    webhook_secret: null,
    created_on: createdOn,
  };
}

export async function createProject(
  store: Store,
  clock: Clock,
  caller: Caller,
  owner: string,
  input: NewProject,
  existOk: boolean,
): Promise<Project> {
  assertProjectName(input.name);
  await checkOwner(store, caller, owner);
  const existing = await store.getProject(owner, input.name);
  if (existing) {
    if (existOk) return existing;
    throw duplicate(owner, input.name);
  }
  const chroots = await validateChroots(store, input.chroots);
  checkAdminOnly(caller, input, null);
  const base = projectDefaults(owner, input.name, Math.floor(clock.now() / 1000));
  const { name: _n, chroots: _c, ...settings } = input;
  void _n, _c;
  const project = applySettings(base, settings, clock.now());
  project.id = await store.nextId('project');
  try {
    await store.createProject(project, chroots.map((c) => newProjectChroot(owner, input.name, c)));
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    // Lost a race with a concurrent create of the same name.
    if (existOk) return (await store.getProject(owner, input.name)) ?? project;
    throw duplicate(owner, input.name);
  }
  return project;
}

function duplicate(owner: string, name: string) {
  return owner.startsWith('@')
    ? badRequest(`Group ${owner} already has a project named '${name}'.`)
    : badRequest(`You already have a project named '${name}'.`);
}

export async function editProject(
  store: Store,
  clock: Clock,
  caller: Caller,
  owner: string,
  name: string,
  settings: ProjectSettings,
  chroots?: string[],
): Promise<Project> {
  const project = await loadProject(store, owner, name);
  await requireEdit(store, caller, project);
  checkAdminOnly(caller, settings, project);
  const next = applySettings(project, settings, clock.now());
  if (chroots !== undefined) await replaceChroots(store, next, await validateChroots(store, chroots));
  await store.updateProject(next);
  return next;
}

/** Adds new chroots and removes dropped ones (data of dropped chroots stays until cleanup). */
async function replaceChroots(store: Store, project: Project, wanted: string[]): Promise<void> {
  const current = await store.listProjectChroots(project.ownername, project.name);
  const have = new Set(current.map((c) => c.mock_chroot));
  for (const c of wanted) {
    if (!have.has(c)) await store.putProjectChroot(newProjectChroot(project.ownername, project.name, c));
  }
  for (const c of current) {
    if (!wanted.includes(c.mock_chroot)) await store.deleteProjectChroot(project.ownername, project.name, c.mock_chroot);
  }
}

export async function deleteProject(store: Store, caller: Caller, owner: string, name: string): Promise<Project> {
  const project = await loadProject(store, owner, name);
  await requireEdit(store, caller, project, 'delete this project');
  if (project.persistent && !caller.user.admin) throw forbidden('Project is persistent, only admins can delete it.');
  await store.deleteProject(owner, name);
  return project;
}

export { isOwnerOrMember };
