import type { Task } from './build-model.js';
import type { BuildDeps } from './builds.js';
import { emitSafely, type CoprEvent } from './events.js';
import type { Ports } from './ports.js';

/**
 * What the build lifecycle needs of the ports. The lifecycle is split by job:
 * - functions/core/builder-session.ts: a builder's credential, its task, start and heartbeats;
 * - functions/core/task-outcome.ts: the final report and the one close step;
 * - functions/core/reaper.ts: tasks whose builder went silent.
 * Every transition is a conditional write, so a retried or late report is a no-op.
 */
export type LifecycleDeps = BuildDeps & Pick<Ports, 'results' | 'events' | 'publish' | 'log'> & { resultsBaseUrl: string };

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** Notifications never hold up or fail a build (functions/core/events.ts emitSafely). */
export function notify(deps: LifecycleDeps, task: Task, make: () => CoprEvent): Promise<void> {
  return emitSafely(deps, make, { build_id: task.build_id, task_id: task.task_id });
}

