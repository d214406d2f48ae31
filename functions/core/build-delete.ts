import { canEdit } from './access.js';
import { deleteUploadOf } from './uploads.js';
import { isFinished, type Build, type BuildChroot } from './build-model.js';
import { buildState } from './build-state.js';
import { badRequest, CoprError, forbidden, notFound, serverError } from './errors.js';
import type { Caller, Project } from './model.js';
import { rpmResultPrefix, srpmResultPrefix } from './results-store.js';
import type { LifecycleDeps } from './task-lifecycle.js';

/**
 * Deleting builds (spec §2.4): only people who may edit the project, never in a
 * persistent project, only finished builds (upstream answers 500 for unfinished
 * ones; we keep that status). The rows go first; then the SRPM results and, per
 * chroot, a republish that drops the build from the repository. The publisher
 * removes a published result dir only after new metadata is live (spec §4.9), so
 * dnf never sees metadata naming deleted RPMs.
 */

export type DeleteDeps = Pick<LifecycleDeps, 'store' | 'builds' | 'results' | 'publish'>;

export interface BuildSnapshot {
  build: Build;
  chroots: BuildChroot[];
}

type Problem = 'missing' | 'forbidden' | 'persistent' | 'unfinished';

interface Checked {
  snapshot?: BuildSnapshot & { project: Project };
  problem?: Problem;
}

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

async function remove(deps: DeleteDeps, s: BuildSnapshot & { project: Project }): Promise<void> {
  const { build, chroots, project } = s;
  await deps.builds.deleteBuild(build.id);
  // Trailing slash: a prefix must not reach a neighbour whose id shares the digits.
  await deps.results.deletePrefix(`${srpmResultPrefix(build.ownername, build.project_dirname, build.id)}/`);
  await deleteUploadOf(deps.results, build);
  for (const c of chroots) {
    if (!c.result_dir) continue;
    // Results that never reached a repository can go at once; published ones are
    // removed by the publisher after the metadata no longer names them.
    if (c.state !== 'succeeded' && c.state !== 'forked') {
      await deps.results.deletePrefix(`${rpmResultPrefix(build.ownername, build.project_dirname, c.name, c.result_dir)}/`);
    }
    await deps.publish({
      owner: build.ownername,
      dirname: build.project_dirname,
      chroot: c.name,
      adds: [],
      deletes: [c.result_dir],
      devel: project.devel_mode,
    });
  }
}

/** Deletes one build; returns what it was (the API answers with the pre-deletion Build). */
export async function deleteBuild(deps: DeleteDeps, caller: Caller, id: number): Promise<BuildSnapshot> {
  const c = await check(deps, caller, id);
  if (!c.snapshot) throw errorFor(c.problem!, id);
  await remove(deps, c.snapshot);
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
  for (const c of checked) await remove(deps, c.snapshot!);
  return ids;
}
