import type { Build, BuildChroot, Nevra, Task } from './build-model.js';
import type { BuildPageIndex } from './build-pages.js';
import type { BuilderRecord } from './builder-pool.js';

/** How a build chroot's task ended (epoch seconds), as recorded on the chroot. */
export interface ChrootOutcome {
  state: 'succeeded' | 'failed' | 'canceled' | 'skipped';
  endedOn: number;
  failReason: string | null;
  packages: Nevra[];
  resultDir: string;
}

/**
 * Storage of builds, their chroots and builder tasks. Every state change of a task
 * is a conditional write on its current state, so a duplicate or late message (a
 * second dispatcher, a retried builder call, the reaper racing a heartbeat) is a
 * no-op that returns false, never a corruption.
 */
export interface BuildStore {
  /** Writes a new build, its chroots and its first tasks in one transaction. */
  createBuild(build: Build, chroots: BuildChroot[], tasks: Task[], blockedOn: number | null): Promise<void>;
  getBuild(id: number): Promise<Build | null>;
  /** The build's chroots by name; with `names` (from the build's summary) only the chroots from the first to the last of them. */
  listBuildChroots(id: number, names?: { first: string; last: string }): Promise<BuildChroot[]>;
  getBuildChroot(id: number, chroot: string): Promise<BuildChroot | null>;
  listProjectBuilds(owner: string, project: string): Promise<Build[]>;
  /** Keyset pages of a project's builds (build/list with limit/offset), bounded reads per page. */
  readonly pages: BuildPageIndex;
  /** The newest builds of all projects, newest first. */
  listRecentBuilds(limit: number): Promise<Build[]>;
  /** The source (SRPM) stage started (`startedOn` epoch seconds, kept from a first start). */
  sourceStarted(id: number, startedOn: number): Promise<void>;
  /** The source stage goes back to the queue (its builder was lost). */
  sourceRequeued(id: number): Promise<void>;
  /** The source stage ended; `failReason` is written only when given (null clears it). */
  sourceEnded(id: number, end: { status: 'succeeded' | 'failed' | 'canceled'; endedOn: number; failReason?: string | null }): Promise<void>;
  /** What the source stage found: the package, its version and where the SRPM is. */
  recordSourcePackage(id: number, pkg: { package_name: string; pkg_version: string; srpm_url: string }): Promise<void>;
  /** Sets the build canceled unless it already is; false when it was. */
  markBuildCanceled(id: number): Promise<boolean>;
  /** Creates the build chroots that do not exist yet (existing ones are left as they are). */
  createBuildChroots(chroots: BuildChroot[]): Promise<void>;
  /*
   * The build chroot's state machine (spec §3.3), one method a transition. Each is a
   * conditional write on the states it may start from and returns false (writing
   * nothing) from any other: a finished chroot is never overwritten, and a repeated
   * or late call is a no-op.
   */
  /** waiting → pending: the SRPM is known and the chroot's task is queued. */
  chrootQueued(id: number, chroot: string, resultDir: string): Promise<boolean>;
  /** pending|running → running: a builder started the task (`startedOn` epoch seconds, kept from a first start). */
  chrootStarted(id: number, chroot: string, start: { startedOn: number; resultDir: string }): Promise<boolean>;
  /** pending|running → pending: the builder was lost and the task is queued again. */
  chrootRequeued(id: number, chroot: string): Promise<boolean>;
  /** pending|running → the outcome of its task, with the packages it built. */
  chrootFinished(id: number, chroot: string, end: ChrootOutcome): Promise<boolean>;
  /**
   * waiting|pending → a final state without a build of its own (canceled before it
   * ran, skipped for its arch, its SRPM stage failed); `failReason` is written only
   * when given.
   */
  chrootEndedUnbuilt(id: number, chroot: string, end: { state: 'canceled' | 'skipped' | 'failed'; endedOn: number; failReason?: string | null }): Promise<boolean>;
  /** Removes the build, its chroots and its tasks. */
  deleteBuild(id: number): Promise<void>;

  getTask(taskId: string): Promise<Task | null>;
  listBuildTasks(build: Build, chroots: string[]): Promise<Task[]>;
  /** New pending tasks (RPM stage), skipping any that exist; owner queue marked in the same write. */
  enqueueTasks(tasks: Task[]): Promise<void>;
  /** Tasks blocked on a batch predecessor become pending. */
  releaseBlocked(afterBuildId: number): Promise<number>;

  listPendingOwners(): Promise<Array<{ owner: string; last_served: number; epoch: string }>>;
  listPendingTasks(owner: string, limit: number): Promise<Task[]>;
  /** Drops an owner from the pending index if nothing was enqueued since `epoch`. */
  retireOwner(owner: string, epoch: string): Promise<void>;
  listActiveTasks(): Promise<Task[]>;

  /**
   * pending → starting (records the builder credential, marks the owner served); with
   * `builder`, the (warm) builder's record is created in the same write.
   */
  claimTask(taskId: string, claim: { builder_id: string; credential_hash: string; credential_expires: number; now: number; builder?: BuilderRecord }): Promise<boolean>;
  /**
   * The launch for this claim failed: starting → pending again WITHOUT counting an
   * attempt, not launched before `notBefore` (backoff), the builder's record dropped.
   */
  releaseLaunch(taskId: string, builderId: string, notBefore: number): Promise<boolean>;
  /** starting → running. */
  markTaskRunning(taskId: string, now: number): Promise<boolean>;
  /** Refreshes the lease of a starting/running task; returns it, or null when not active. */
  heartbeat(taskId: string, now: number): Promise<Task | null>;
  /** pending|starting|running → finished with an outcome. */
  finishTask(taskId: string, outcome: NonNullable<Task['outcome']>, from: Task['state'][]): Promise<boolean>;
  /** starting|running → pending again (lost builder), counting the attempt. */
  requeueTask(taskId: string, expectHeartbeat: number | null): Promise<boolean>;
  /** Marks a starting/running task for cancelation (the builder sees it on its next heartbeat). */
  requestCancel(taskId: string): Promise<boolean>;

  /** Single-flight lock for the dispatcher (lease); `wake` marks work arrived meanwhile. */
  acquireDispatchLock(holder: string, now: number, leaseMs: number): Promise<boolean>;
  /** Releases the lock unless a wake-up marked it dirty (`force`: release anyway). */
  releaseDispatchLock(holder: string, force?: boolean): Promise<boolean>;
  /** Extends the holder's lease without clearing a wake-up; false when the lock was lost. */
  renewDispatchLock(holder: string, now: number, leaseMs: number): Promise<boolean>;
  markDispatchDirty(): Promise<void>;

  /** Warm builders (functions/core/warm-builders.ts). */
  getBuilder(builderId: string): Promise<BuilderRecord | null>;
  /** Builders waiting for work whose idle period has not ended. */
  listIdleBuilders(now: number): Promise<BuilderRecord[]>;
  /** busy on `taskId` → idle until `idleUntil`; false when it is not busy on that task. */
  builderIdle(builderId: string, taskId: string, idleUntil: number): Promise<boolean>;
  /** The builder takes no more work (it shuts down). */
  retireBuilder(builderId: string): Promise<void>;
  /** pending → starting on an idle builder that fits it, builder idle → busy, in one write. */
  claimTaskForBuilder(task: Task, builder: BuilderRecord, claim: { credential_hash: string; credential_expires: number; now: number }): Promise<boolean>;
  /** Work the last dispatch pass could not start for lack of slots (encoded StarvedWork). */
  setStarved(entries: string[]): Promise<void>;
  listStarved(): Promise<string[]>;
  /** Takes one starved entry (one builder yields per entry); false when already taken. */
  takeStarved(entry: string): Promise<boolean>;
}
