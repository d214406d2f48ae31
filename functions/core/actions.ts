import type { Action, ActionData, ActionDeps, CreaterepoData, DeleteProjectData, EnqueueDeps, ForkData, RemoveChrootData } from './action-ports.js';
import { deleteBuildsOf, projectDirnames, removeChrootData, removeProjectData, withChroots } from './cleanup.js';
import { copyForkedBuild, forkPublishes, planFork } from './fork-builds.js';
import type { Project } from './model.js';

/**
 * Project actions: enqueuing (what API routes call) and executing one attempt
 * (what the runner calls, functions/core/action-runner.ts). Every execution is
 * idempotent: the runner delivers at least once, so an attempt may repeat work an
 * earlier, interrupted attempt already did.
 */

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** Writes a pending action, due now (or after `delayMs`), and wakes the runner. */
export async function enqueueAction(deps: EnqueueDeps, owner: string, project: string, data: ActionData, delayMs = 0): Promise<Action> {
  const now = deps.clock.now();
  const action: Action = {
    id: await deps.store.nextId('action'),
    ownername: owner,
    projectname: project,
    data,
    state: 'pending',
    attempts: 0,
    created_on: epochSeconds(now),
    started_on: null,
    ended_on: null,
    due_at: now + delayMs,
    error: null,
    result: null,
  };
  await deps.actions.createAction(action);
  // The table is the source of truth; a lost wake-up only delays the action until the next poll.
  await deps.wake().catch(() => undefined);
  return action;
}

export const enqueueProjectDeletion = (deps: EnqueueDeps, p: Project) =>
  enqueueAction(deps, p.ownername, p.name, { kind: 'delete-project', project_id: p.id });

export const enqueueFork = (deps: EnqueueDeps, src: Project, dst: Project) =>
  enqueueAction(deps, dst.ownername, dst.name, { kind: 'fork', source_owner: src.ownername, source_project: src.name, plan: null });

export const enqueueCreaterepo = (deps: EnqueueDeps, p: Project, chroots: string[] | null = null) =>
  enqueueAction(deps, p.ownername, p.name, { kind: 'createrepo', chroots });

/** How long the data of a chroot dropped from a project is kept (re-adding it in time keeps it). */
export const CHROOT_REMOVAL_DELAY_MS = 7 * 86_400_000;

export const enqueueChrootRemoval = (deps: EnqueueDeps, p: Pick<Project, 'ownername' | 'name'>, chroot: string, delayMs = CHROOT_REMOVAL_DELAY_MS) =>
  enqueueAction(deps, p.ownername, p.name, { kind: 'remove-chroot', chroot }, delayMs);

/** The attempt no longer owns the action (its lease ran out and another runner took over). */
export class LostClaimError extends Error {
  constructor(id: number) {
    super(`action ${id}: the attempt lost its claim`);
    this.name = 'LostClaimError';
  }
}

async function deleteProjectResults(deps: ActionDeps, a: Action, data: DeleteProjectData): Promise<Record<string, unknown>> {
  const current = await deps.store.getProject(a.ownername, a.projectname);
  const builds = await deps.builds.listProjectBuilds(a.ownername, a.projectname);
  if (current === null || current.id === data.project_id) {
    const removed = await removeProjectData(deps, a.ownername, a.projectname, builds);
    return { deleted_builds: builds.length, removed_dirs: removed };
  }
  // Re-created under the same name: only the old project's builds go, through the
  // new project's repositories (they share the dirs).
  const old = builds.filter((b) => b.submitted_on <= a.created_on);
  await deleteBuildsOf(deps, current, await withChroots(deps, old));
  return { deleted_builds: old.length, removed_dirs: [] };
}

async function forkBuilds(deps: ActionDeps, a: Action, data: ForkData): Promise<Record<string, unknown>> {
  const dst = await deps.store.getProject(a.ownername, a.projectname);
  if (!dst) return { skipped: 'the destination project no longer exists' };
  let plan = data.plan;
  if (plan === null) {
    const src = await deps.store.getProject(data.source_owner, data.source_project);
    if (!src) return { skipped: 'the source project no longer exists' };
    plan = await planFork(deps, src, dst);
    // Stored before copying: a retry copies the same builds under the same ids.
    if (!(await deps.actions.saveActionData(a.id, a.attempts, { ...data, plan }))) throw new LostClaimError(a.id);
  }
  const src = { ownername: data.source_owner, name: data.source_project };
  for (const item of plan) await copyForkedBuild(deps, src, dst, item);
  // Publishing signs the copies with the destination's key (they carry the source's).
  for (const p of forkPublishes(plan)) {
    await deps.publish({ owner: dst.ownername, dirname: dst.name, chroot: p.chroot, adds: p.adds, devel: dst.devel_mode });
  }
  return { forked_builds: plan.map((i) => ({ from: i.source_build_id, to: i.build_id, chroots: i.chroots.map((c) => c.name) })) };
}

async function createrepo(deps: ActionDeps, a: Action, data: CreaterepoData): Promise<Record<string, unknown>> {
  const project = await deps.store.getProject(a.ownername, a.projectname);
  if (!project) return { skipped: 'the project no longer exists' };
  const chroots = data.chroots ?? (await deps.store.listProjectChroots(a.ownername, a.projectname)).map((c) => c.mock_chroot);
  const dirnames = projectDirnames(a.projectname, await deps.builds.listProjectBuilds(a.ownername, a.projectname));
  // The public repodata (also of devel_mode projects: regenerate is how it gets refreshed).
  for (const dirname of dirnames) {
    for (const chroot of chroots) await deps.publish({ owner: a.ownername, dirname, chroot, adds: [], full: true, devel: false });
  }
  return { regenerated: dirnames.flatMap((d) => chroots.map((c) => `${d}/${c}`)) };
}

async function removeChroot(deps: ActionDeps, a: Action, data: RemoveChrootData): Promise<Record<string, unknown>> {
  // Enabled again since the removal was asked for: its data is wanted.
  if (await deps.store.getProjectChroot(a.ownername, a.projectname, data.chroot)) return { skipped: `${data.chroot} is enabled again` };
  return { removed: await removeChrootData(deps, a.ownername, a.projectname, data.chroot) };
}

/** Runs one attempt of `action` (claimed by the caller); returns what it did. */
export async function executeAction(deps: ActionDeps, action: Action): Promise<Record<string, unknown>> {
  const d = action.data;
  switch (d.kind) {
    case 'delete-project':
      return deleteProjectResults(deps, action, d);
    case 'fork':
      return forkBuilds(deps, action, d);
    case 'createrepo':
      return createrepo(deps, action, d);
    case 'remove-chroot':
      return removeChroot(deps, action, d);
  }
}
