import { loadProject, requireEdit } from './access.js';
import type { EnqueueDeps } from './action-ports.js';
import { enqueueChrootRemoval, enqueueCreaterepo, enqueueFork, enqueueProjectDeletion } from './actions.js';
import { emitSafely, newEvent } from './events.js';
import { forkProject, type ForkTarget } from './fork.js';
import { chrootsToPublishAfterEdit, publishProjectRepos } from './initial-repos.js';
import type { Caller, Project } from './model.js';
import type { Ports } from './ports.js';
import { createProject, deleteProject, editProject, type NewProject, type ProjectSettings } from './projects.js';

/**
 * Project changes with their consequences: the notification each one emits and
 * the actions it queues (removing a deleted project's builds and results, a dropped
 * chroot's repositories, copying builds into a fork, regenerating repositories) and
 * the publish requests that create new chroots' empty signed repositories.
 * The API only parses the request and calls these.
 */
export type ProjectFlowDeps = EnqueueDeps & Pick<Ports, 'events' | 'log' | 'publish'>;

type ProjectEvent = 'project.created' | 'project.updated' | 'project.deleted';

function notifyProject(deps: ProjectFlowDeps, type: ProjectEvent, p: Project): Promise<void> {
  const base = { ownername: p.ownername, projectname: p.name, project_id: p.id };
  return emitSafely(
    deps,
    () => newEvent(type === 'project.deleted' ? { type, ...base, reason: 'user' } : { type, ...base }, deps.clock.now()),
    { owner: p.ownername, project: p.name },
  );
}

export async function createProjectFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, input: NewProject, existOk: boolean): Promise<Project> {
  const existed = existOk && (await deps.store.getProject(owner, input.name)) !== null;
  const p = await createProject(deps.store, deps.clock, caller, owner, input, existOk);
  if (!existed) {
    await notifyProject(deps, 'project.created', p);
    await publishProjectRepos(deps.publish, p, input.chroots);
  }
  return p;
}

/** `change.chroots`, when given, is the whole new list: chroots not in it are dropped. */
export async function editProjectFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string, change: { settings: ProjectSettings; chroots?: string[] }): Promise<Project> {
  const { settings, chroots } = change;
  const before = await deps.store.listProjectChroots(owner, name);
  const wasDevel = (await deps.store.getProject(owner, name))?.devel_mode === true;
  const p = await editProject(deps.store, deps.clock, caller, owner, name, settings, chroots);
  // New chroots get their empty repositories; leaving devel mode republishes every main one.
  const now = (await deps.store.listProjectChroots(p.ownername, p.name)).map((c) => c.mock_chroot);
  const had = { devel_mode: wasDevel, chroots: before.map((c) => c.mock_chroot) };
  await publishProjectRepos(deps.publish, p, chrootsToPublishAfterEdit(had, { devel_mode: p.devel_mode, chroots: now }));
  // Dropped chroots: their repositories go after a grace period (re-adding in time keeps them).
  for (const c of chroots ? before : []) {
    if (!chroots?.includes(c.mock_chroot)) await enqueueChrootRemoval(deps, p, c.mock_chroot);
  }
  await notifyProject(deps, 'project.updated', p);
  return p;
}

export async function deleteProjectFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string): Promise<Project> {
  const project = await deleteProject(deps.store, caller, owner, name);
  // Builds and results go in a queued action (GET /api_3/project/actions/...).
  await enqueueProjectDeletion(deps, project);
  await notifyProject(deps, 'project.deleted', project);
  return project;
}

/** The destination project; its builds are copied by a queued `fork` action. */
export async function forkProjectFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string, target: ForkTarget): Promise<Project> {
  const { source, project, created } = await forkProject(deps.store, deps.clock, caller, owner, name, target);
  // A new fork's repositories exist (empty, signed with its own key) before its copies land.
  if (created) await publishProjectRepos(deps.publish, project, (await deps.store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot));
  await enqueueFork(deps, source, project);
  return project;
}

export async function regenerateReposFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string): Promise<Project> {
  const p = await loadProject(deps.store, owner, name);
  await requireEdit(deps.store, caller, p);
  await enqueueCreaterepo(deps, p);
  return p;
}
