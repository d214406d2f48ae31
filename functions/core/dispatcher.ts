import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BuildStore } from './build-ports.js';
import type { Task } from './build-model.js';
import type { Clock } from './ports.js';
import { pickTasks, type Limits } from './scheduler.js';

/**
 * Starts builders for pending tasks while the limits allow. Woken by queue
 * messages but never trusting them: it reads the pending work from the table.
 * One dispatcher runs at a time (a lease lock in the table); a wake-up that
 * arrives during a pass marks the lock dirty and the holder runs another pass, so
 * no wake-up is lost and no limit is overshot by concurrent dispatchers.
 */
export interface Fleet {
  /** Starts a builder for the task; the credential lets it fetch exactly that task. */
  launch(task: Task, credential: string, builderId: string): Promise<void>;
  /** Stops a builder (lost task, stray instance). */
  terminate(builderId: string): Promise<void>;
  /** Builders that exist right now (to find strays: builders with no active task). */
  list(): Promise<Array<{ builderId: string; taskId: string | null; launchedAt: number | null }>>;
}

/**
 * Terminates builders that no active task points at (a crash between launch and
 * claim bookkeeping, or a task finished while its instance kept running). Builders
 * younger than `graceMs` are left alone: their claim may not be visible yet.
 */
export async function terminateStrays(builds: BuildStore, fleet: Fleet, now: number, graceMs: number): Promise<string[]> {
  const active = new Set((await builds.listActiveTasks()).map((t) => t.builder_id).filter((b): b is string => !!b));
  const strays: string[] = [];
  for (const b of await fleet.list()) {
    if (active.has(b.builderId)) continue;
    if (b.launchedAt !== null && now - b.launchedAt < graceMs) continue;
    await fleet.terminate(b.builderId);
    strays.push(b.builderId);
  }
  return strays;
}

export interface DispatcherDeps {
  builds: BuildStore;
  fleet: Fleet;
  clock: Clock;
  limits: Limits;
  /** How long a builder credential stays valid (ms); the task timeout is added. */
  credentialTtlMs: number;
  /** How many tasks of each owner's queue head to consider per pass. */
  headSize?: number;
  log?: (msg: string) => void;
}

export function hashCredential(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

/** `<task_id>.<secret>`: the task id lets the API find the task in one read. */
export function newCredential(taskId: string): string {
  return `${taskId}.${randomBytes(24).toString('base64url')}`;
}

export function taskIdOfCredential(credential: string): string | null {
  const dot = credential.lastIndexOf('.');
  return dot > 0 ? credential.slice(0, dot) : null;
}

/** One scheduling pass; returns the tasks started. */
export async function dispatchPass(deps: DispatcherDeps): Promise<Task[]> {
  const { builds, clock } = deps;
  const active = await builds.listActiveTasks();
  const owners = await builds.listPendingOwners();
  const queues = [];
  for (const o of owners) {
    const tasks = await builds.listPendingTasks(o.owner, deps.headSize ?? 20);
    if (tasks.length === 0) await builds.retireOwner(o.owner, o.epoch);
    else queues.push({ owner: o.owner, lastServed: o.last_served, tasks });
  }
  const now = clock.now();
  const started: Task[] = [];
  for (const task of pickTasks(active, queues, deps.limits, now)) {
    const credential = newCredential(task.task_id);
    const builderId = randomUUID();
    const claimed = await builds.claimTask(task.task_id, {
      builder_id: builderId,
      credential_hash: hashCredential(credential),
      credential_expires: now + deps.credentialTtlMs,
      now,
    });
    if (!claimed) continue; // canceled or taken meanwhile: nothing to do
    try {
      await deps.fleet.launch(task, credential, builderId);
      started.push(task);
    } catch (err) {
      deps.log?.(`dispatcher: launch of ${task.task_id} failed: ${(err as Error).message}`);
      await builds.requeueTask(task.task_id, now);
    }
  }
  return started;
}

/** Runs passes under the lock until no wake-up arrived meanwhile. */
export async function dispatch(deps: DispatcherDeps, holder = randomUUID()): Promise<number> {
  const { builds, clock } = deps;
  await builds.markDispatchDirty();
  if (!(await builds.acquireDispatchLock(holder, clock.now(), 60_000))) return 0; // the holder will run again
  let started = 0;
  for (let round = 0; round < 100; round++) {
    started += (await dispatchPass(deps)).length;
    if (await builds.releaseDispatchLock(holder)) return started;
    // Dirty: clear the flag (re-acquire) and run again.
    await builds.acquireDispatchLock(holder, clock.now(), 60_000);
  }
  await builds.releaseDispatchLock(holder);
  return started;
}
