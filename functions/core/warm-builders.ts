import { timingSafeEqual } from 'node:crypto';
import type { BuildStore } from './build-ports.js';
import { decodeStarved, fitsBuilder, yieldHelps, type BuilderRecord, type WarmSettings } from './builder-pool.js';
import type { TaskContext } from './builder-session.js';
import { hashCredential, newCredential, taskIdOfCredential } from './dispatcher.js';
import { CoprError } from './errors.js';
import type { Clock } from './ports.js';

/**
 * The server side of warm builders: a builder that finished a task asks for the
 * next one with its builder credential (issued at launch, functions/core/dispatcher.ts).
 * It gets a pending task that fits its architecture and reuse rule
 * (functions/core/builder-pool.ts), claimed with the same conditional write as the
 * dispatcher's; or "wait and ask again"; or "stop" once its idle period is over (the
 * shorter `emptyIdleMs` when nothing of its reuse key is queued at all) or its slot
 * should go to starved work of another sandbox. A stopped builder shuts
 * down, so the fleet still scales to zero.
 */
export interface WarmDeps {
  builds: BuildStore;
  clock: Clock;
  warm: WarmSettings;
  /** How long a task credential stays valid (ms), as the dispatcher's. */
  credentialTtlMs: number;
  /** Wakes the dispatcher (a yielded slot can start the starved work). */
  wake: () => Promise<void>;
  /** How many tasks of the owner's queue a builder looks through for one that fits. */
  scanSize?: number;
}

export type NextTaskReply =
  | { task_id: string; credential: string }
  | { task_id: null; retry_after: number }
  | { task_id: null; stop: true };

const STOP = { task_id: null, stop: true } as const;
const denied = () => new CoprError('unauthorized', 'Invalid or expired builder credential');

/** The builder record a builder credential belongs to (same check as a task credential's). */
export async function builderOfCredential(deps: Pick<WarmDeps, 'builds' | 'clock'>, credential: string): Promise<BuilderRecord> {
  const builderId = taskIdOfCredential(credential);
  if (!builderId) throw denied();
  const builder = await deps.builds.getBuilder(builderId);
  if (!builder) throw denied();
  const a = Buffer.from(hashCredential(credential), 'hex');
  const b = Buffer.from(builder.credential_hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw denied();
  if (builder.credential_expires < deps.clock.now()) throw denied();
  return builder;
}

/**
 * The builder of this task reported its outcome: it waits for more work from now on
 * (and counts as an idle builder). Called before the task closes, so the builder is
 * counted all along and the dispatcher never overshoots in between.
 */
export async function builderFinishing(deps: Pick<WarmDeps, 'builds' | 'clock' | 'warm'>, session: TaskContext): Promise<void> {
  const builderId = session.task.builder_id;
  if (deps.warm.reuse === 'off' || !builderId) return;
  await deps.builds.builderIdle(builderId, session.task.task_id, deps.clock.now() + deps.warm.idleMs);
}

/** The builder leaves: it was told to stop or its agent is shutting down. */
export async function builderLeaving(deps: Pick<WarmDeps, 'builds' | 'clock'>, credential: string): Promise<void> {
  const builder = await builderOfCredential(deps, credential);
  await deps.builds.retireBuilder(builder.builder_id);
}

/** POST /backend/builder/next-task: the next task for this builder, or when to ask again, or stop. */
export async function nextTaskForBuilder(deps: WarmDeps, credential: string): Promise<NextTaskReply> {
  const { builds, clock, warm } = deps;
  let builder = await builderOfCredential(deps, credential);
  const retire = async (): Promise<NextTaskReply> => {
    await builds.retireBuilder(builder.builder_id);
    return STOP;
  };
  if (warm.reuse === 'off' || builder.state === 'retired') return retire();
  if (builder.state === 'busy') {
    // It asks before its outcome was recorded (or that call got lost): once the
    // task is over it becomes idle here; while the task runs it must wait.
    const task = await builds.getTask(builder.task_id);
    if (task && task.state !== 'finished' && task.builder_id === builder.builder_id) return { task_id: null, retry_after: Math.ceil(warm.pollMs / 1000) };
    await builds.builderIdle(builder.builder_id, builder.task_id, clock.now() + warm.idleMs);
    builder = (await builds.getBuilder(builder.builder_id)) ?? builder;
    if (builder.state !== 'idle') return retire();
  }
  if ((builder.idle_until ?? 0) < clock.now()) return retire();

  // Fairness first: work of another sandbox that got no slot takes this one.
  for (const entry of await builds.listStarved()) {
    const starved = decodeStarved(entry);
    if (starved && yieldHelps(starved, builder) && (await builds.takeStarved(entry))) {
      await builds.retireBuilder(builder.builder_id);
      await deps.wake();
      return STOP;
    }
  }

  const scanSize = deps.scanSize ?? 100;
  const queue = await builds.listPendingTasks(builder.owner, scanSize);
  const candidates = queue.filter((t) => fitsBuilder(t, builder, warm.reuse));
  for (const task of candidates.slice(0, 5)) {
    const now = clock.now();
    const taskCredential = newCredential(task.task_id);
    const claimed = await builds.claimTaskForBuilder(task, builder, {
      credential_hash: hashCredential(taskCredential),
      credential_expires: now + deps.credentialTtlMs,
      now,
    });
    if (claimed) return { task_id: task.task_id, credential: taskCredential };
    // Taken by another builder or the dispatcher meanwhile, or this builder's idle period ended.
    const fresh = await builds.getBuilder(builder.builder_id);
    if (!fresh || fresh.state !== 'idle' || (fresh.idle_until ?? 0) < clock.now()) return retire();
  }
  // Nothing of its reuse key is queued at all (the scan saw the owner's whole queue):
  // the shorter wait applies, counted from when the builder became idle.
  const emptyIdleMs = Math.min(warm.emptyIdleMs ?? warm.idleMs, warm.idleMs);
  if (candidates.length === 0 && queue.length < scanSize && emptyIdleMs < warm.idleMs) {
    const idleSince = (builder.idle_until ?? 0) - warm.idleMs;
    const left = idleSince + emptyIdleMs - clock.now();
    if (left <= 0) return retire();
    return { task_id: null, retry_after: Math.max(1, Math.ceil(Math.min(warm.pollMs, left) / 1000)) };
  }
  return { task_id: null, retry_after: Math.ceil(warm.pollMs / 1000) };
}
