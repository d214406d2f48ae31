import { isFinished } from './build-model.js';
import { closeTask } from './task-outcome.js';
import type { LifecycleDeps } from './lifecycle-deps.js';

/**
 * The reaper: a task whose builder stopped heartbeating goes back to the queue
 * (limited attempts) or fails with a reason; a task past its timeout fails. No
 * build stays `running` or `starting` forever.
 */
export interface ReaperSettings {
  /** A starting/running task without heartbeat for this long has lost its builder. */
  heartbeatTimeoutMs: number;
  maxAttempts: number;
}

export async function reap(
  deps: LifecycleDeps & { terminate(builderId: string): Promise<void> },
  settings: ReaperSettings,
): Promise<{ requeued: string[]; failed: string[]; closed: string[] }> {
  const now = deps.clock.now();
  const requeued: string[] = [];
  const failed: string[] = [];
  /** Tasks whose builder had reported before the task could be closed. */
  const closed: string[] = [];
  for (const task of await deps.builds.listActiveTasks()) {
    // The agent enforces the build timeout itself and keeps heartbeating until it
    // has reported; silence is the one sign of a lost builder.
    const lost = task.heartbeat_at !== null && now - task.heartbeat_at > settings.heartbeatTimeoutMs;
    if (!lost) continue;
    if (task.builder_id) await deps.terminate(task.builder_id).catch(() => undefined);
    const build = await deps.builds.getBuild(task.build_id);
    if (!build) {
      await deps.builds.finishTask(task.task_id, 'failed', ['starting', 'running']);
      continue;
    }
    const ctx = { task, build, project: await deps.store.getProject(build.ownername, build.projectname) };
    // The builder reported its outcome but the task was never closed (a crash in
    // between): close it with that outcome instead of building again.
    const recordedState = task.kind === 'rpm' ? (await deps.builds.getBuildChroot(build.id, task.chroot))?.state : build.source_status;
    if (recordedState && isFinished(recordedState)) {
      const outcome = (['succeeded', 'failed', 'canceled', 'skipped'] as const).find((o) => o === recordedState) ?? 'failed';
      if (await closeTask(deps, ctx, outcome, null)) closed.push(task.task_id);
      continue;
    }
    if (task.attempts + 1 < settings.maxAttempts && !task.cancel_requested && !build.canceled) {
      if (await deps.builds.requeueTask(task.task_id, task.heartbeat_at)) {
        if (task.kind === 'rpm') await deps.builds.chrootRequeued(build.id, task.chroot);
        else await deps.builds.sourceRequeued(build.id);
        requeued.push(task.task_id);
      }
      continue;
    }
    const canceled = task.cancel_requested || build.canceled;
    const reason = canceled ? 'Canceled; the builder stopped responding' : `The builder stopped responding (${task.attempts + 1} attempts)`;
    const outcome = canceled ? 'canceled' : 'failed';
    // Outcome first, then the task closes (closeTask): a crash in between leaves an
    // active task whose outcome the next pass finds recorded.
    if (await closeTask(deps, ctx, outcome, { reason, report: { status: outcome } })) failed.push(task.task_id);
  }
  if (requeued.length > 0) await deps.wake();
  return { requeued, failed, closed };
}
