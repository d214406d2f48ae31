import type { LifecycleDeps } from './lifecycle-deps.js';
import { closeTask } from './task-outcome.js';

/**
 * A task whose builder launches keep failing (an AMI that is gone, a launch template
 * the account may not use, an instance type no subnet offers) would otherwise wait
 * out a capped backoff and try again forever, its build `pending` for good. After
 * the dispatcher's bounded number of failed launches it fails instead, with the
 * reason in the build (and chroot) the user sees. It is still the dispatcher's claim
 * (state `starting`, its builder id), so it ends the way a reaped task does.
 */
export async function failUnlaunchableTask(deps: LifecycleDeps, taskId: string, builderId: string, reason: string): Promise<boolean> {
  const task = await deps.builds.getTask(taskId);
  // Only this pass's claim: never a task that was released, reaped or taken meanwhile.
  if (!task || task.state !== 'starting' || task.builder_id !== builderId) return false;
  // A warm builder's record was born with the claim; no builder will ever use it.
  await deps.builds.retireBuilder(builderId);
  const build = await deps.builds.getBuild(task.build_id);
  if (!build) return deps.builds.finishTask(task.task_id, 'failed', ['starting']);
  const project = await deps.store.getProject(build.ownername, build.projectname);
  return closeTask(deps, { task, build, project }, 'failed', { reason, report: { status: 'failed' } });
}
