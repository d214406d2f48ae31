import type { KeysetListing } from './keyset-pages.js';
import type { Ports } from './ports.js';

/**
 * Project actions (DESIGN §3 Actions, spec §4.11): slow or multi-step work that an
 * API call asks for and a runner carries out later: removing a deleted project's
 * builds and results, copying builds into a fork, regenerating repositories,
 * removing the data of a chroot. Actions live in the table, so they are queued,
 * retried and visible as state; a queue message only wakes the runner.
 */
export type ActionKind = 'delete-project' | 'fork' | 'createrepo' | 'remove-chroot';
export type ActionState = 'pending' | 'running' | 'succeeded' | 'failed';

/** One source build copied into a fork: the plan is fixed before anything is copied. */
export interface ForkItem {
  source_build_id: number;
  /** Id of the copy in the destination, allocated when the plan was made. */
  build_id: number;
  package_name: string;
  chroots: Array<{ name: string; source_result_dir: string; result_dir: string }>;
}

export interface DeleteProjectData {
  kind: 'delete-project';
  /** Id of the deleted project: a project re-created under the same name is left alone. */
  project_id: number;
}

export interface ForkData {
  kind: 'fork';
  source_owner: string;
  source_project: string;
  /** Null until the first attempt has planned the copy; retries reuse it. */
  plan: ForkItem[] | null;
}

export interface CreaterepoData {
  kind: 'createrepo';
  /** Chroots to regenerate; null = every chroot of the project. */
  chroots: string[] | null;
}

export interface RemoveChrootData {
  kind: 'remove-chroot';
  chroot: string;
}

export type ActionData = DeleteProjectData | ForkData | CreaterepoData | RemoveChrootData;

export interface Action {
  id: number;
  ownername: string;
  projectname: string;
  data: ActionData;
  state: ActionState;
  /** Attempts started so far; the current attempt's number while running (its claim token). */
  attempts: number;
  /** Epoch seconds. */
  created_on: number;
  started_on: number | null;
  ended_on: number | null;
  /**
   * Epoch ms: when a pending action is due, or when a running attempt's lease ends
   * (a runner that died leaves the action due again: at-least-once). Null once finished.
   */
  due_at: number | null;
  /** Last error (kept while retrying, so it is visible). */
  error: string | null;
  /** What the action did, for people reading it through the API. */
  result: Record<string, unknown> | null;
}

/** Storage of actions; every transition is conditional on the state it expects. */
export interface ActionStore {
  createAction(action: Action): Promise<void>;
  getAction(id: number): Promise<Action | null>;
  /** Every action of one project (also after the project was deleted), by id. */
  listProjectActions(owner: string, project: string): Promise<Action[]>;
  /** The same in id order as keyset pages (actions are never deleted: no generation to check). */
  actionPages(owner: string, project: string, descending: boolean): KeysetListing<Action>;
  /** Pending actions due at `now` and running ones whose lease has ended, oldest first. */
  listDueActions(now: number, limit: number): Promise<Action[]>;
  /**
   * Takes a due action for one attempt (state running, attempts + 1, lease until
   * `leaseUntil`) if it is still due at `expectDueAt`; null when another runner took it.
   */
  claimAction(id: number, expectDueAt: number, leaseUntil: number, nowSec: number): Promise<Action | null>;
  /** Saves progress (the fork plan) of attempt `attempt`; false when that attempt lost its claim. */
  saveActionData(id: number, attempt: number, data: ActionData): Promise<boolean>;
  /** Ends attempt `attempt` for good. */
  finishAction(
    id: number,
    attempt: number,
    end: { state: 'succeeded' | 'failed'; endedOn: number; result?: Record<string, unknown> | null; error?: string | null },
  ): Promise<boolean>;
  /** Attempt `attempt` failed: pending again, due at `dueAt`. */
  retryAction(id: number, attempt: number, dueAt: number, error: string): Promise<boolean>;
}

/** What running actions needs: the stores, the results and the publisher. */
export type ActionDeps = Pick<Ports, 'store' | 'builds' | 'results' | 'actions' | 'clock' | 'publish'> & { resultsBaseUrl: string };

/** What enqueuing needs: ids, the action store and a wake-up of the runner (an SQS message on AWS). */
export type EnqueueDeps = Pick<Ports, 'store' | 'actions' | 'clock'> & { wake: Ports['wakeActions'] };
