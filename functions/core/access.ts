import { forbidden, notFound } from './errors.js';
import { assertNameLength } from './names.js';
import type { Caller, Project, ProjectPermission, User } from './model.js';
import type { Store } from './ports.js';

/**
 * Authorization rules, as Copr applies them:
 * - edit (admin of the project): owner, member of the owning group, site admin, or
 *   a user with the `admin` permission approved;
 * - build: everyone who can edit, plus `builder` approved.
 */
export function isOwnerOrMember(user: User, ownername: string): boolean {
  if (ownername.startsWith('@')) return user.groups.includes(ownername.slice(1));
  return user.name === ownername;
}

export function canEditWith(user: User, project: Project, perm: ProjectPermission | null): boolean {
  return user.admin || isOwnerOrMember(user, project.ownername) || perm?.admin === 'approved';
}

export function canBuildWith(user: User, project: Project, perm: ProjectPermission | null): boolean {
  return canEditWith(user, project, perm) || perm?.builder === 'approved';
}

export async function canEdit(store: Store, user: User, project: Project): Promise<boolean> {
  if (user.admin || isOwnerOrMember(user, project.ownername)) return true;
  return canEditWith(user, project, await store.getPermission(project.ownername, project.name, user.name));
}

export async function canBuild(store: Store, user: User, project: Project): Promise<boolean> {
  if (user.admin || isOwnerOrMember(user, project.ownername)) return true;
  return canBuildWith(user, project, await store.getPermission(project.ownername, project.name, user.name));
}

export async function requireEdit(store: Store, caller: Caller, project: Project, what = 'modify this project'): Promise<void> {
  if (!(await canEdit(store, caller.user, project))) {
    throw forbidden(`Only owners and admins may ${what}.`);
  }
}

/**
 * Deleting a project: owner, member of the owning group, or site admin. The
 * project's `admin` permission is not enough (Copr ignores it for deletion).
 */
export function requireDeleteProject(caller: Caller, project: Project): void {
  if (!caller.user.admin && !isOwnerOrMember(caller.user, project.ownername)) {
    throw forbidden('Only owners may delete their projects.');
  }
}

export async function requireBuild(store: Store, caller: Caller, project: Project): Promise<void> {
  if (!(await canBuild(store, caller.user, project))) {
    throw forbidden(`You don't have permissions to build in this copr.`);
  }
}

export function projectNotFound(owner: string, name: string) {
  return notFound(`Project ${owner}/${name} does not exist.`);
}

export async function loadProject(store: Store, owner: string, name: string): Promise<Project> {
  // Names longer than Copr allows can name nothing; they never reach a store key.
  assertNameLength('ownername', 'owner', owner);
  assertNameLength('projectname', 'project', name);
  const project = await store.getProject(owner, name);
  if (!project) throw projectNotFound(owner, name);
  return project;
}
