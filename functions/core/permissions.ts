import { canBuild, isOwnerOrMember, loadProject, requireEdit } from './access.js';
import { badRequest, notFound } from './errors.js';
import type { Caller, PermissionRole, PermissionValue, Project, ProjectPermission } from './model.js';
import type { Store } from './ports.js';

/**
 * Project permissions (spec §2.9): users other than the owner get `admin` (edit) or
 * `builder` (build) roles, each `nothing` → `request` → `approved`. Editors set them,
 * anyone logged in may request or drop their own.
 */

export type RoleChanges = Partial<Record<PermissionRole, PermissionValue>>;

/** DynamoDB transactions take at most 100 items; a bigger change is refused up front. */
export const MAX_USERS_PER_SET = 100;

function fullName(p: Project): string {
  return `${p.ownername}/${p.name}`;
}

function emptyPermission(p: Project, username: string): ProjectPermission {
  return { ownername: p.ownername, projectname: p.name, username, admin: 'nothing', builder: 'nothing' };
}

export async function getPermissions(
  store: Store,
  caller: Caller,
  owner: string,
  projectName: string,
): Promise<Record<string, { admin: PermissionValue; builder: PermissionValue }>> {
  const project = await loadProject(store, owner, projectName);
  await requireEdit(store, caller, project, 'see permissions of this project');
  const perms = await store.listPermissions(owner, projectName);
  if (perms.length === 0) throw notFound(`No permissions set on ${fullName(project)} project`);
  const out: Record<string, { admin: PermissionValue; builder: PermissionValue }> = {};
  for (const p of [...perms].sort((a, b) => a.username.localeCompare(b.username))) {
    out[p.username] = { admin: p.admin, builder: p.builder };
  }
  return out;
}

/** Sets roles of several users in one write; returns the users whose roles changed. */
export async function setPermissions(
  store: Store,
  caller: Caller,
  owner: string,
  projectName: string,
  changes: Record<string, RoleChanges>,
): Promise<string[]> {
  const users = Object.keys(changes);
  if (users.length === 0) throw badRequest('No permission change requested');
  if (users.length > MAX_USERS_PER_SET) throw badRequest(`At most ${MAX_USERS_PER_SET} users per request`);
  const project = await loadProject(store, owner, projectName);
  await requireEdit(store, caller, project, 'change permissions of this project');
  const writes: ProjectPermission[] = [];
  // Check every user before writing anything: all or nothing.
  for (const username of users.sort()) {
    const user = await store.getUser(username);
    if (!user) throw badRequest(`User '${username}' does not exist`);
    if (!owner.startsWith('@') && username === owner) {
      throw badRequest(`User '${username}' is the owner of ${fullName(project)}`);
    }
    const before = (await store.getPermission(owner, projectName, username)) ?? emptyPermission(project, username);
    const after: ProjectPermission = { ...before, ...changes[username] };
    if (after.admin !== before.admin || after.builder !== before.builder) writes.push(after);
  }
  await store.putPermissions(writes);
  return writes.map((w) => w.username);
}

/** `true` asks for the role, `false` drops it (or withdraws a request). */
export async function requestPermissions(
  store: Store,
  caller: Caller,
  owner: string,
  projectName: string,
  roles: Partial<Record<PermissionRole, boolean>>,
): Promise<boolean> {
  if (Object.keys(roles).length === 0) throw badRequest('No permission requested');
  const project = await loadProject(store, owner, projectName);
  const me = caller.user.name;
  if (isOwnerOrMember(caller.user, project.ownername)) {
    throw badRequest(`User '${me}' is the owner of ${fullName(project)}`);
  }
  const before = (await store.getPermission(owner, projectName, me)) ?? emptyPermission(project, me);
  const after: ProjectPermission = { ...before };
  for (const [role, wanted] of Object.entries(roles) as Array<[PermissionRole, boolean]>) {
    if (wanted && before[role] === 'approved') throw badRequest(`You already are '${role}' in ${fullName(project)}`);
    after[role] = wanted ? 'request' : 'nothing';
  }
  const changed = after.admin !== before.admin || after.builder !== before.builder;
  if (changed) await store.putPermissions([after]);
  return changed;
}

export async function canBuildIn(
  store: Store,
  who: string,
  owner: string,
  projectName: string,
): Promise<boolean> {
  const user = await store.getUser(who);
  if (!user) throw notFound(`User ${who} does not exist.`);
  const project = await loadProject(store, owner, projectName);
  return canBuild(store, user, project);
}
