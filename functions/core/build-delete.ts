import { canEdit } from './access.js';
import { isFinished, type Build, type BuildChroot } from './build-model.js';
import { buildState } from './build-state.js';
import { badRequest, CoprError, forbidden, notFound, serverError } from './errors.js';
import type { Caller, Project } from './model.js';
import { deleteBuildsOf } from './cleanup.js';
import type { LifecycleDeps } from './task-lifecycle.js';

/**
 * Deleting builds (spec §2.4): only people who may edit the project, never in a
 * persistent project, only finished builds (upstream answers 500 for unfinished
 * ones; we keep that status). What goes and in which order is cleanup.ts's
 * `deleteBuildsOf`: a republish per chroot drops the build from the repository
 * (the publisher removes published result dirs after new metadata is live), then
 * the SRPM results and the rows.
 */

export type DeleteDeps = Pick<LifecycleDeps, 'store' | 'builds' | 'results' | 'publish'>;

export interface BuildSnapshot {
  build: Build;
  chroots: BuildChroot[];
}

type Problem = 'missing' | 'forbidden' | 'persistent' | 'unfinished';

type Checked = { snapshot: BuildSnapshot & { project: Project }; problem?: undefined } | { snapshot?: undefined; problem: Problem };

async function check(deps: DeleteDeps, caller: Caller, id: number): Promise<Checked> {
  const build = await deps.builds.getBuild(id);
  if (!build) return { problem: 'missing' };
  const project = await deps.store.getProject(build.ownername, build.projectname);
  if (!project) return { problem: 'missing' };
  if (!(await canEdit(deps.store, caller.user, project))) return { problem: 'forbidden' };
  if (project.persistent) return { problem: 'persistent' };
  const chroots = await deps.builds.listBuildChroots(id);
  if (!isFinished(buildState(build, chroots))) return { problem: 'unfinished' };
  return { snapshot: { build, chroots, project } };
}

function errorFor(problem: Problem, id: number): CoprError {
  switch (problem) {
    case 'missing':
      return notFound(`Build ${id} does not exist.`);
    case 'forbidden':
      return forbidden(`You are not allowed to delete build ${id}.`);
    case 'persistent':
      return forbidden(`Build ${id} belongs to a persistent project and cannot be deleted.`);
    case 'unfinished':
      return serverError(`Cannot delete build ${id}: it is not finished yet (cancel it first).`);
  }
}

const REASONS: Record<Problem, string> = {
  missing: 'Builds that do not exist',
  forbidden: 'Builds you are not allowed to delete',
  persistent: 'Builds in persistent projects',
  unfinished: 'Builds that are not finished yet',
};

/** Deletes one build; returns what it was (the API answers with the pre-deletion Build). */
export async function deleteBuild(deps: DeleteDeps, caller: Caller, id: number): Promise<BuildSnapshot> {
  const c = await check(deps, caller, id);
  if (c.problem) throw errorFor(c.problem, id);
  await deleteBuildsOf(deps, c.snapshot.project, [c.snapshot]);
  return { build: c.snapshot.build, chroots: c.snapshot.chroots };
}

/**
 * Deletes several builds, all or nothing: any problem → 400 listing the ids per
 * reason, and nothing is deleted.
 */
export async function deleteBuilds(deps: DeleteDeps, caller: Caller, ids: number[]): Promise<number[]> {
  const unique = [...new Set(ids)];
  const checked = await Promise.all(unique.map(async (id) => ({ id, ...(await check(deps, caller, id)) })));
  const problems = new Map<Problem, number[]>();
  for (const c of checked) if (c.problem) problems.set(c.problem, [...(problems.get(c.problem) ?? []), c.id]);
  if (problems.size > 0) {
    const lines = [...problems].map(([p, list]) => `${REASONS[p]}: ${list.join(', ')}`);
    throw badRequest(lines.join('\n'));
  }
  // Grouped per project: one republish per repository, however many builds leave it.
  const perProject = new Map<number, { project: Project; builds: BuildSnapshot[] }>();
  for (const { snapshot } of checked) {
    if (!snapshot) continue;
    const entry = perProject.get(snapshot.project.id) ?? { project: snapshot.project, builds: [] };
    entry.builds.push(snapshot);
    perProject.set(snapshot.project.id, entry);
  }
  for (const { project, builds } of perProject.values()) await deleteBuildsOf(deps, project, builds);
  return ids;
}
