import type { Task } from './build-model.js';

/**
 * Warm builders: a builder that finished its task may run more tasks before it
 * terminates, keeping its buildroot caches. Which tasks it may take is the reuse
 * rule, Copr's isolation rule for reused builders: by default only tasks of the
 * same sandbox (`<owner>/<project>--<submitter>`) as the task it was launched for,
 * so tasks of different owners (and of different submitters or projects) never
 * share a machine. `owner` loosens this to one owner's projects and submitters;
 * `off` gives every task a fresh builder.
 */
export type ReuseRule = 'off' | 'sandbox' | 'owner';

export interface WarmSettings {
  reuse: ReuseRule;
  /** An idle builder terminates after this long without a task (ms). */
  idleMs: number;
  /** How often an idle builder asks again (ms). */
  pollMs: number;
  /**
   * An idle builder for which no task of its reuse key is queued at all stops after
   * this long instead (ms; absent: idleMs). Waiting out the whole idle period for a
   * sandbox with nothing queued is paid instance time that rarely finds work.
   */
  emptyIdleMs?: number;
}

export const DEFAULT_WARM_SETTINGS: WarmSettings = { reuse: 'sandbox', idleMs: 5 * 60_000, pollMs: 10_000, emptyIdleMs: 60_000 };

/** A builder machine as the table knows it, from its launch until it retires. */
export interface BuilderRecord {
  builder_id: string;
  arch: string;
  owner: string;
  /** Sandbox of its first task (what it counts against the per-sandbox limit while idle). */
  sandbox: string;
  /** What every task of this builder must match (reuseKeyOf its first task). */
  reuse_key: string;
  /** `busy` while it runs a task, `idle` while it waits for one, `retired` once told to stop. */
  state: 'busy' | 'idle' | 'retired';
  /** The task it runs or last ran. */
  task_id: string;
  /** While idle: when it stops waiting (epoch ms); past it the builder no longer counts. */
  idle_until: number | null;
  /** Hash of the builder credential (the next-task call), and when it expires (epoch ms). */
  credential_hash: string;
  credential_expires: number;
  launched_at: number;
}

/** The key a builder and a task must share for the task to run on it; null when reuse is off. */
export function reuseKeyOf(task: Pick<Task, 'owner' | 'sandbox'>, rule: ReuseRule): string | null {
  if (rule === 'off') return null;
  return rule === 'owner' ? `owner:${task.owner}` : `sandbox:${task.sandbox}`;
}

/** Whether a pending task may run on this builder (architecture and reuse rule). */
export function fitsBuilder(task: Pick<Task, 'arch' | 'owner' | 'sandbox' | 'cancel_requested'>, builder: Pick<BuilderRecord, 'arch' | 'reuse_key'>, rule: ReuseRule): boolean {
  return !task.cancel_requested && task.arch === builder.arch && reuseKeyOf(task, rule) === builder.reuse_key;
}

/**
 * A waiting task that got no slot in the last dispatch pass. A warm builder whose
 * reuse key differs retires at its next task boundary so the slot goes to it:
 * `slot` when the total or architecture limit stopped it (any builder's slot helps),
 * `owner` when its owner's limit did (only a builder of that owner helps).
 */
export interface StarvedWork {
  blockedBy: 'slot' | 'owner';
  owner: string;
  reuseKey: string;
}

export const encodeStarved = (s: StarvedWork): string => `${s.blockedBy}\t${s.owner}\t${s.reuseKey}`;

export function decodeStarved(v: string): StarvedWork | null {
  const [blockedBy, owner, reuseKey] = v.split('\t');
  if ((blockedBy !== 'slot' && blockedBy !== 'owner') || !owner || !reuseKey) return null;
  return { blockedBy, owner, reuseKey };
}

/** Whether this builder retiring would let the starved work start. */
export function yieldHelps(s: StarvedWork, builder: Pick<BuilderRecord, 'owner' | 'reuse_key'>): boolean {
  if (s.reuseKey === builder.reuse_key) return false; // it could take that work itself
  return s.blockedBy === 'slot' || s.owner === builder.owner;
}
