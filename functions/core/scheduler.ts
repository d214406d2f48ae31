import type { Task } from './build-model.js';

/**
 * Which pending tasks to start now. Pure: the dispatcher feeds it the active tasks
 * (for the limits) and the head of each owner's queue.
 *
 * Fairness is round robin over owners by "least recently served": each pick goes
 * to the eligible owner served longest ago, so one owner's 10,000 queued builds
 * delay another owner's single build by at most one free slot. Background work
 * comes after normal work of every owner; inside an owner the queue order (SRPM
 * before RPM, then build id) holds.
 */
export interface Limits {
  /** Builders running at once, in total. */
  total: number;
  /** Per architecture (missing = no extra limit). */
  perArch: Record<string, number>;
  perOwner: number;
  perSandbox: number;
}

/** What counts against the limits: an active task's builder, or a warm builder waiting for work. */
export type Slot = Pick<Task, 'arch' | 'owner' | 'sandbox'>;

export interface OwnerQueue {
  owner: string;
  lastServed: number;
  /** Head of the owner's pending queue, in queue order. */
  tasks: Task[];
}

class Counter {
  private readonly m = new Map<string, number>();
  get(k: string): number {
    return this.m.get(k) ?? 0;
  }
  inc(k: string): void {
    this.m.set(k, this.get(k) + 1);
  }
}

/** A task is launchable once its launch backoff (`not_before`) has passed. */
export const launchable = (t: Task, now: number): boolean => (t.not_before ?? 0) <= now;

export function pickTasks(active: Slot[], queues: OwnerQueue[], limits: Limits, now: number): Task[] {
  const byArch = new Counter();
  const byOwner = new Counter();
  const bySandbox = new Counter();
  for (const t of active) {
    byArch.inc(t.arch);
    byOwner.inc(t.owner);
    bySandbox.inc(t.sandbox);
  }
  let total = active.length;
  const picked: Task[] = [];
  const served = new Map(queues.map((q) => [q.owner, q.lastServed]));
  const cursor = new Map(queues.map((q) => [q.owner, 0]));

  const eligible = (t: Task) =>
    launchable(t, now) &&
    byArch.get(t.arch) < (limits.perArch[t.arch] ?? Infinity) &&
    byOwner.get(t.owner) < limits.perOwner &&
    bySandbox.get(t.sandbox) < limits.perSandbox;

  let seq = 0;
  while (total < limits.total) {
    let best: { q: OwnerQueue; index: number; task: Task } | null = null;
    for (const q of queues) {
      if (byOwner.get(q.owner) >= limits.perOwner) continue;
      // First eligible task of this owner (an arch at its limit must not block other arches).
      for (let i = cursor.get(q.owner)!; i < q.tasks.length; i++) {
        const task = q.tasks[i]!;
        if (picked.includes(task) || !eligible(task)) continue;
        if (!best || better(task, served.get(q.owner)!, best.task, served.get(best.q.owner)!)) best = { q, index: i, task };
        break;
      }
    }
    if (!best) break;
    picked.push(best.task);
    total++;
    byArch.inc(best.task.arch);
    byOwner.inc(best.task.owner);
    bySandbox.inc(best.task.sandbox);
    served.set(best.q.owner, now + ++seq);
  }
  return picked;
}

function better(a: Task, aServed: number, b: Task, bServed: number): boolean {
  if (a.background !== b.background) return !a.background;
  if (aServed !== bServed) return aServed < bServed;
  if (a.kind !== b.kind) return a.kind === 'srpm';
  return a.build_id < b.build_id;
}

/**
 * The first waiting task of each owner that the limits kept from starting although
 * only slots were missing: the total or its architecture's limit (`slot`), or its
 * owner's limit (`owner`). Warm builders of other work give their slot up for these
 * (functions/core/warm-builders.ts); tasks held by their sandbox limit are not
 * listed, since only a builder of that same sandbox could make room.
 */
export function starvedTasks(occupied: Slot[], picked: Task[], queues: OwnerQueue[], limits: Limits, now: number): Array<{ task: Task; blockedBy: 'slot' | 'owner' }> {
  const byArch = new Counter();
  const byOwner = new Counter();
  const bySandbox = new Counter();
  for (const t of [...occupied, ...picked]) {
    byArch.inc(t.arch);
    byOwner.inc(t.owner);
    bySandbox.inc(t.sandbox);
  }
  const total = occupied.length + picked.length;
  const out: Array<{ task: Task; blockedBy: 'slot' | 'owner' }> = [];
  for (const q of queues) {
    const task = q.tasks.find((t) => !picked.includes(t) && launchable(t, now) && bySandbox.get(t.sandbox) < limits.perSandbox);
    if (!task) continue;
    if (byOwner.get(task.owner) >= limits.perOwner) out.push({ task, blockedBy: 'owner' });
    else if (total >= limits.total || byArch.get(task.arch) >= (limits.perArch[task.arch] ?? Infinity)) out.push({ task, blockedBy: 'slot' });
  }
  return out;
}
