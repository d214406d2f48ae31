import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BuildStore } from './build-ports.js';
import type { Task } from './build-model.js';
import type { Clock } from './ports.js';
import { encodeStarved, fitsBuilder, reuseKeyOf, type BuilderRecord, type WarmSettings } from './builder-pool.js';
import { pickTasks, starvedTasks, type Limits, type OwnerQueue, type Slot } from './scheduler.js';

/**
 * Starts builders for pending tasks while the limits allow. Woken by queue
 * messages but never trusting them: it reads the pending work from the table.
 * One dispatcher runs at a time (a lease lock in the table); a wake-up that
 * arrives during a pass marks the lock dirty and the holder runs another pass, so
 * no wake-up is lost and no limit is overshot by concurrent dispatchers.
 */
export interface Fleet {
  /**
   * Starts a builder for the task; the credential lets it fetch exactly that task. A
   * warm builder (`options.warm`) also gets its own credential to ask for more work.
   * Throws when no builder could be started (capacity, quota, throttling).
   */
  launch(task: Task, credential: string, builderId: string, options?: LaunchOptions): Promise<void>;
  /** Stops a builder (lost task, stray instance). */
  terminate(builderId: string): Promise<void>;
  /** Builders that exist right now (to find strays: builders with no active task). */
  list(): Promise<Array<{ builderId: string; taskId: string | null; launchedAt: number | null }>>;
}

/**
 * Terminates builders that no active task points at and that are not waiting for
 * work as warm builders (a crash between launch and
 * claim bookkeeping, or a task finished while its instance kept running). Builders
 * younger than `graceMs` are left alone: their claim may not be visible yet.
 */
export async function terminateStrays(builds: BuildStore, fleet: Fleet, now: number, graceMs: number): Promise<string[]> {
  const active = new Set((await builds.listActiveTasks()).map((t) => t.builder_id).filter((b): b is string => !!b));
  // A warm builder waiting for work has no active task and is no stray.
  for (const b of await builds.listIdleBuilders(now)) active.add(b.builder_id);
  const strays: string[] = [];
  for (const b of await fleet.list()) {
    if (active.has(b.builderId)) continue;
    if (b.launchedAt !== null && now - b.launchedAt < graceMs) continue;
    await fleet.terminate(b.builderId);
    strays.push(b.builderId);
  }
  return strays;
}

export interface LaunchOptions {
  /** A warm builder's own credential (the next-task call) and how long it waits for work. */
  warm?: { builderCredential: string; idleSeconds: number };
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
  /** Launches in flight at once (default DEFAULT_LAUNCH.concurrency). */
  launchConcurrency?: number;
  /** Dispatch lock lease (ms), renewed before every claim. */
  leaseMs?: number;
  /** Backoff of a task after failed launches: base doubled per failure, capped (ms). */
  launchBackoff?: { baseMs: number; maxMs: number };
  /**
   * After this many failed launches in a row a task is given up (`giveUp`) instead of
   * waiting for another try; absent (or no `giveUp`): it is tried again forever.
   */
  launchMaxFailures?: number;
  /** Ends a claimed task that could not be launched, with the reason the user sees (functions/core/launch-give-up.ts). */
  giveUp?: (taskId: string, builderId: string, reason: string) => Promise<boolean>;
  /** Warm builders: the reuse rule and idle period (absent or reuse `off`: one task per builder). */
  warm?: WarmSettings;
  /** Wakes the dispatcher again (a pass that stopped at its deadline leaves work for the next). */
  wake?: () => Promise<void>;
  log?: (msg: string) => void;
}

export const DEFAULT_LAUNCH = {
  concurrency: 16,
  leaseMs: 60_000,
  backoff: { baseMs: 30_000, maxMs: 15 * 60_000 },
  /** With the backoff above: the 24th failure comes about 4 h 45 min after the first. */
  maxFailures: 24,
} as const;

/** When a pass must stop claiming (epoch ms, on the deps' clock); absent = no deadline. */
export interface PassOptions {
  deadline?: number;
  /** The dispatch lock holder: the lease is renewed before each claim, and the pass stops when it is lost. */
  holder?: string;
}

export interface PassReport {
  started: Task[];
  /** Launches that failed (the tasks wait out their backoff, attempts untouched). */
  failed: Task[];
  /** Tasks failed for good after launchMaxFailures failed launches (also in `failed`). */
  gaveUp: Task[];
  /** True when the pass stopped early (deadline or lost lease) with tasks it would still have started. */
  cutShort: boolean;
}

/** Owner queue heads a pass reads at once. */
const OWNER_READS_IN_FLIGHT = 8;

/** `fn` over `items` with at most `n` calls in flight; results in the order of `items`. */
async function mapBounded<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Backoff after the n-th consecutive launch failure of a task. */
export function launchBackoffMs(failures: number, backoff: { baseMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
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

/**
 * Pending tasks an idle warm builder will take itself (its next poll): one per idle
 * builder, the first fitting task of its owner's queue head. A cold launch for them
 * would only add a machine and leave the warm one idle.
 */
function reserveForIdle(idle: BuilderRecord[], queues: OwnerQueue[], rule: WarmSettings['reuse']): Set<Task> {
  const reserved = new Set<Task>();
  for (const b of idle) {
    const q = queues.find((x) => x.owner === b.owner);
    const t = q?.tasks.find((x) => !reserved.has(x) && fitsBuilder(x, b, rule));
    if (t) reserved.add(t);
  }
  return reserved;
}

/**
 * One scheduling pass. What runs counts against the limits: the builders of active
 * tasks and warm builders waiting for work. Claims and launches run in bounded
 * parallel; before each claim the pass renews its lease and checks its deadline, so
 * it stops with the remaining tasks still pending (never claimed and not launched).
 * A failed launch gives its claim back without counting an attempt and with a
 * backoff; the scheduler skips the task until then. After `launchMaxFailures` failed
 * launches in a row the task fails with the reason instead (`giveUp`).
 */
export async function dispatchPass(deps: DispatcherDeps, opts: PassOptions = {}): Promise<Task[]> {
  return (await runDispatchPass(deps, opts)).started;
}

/** dispatchPass with the whole report (failed launches, whether it was cut short). */
export async function runDispatchPass(deps: DispatcherDeps, opts: PassOptions = {}): Promise<PassReport> {
  const { builds, clock } = deps;
  const warm = deps.warm && deps.warm.reuse !== 'off' ? deps.warm : null;
  const active = await builds.listActiveTasks();
  const now0 = clock.now();
  const idle = warm ? await builds.listIdleBuilders(now0) : [];
  const owners = await builds.listPendingOwners();
  // The queue heads are independent reads: a few at a time, so a pass over 50 owners
  // does not wait for 50 round trips one after the other (order kept).
  const heads = await mapBounded(owners, OWNER_READS_IN_FLIGHT, (o) => builds.listPendingTasks(o.owner, deps.headSize ?? 20));
  const queues: OwnerQueue[] = [];
  for (const [i, o] of owners.entries()) {
    const tasks = heads[i] ?? [];
    if (tasks.length === 0) await builds.retireOwner(o.owner, o.epoch);
    else queues.push({ owner: o.owner, lastServed: o.last_served, tasks });
  }
  const reserved = warm ? reserveForIdle(idle, queues, warm.reuse) : new Set<Task>();
  const open = queues.map((q) => ({ ...q, tasks: q.tasks.filter((t) => !reserved.has(t)) }));
  // An idle builder occupies a slot of its arch, owner and sandbox (those of its first task).
  const occupied: Slot[] = [...active, ...idle.map((b) => ({ arch: b.arch, owner: b.owner, sandbox: b.sandbox }))];
  const picked = pickTasks(occupied, open, deps.limits, now0);
  if (warm) {
    const starved = starvedTasks(occupied, picked, open, deps.limits, now0);
    const entries = starved.map((s) => encodeStarved({ blockedBy: s.blockedBy, owner: s.task.owner, reuseKey: reuseKeyOf(s.task, warm.reuse) ?? '' }));
    await builds.setStarved(entries);
  }

  const report: PassReport = { started: [], failed: [], gaveUp: [], cutShort: false };
  const leaseMs = deps.leaseMs ?? DEFAULT_LAUNCH.leaseMs;
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && next < picked.length) {
      const task = picked[next++]!;
      const now = clock.now();
      if (opts.deadline !== undefined && now >= opts.deadline) stop = true;
      else if (opts.holder && !(await builds.renewDispatchLock(opts.holder, now, leaseMs))) stop = true;
      if (stop) {
        report.cutShort = true;
        return;
      }
      await claimAndLaunch(deps, warm, task, report);
    }
  };
  const concurrency = Math.max(1, deps.launchConcurrency ?? DEFAULT_LAUNCH.concurrency);
  await Promise.all(Array.from({ length: Math.min(concurrency, picked.length) }, worker));
  return report;
}

async function claimAndLaunch(deps: DispatcherDeps, warm: WarmSettings | null, task: Task, report: PassReport): Promise<void> {
  const { builds, clock } = deps;
  const now = clock.now();
  const credential = newCredential(task.task_id);
  const builderId = randomUUID();
  const reuseKey = warm ? reuseKeyOf(task, warm.reuse) : null;
  const builderCredential = reuseKey ? newCredential(builderId) : null;
  const claimed = await builds.claimTask(task.task_id, {
    builder_id: builderId,
    credential_hash: hashCredential(credential),
    credential_expires: now + deps.credentialTtlMs,
    now,
    ...(reuseKey && builderCredential
      ? {
          builder: {
            builder_id: builderId,
            arch: task.arch,
            owner: task.owner,
            sandbox: task.sandbox,
            reuse_key: reuseKey,
            state: 'busy' as const,
            task_id: task.task_id,
            idle_until: null,
            credential_hash: hashCredential(builderCredential),
            credential_expires: now + deps.credentialTtlMs,
            launched_at: now,
          },
        }
      : {}),
  });
  if (!claimed) return; // canceled or taken meanwhile: nothing to do
  try {
    const options: LaunchOptions = warm && builderCredential ? { warm: { builderCredential, idleSeconds: Math.ceil(warm.idleMs / 1000) } } : {};
    await deps.fleet.launch(task, credential, builderId, options);
    report.started.push(task);
  } catch (err) {
    const failures = (task.launch_failures ?? 0) + 1;
    report.failed.push(task);
    if (deps.giveUp && deps.launchMaxFailures !== undefined && failures >= deps.launchMaxFailures) {
      const reason = `No builder could be started for this task: ${failures} launches failed in a row (last: ${(err as Error).message})`;
      deps.log?.(`dispatcher: giving up on ${task.task_id}: ${reason}`);
      if (await deps.giveUp(task.task_id, builderId, reason)) report.gaveUp.push(task);
      return;
    }
    const delay = launchBackoffMs(failures, deps.launchBackoff ?? DEFAULT_LAUNCH.backoff);
    deps.log?.(`dispatcher: launch of ${task.task_id} failed (${failures} in a row), next try in ${Math.round(delay / 1000)} s: ${(err as Error).message}`);
    await builds.releaseLaunch(task.task_id, builderId, clock.now() + delay);
  }
}

/**
 * Runs passes under the lock until no wake-up arrived meanwhile, or until the
 * deadline: then the lock is released and a wake-up sent, so the next invocation
 * continues where this one stopped. Returns how many builders started.
 */
export async function dispatch(deps: DispatcherDeps, holder: string = randomUUID(), opts: { deadline?: number } = {}): Promise<number> {
  const { builds, clock } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LAUNCH.leaseMs;
  await builds.markDispatchDirty();
  if (!(await builds.acquireDispatchLock(holder, clock.now(), leaseMs))) return 0; // the holder will run again
  let started = 0;
  for (let round = 0; round < 100; round++) {
    const pass = await runDispatchPass(deps, { deadline: opts.deadline, holder });
    started += pass.started.length;
    const late = opts.deadline !== undefined && clock.now() >= opts.deadline;
    if (pass.cutShort || late) {
      await builds.releaseDispatchLock(holder, true);
      await deps.wake?.();
      return started;
    }
    if (await builds.releaseDispatchLock(holder)) return started;
    // Dirty: clear the flag (re-acquire) and run again.
    if (!(await builds.acquireDispatchLock(holder, clock.now(), leaseMs))) return started;
  }
  await builds.releaseDispatchLock(holder);
  return started;
}
