import { loadProject, requireEdit } from './access.js';
import type { EnqueueDeps } from './action-ports.js';
import { enqueueChrootRemoval, enqueueCreaterepo, enqueueFork, enqueueProjectDeletion } from './actions.js';
import { emitSafely, newEvent } from './events.js';
import { forkProject, type ForkTarget } from './fork.js';
import type { Caller, Project } from './model.js';
import type { Ports } from './ports.js';
import { createProject, deleteProject, editProject, type NewProject, type ProjectSettings } from './projects.js';

/**
 * Project changes with their consequences: the notification each one emits and
 * the actions it queues (removing a deleted project's builds and results, a dropped
 * chroot's repositories, copying builds into a fork, regenerating repositories).
 * The API only parses the request and calls these.
 */
export type ProjectFlowDeps = EnqueueDeps & Pick<Ports, 'events' | 'log'>;

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
  if (!existed) await notifyProject(deps, 'project.created', p);
  return p;
}

/** `change.chroots`, when given, is the whole new list: chroots not in it are dropped. */
export async function editProjectFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string, change: { settings: ProjectSettings; chroots?: string[] }): Promise<Project> {
  const { settings, chroots } = change;
  const before = chroots ? await deps.store.listProjectChroots(owner, name) : [];
  const p = await editProject(deps.store, deps.clock, caller, owner, name, settings, chroots);
  // Dropped chroots: their repositories go after a grace period (re-adding in time keeps them).
  for (const c of before) {
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
  const { source, project } = await forkProject(deps.store, deps.clock, caller, owner, name, target);
  await enqueueFork(deps, source, project);
  return project;
}

export async function regenerateReposFlow(deps: ProjectFlowDeps, caller: Caller, owner: string, name: string): Promise<Project> {
  const p = await loadProject(deps.store, owner, name);
  await requireEdit(deps.store, caller, p);
  await enqueueCreaterepo(deps, p);
  return p;
}
