import type { Action, EnqueueDeps } from './action-ports.js';
import { publishUploadedRpm, type UploadedRpm } from './rpm-upload.js';
import { DEFAULT_RUNNER_SETTINGS, runDueActions, type RunnerSettings, type RunReport } from './action-runner.js';
import type { Build, BuildChroot } from './build-model.js';
import { HEARTBEAT_TIMEOUT_MS, type TaskInput } from './builder-protocol.js';
import { checkSubmission, type CheckedSubmission } from './build-check.js';
import { deleteBuild, deleteBuilds, type BuildSnapshot } from './build-delete.js';
import { latestBuildsOfPackage, type BuildWithChroots } from './build-views.js';
import { rebuildPackage, resubmitBuild } from './build-resubmit.js';
import { cancelBuild, DEFAULT_BUILD_SETTINGS, submitChecked, type BuildOptions, type BuildSettings, type BuildSource } from './builds.js';
import { DEFAULT_WARM_SETTINGS, type WarmSettings } from './builder-pool.js';
import { DEFAULT_LAUNCH, dispatch, terminateStrays, type DispatcherDeps } from './dispatcher.js';
import { failUnlaunchableTask } from './launch-give-up.js';
import { builderFinishing, builderLeaving, nextTaskForBuilder, type NextTaskReply, type WarmDeps } from './warm-builders.js';
import { DEFAULT_MAINTENANCE_SETTINGS, runJob, type JobName, type JobReport, type MaintenanceDeps, type MaintenanceSettings } from './maintenance.js';
import { runMaintenanceEvent } from './maintenance-event.js';
import type { Caller, Project } from './model.js';
import type { Ports } from './ports.js';
import { createProjectFlow, deleteProjectFlow, editProjectFlow, forkProjectFlow, regenerateReposFlow, type ProjectFlowDeps } from './project-flows.js';
import type { NewProject, ProjectSettings } from './projects.js';
import type { ForkTarget } from './fork.js';
import type { Limits } from './scheduler.js';
import {
  onFinished,
  onHeartbeat,
  onStarted,
  reap,
  taskJson,
  taskOfCredential,
  type FinishReport,
  type LifecycleDeps,
  type ReaperSettings,
  type TaskContext,
} from './task-lifecycle.js';
import { generateWebhookSecret, handleWebhook, type WebhookOutcome, type WebhookRequest } from './webhooks.js';

/**
 * The application core, built once per process by `createApp(ports, settings)`:
 * every use case the API, the workers and the scheduled jobs call, wired to the one
 * `Ports` record (functions/core/ports.ts). Both composition roots (functions/aws/compose.ts
 * and functions/local/compose.ts) build their adapters and call this; nothing else
 * assembles use cases, so the two systems can do exactly the same things.
 */
export interface AppSettings {
  /** Public base URL of the results (links in builds, repos of RPM tasks). */
  resultsBaseUrl: string;
  build: BuildSettings;
  dispatch: {
    limits: Limits;
    /** How long a builder credential stays valid (ms); the task timeout is added. */
    credentialTtlMs: number;
    /** Launches in flight at once in one dispatch pass. */
    launchConcurrency: number;
    /** Backoff of a task after failed launches: base doubled per failure, capped (ms). */
    launchBackoff: { baseMs: number; maxMs: number };
    /** Failed launches in a row after which a task fails with the reason (no endless retries). */
    launchMaxFailures: number;
    /** Warm builders: reuse rule (`off`: one task per builder), idle period, poll interval. */
    warm: WarmSettings;
  };
  reaper: ReaperSettings;
  /** A builder without an active task is stray only after this long (launch races the claim). */
  strayGraceMs: number;
  runner: RunnerSettings;
  maintenance: MaintenanceSettings;
}

/** Settings every composition starts from (each overrides what its deployment needs). */
export function defaultAppSettings(resultsBaseUrl: string, maxBuilders: number): AppSettings {
  return {
    resultsBaseUrl,
    build: DEFAULT_BUILD_SETTINGS,
    dispatch: {
      limits: { total: maxBuilders, perArch: {}, perOwner: maxBuilders, perSandbox: maxBuilders },
      credentialTtlMs: 2 * DEFAULT_BUILD_SETTINGS.timeoutMax * 1000,
      launchConcurrency: DEFAULT_LAUNCH.concurrency,
      launchBackoff: DEFAULT_LAUNCH.backoff,
      launchMaxFailures: DEFAULT_LAUNCH.maxFailures,
      warm: DEFAULT_WARM_SETTINGS,
    },
    reaper: { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, maxAttempts: 3 },
    strayGraceMs: DEFAULT_MAINTENANCE_SETTINGS.strayGraceMs,
    runner: DEFAULT_RUNNER_SETTINGS,
    maintenance: DEFAULT_MAINTENANCE_SETTINGS,
  };
}

export type ReapReport = Awaited<ReturnType<typeof reap>>;

export interface App {
  readonly ports: Ports;
  readonly settings: AppSettings;
  /** The dependencies of the lifecycle functions, for callers that play a builder's part (tests, tools). */
  readonly lifecycle: LifecycleDeps;

  builds: {
    /** Everything a submission would refuse, checked without writing. */
    check(caller: Caller, owner: string, project: string, options: BuildOptions, denylist?: string[]): Promise<CheckedSubmission>;
    /** Writes a checked submission (`check` is the only way to get one). */
    submit(checked: CheckedSubmission, source: BuildSource): Promise<Build>;
    /** A build of an uploaded binary RPM, published at once (functions/core/rpm-upload.ts). */
    publishRpm(checked: CheckedSubmission, rpm: UploadedRpm, chroots: readonly string[]): Promise<Build>;
    rebuildPackage(caller: Caller, owner: string, project: string, packageName: string, options: BuildOptions): Promise<Build>;
    resubmit(caller: Caller, id: number, overrides: BuildOptions): Promise<Build>;
    cancel(caller: Caller, id: number): Promise<Build>;
    delete(caller: Caller, id: number): Promise<BuildSnapshot>;
    deleteMany(caller: Caller, ids: number[]): Promise<number[]>;
    /** A package's latest and latest succeeded build. */
    latestOfPackage(owner: string, project: string, packageName: string): Promise<{ latest: BuildWithChroots | null; latest_succeeded: BuildWithChroots | null }>;
  };

  /** The builder protocol: a credential opens a session on its one task. */
  builder: {
    session(credential: string): Promise<TaskContext>;
    task(session: TaskContext): Promise<TaskInput>;
    started(session: TaskContext): Promise<void>;
    heartbeat(session: TaskContext): Promise<{ cancel: boolean }>;
    finished(session: TaskContext, report: FinishReport): Promise<void>;
    /** A warm builder (its builder credential) asks for its next task (functions/core/warm-builders.ts). */
    nextTask(builderCredential: string): Promise<NextTaskReply>;
    /** A warm builder shuts down and takes no more work. */
    leave(builderCredential: string): Promise<void>;
  };

  /**
   * Starts builders for pending tasks (passes under the dispatch lock); returns how
   * many started. With a deadline (epoch ms on the app's clock) it stops claiming by
   * then and wakes the dispatcher for the rest.
   */
  dispatch(options?: { deadline?: number }): Promise<number>;
  /** Retries or fails tasks whose builder went silent. */
  reap(): Promise<ReapReport>;
  /** Terminates builders no active task owns. */
  terminateStrays(): Promise<string[]>;

  projects: {
    create(caller: Caller, owner: string, input: NewProject, existOk: boolean): Promise<Project>;
    edit(caller: Caller, owner: string, name: string, settings: ProjectSettings, chroots?: string[]): Promise<Project>;
    delete(caller: Caller, owner: string, name: string): Promise<Project>;
    fork(caller: Caller, owner: string, name: string, target: ForkTarget): Promise<Project>;
    regenerateRepos(caller: Caller, owner: string, name: string): Promise<Project>;
  };

  actions: {
    /** One pass of the action runner. */
    run(): Promise<RunReport>;
    list(owner: string, project: string): Promise<Action[]>;
  };

  maintenance: {
    run(job: JobName): Promise<JobReport>;
    /** A scheduled event (`{"job": name}` or the daily set). */
    runEvent(event: unknown): Promise<JobReport[]>;
  };

  webhooks: {
    generateSecret(caller: Caller, owner: string, project: string): Promise<Project>;
    receive(req: WebhookRequest): Promise<WebhookOutcome>;
  };
}

export function createApp(ports: Ports, settings: AppSettings): App {
  const lifecycle: LifecycleDeps = {
    store: ports.store,
    builds: ports.builds,
    clock: ports.clock,
    settings: settings.build,
    wake: ports.wake,
    results: ports.results,
    resultsBaseUrl: settings.resultsBaseUrl,
    events: ports.events,
    publish: ports.publish,
    log: ports.log,
  };
  const enqueue: EnqueueDeps = { store: ports.store, actions: ports.actions, clock: ports.clock, wake: ports.wakeActions };
  const projectFlows: ProjectFlowDeps = { ...enqueue, events: ports.events, log: ports.log, publish: ports.publish };
  const dispatcher: DispatcherDeps = {
    builds: ports.builds,
    fleet: ports.fleet,
    clock: ports.clock,
    limits: settings.dispatch.limits,
    credentialTtlMs: settings.dispatch.credentialTtlMs,
    launchConcurrency: settings.dispatch.launchConcurrency,
    launchBackoff: settings.dispatch.launchBackoff,
    launchMaxFailures: settings.dispatch.launchMaxFailures,
    giveUp: (taskId, builderId, reason) => failUnlaunchableTask(lifecycle, taskId, builderId, reason),
    warm: settings.dispatch.warm,
    wake: ports.wake,
    log: (m) => ports.log.info(m),
  };
  const warm: WarmDeps = {
    builds: ports.builds,
    clock: ports.clock,
    warm: settings.dispatch.warm,
    credentialTtlMs: settings.dispatch.credentialTtlMs,
    wake: ports.wake,
  };
  const maintenance: MaintenanceDeps = {
    store: ports.store,
    builds: ports.builds,
    results: ports.results,
    clock: ports.clock,
    claims: ports.claims,
    events: ports.events,
    publish: ports.publish,
    wake: ports.wake,
    fleet: ports.fleet,
    actions: { listDueActions: (now, limit) => ports.actions.listDueActions(now, limit), wake: ports.wakeActions },
    publishes: { ledger: ports.publishLedger, wake: ports.wakePublisher },
    settings: settings.maintenance,
    log: (m) => ports.log.info(m),
  };
  const actionDeps = {
    store: ports.store,
    builds: ports.builds,
    results: ports.results,
    actions: ports.actions,
    clock: ports.clock,
    resultsBaseUrl: settings.resultsBaseUrl,
    publish: ports.publish,
  };

  return {
    ports,
    settings,
    lifecycle,
    builds: {
      check: (caller, owner, project, options, denylist) => checkSubmission(lifecycle, caller, owner, project, options, denylist),
      submit: (checked, source) => submitChecked(lifecycle, checked, source),
      publishRpm: (checked, rpm, chroots) => publishUploadedRpm(lifecycle, checked, rpm, chroots),
      rebuildPackage: (caller, owner, project, name, options) => rebuildPackage(lifecycle, caller, owner, project, name, options),
      resubmit: (caller, id, overrides) => resubmitBuild(lifecycle, caller, id, overrides),
      cancel: (caller, id) => cancelBuild(lifecycle, caller, id),
      delete: (caller, id) => deleteBuild(lifecycle, caller, id),
      deleteMany: (caller, ids) => deleteBuilds(lifecycle, caller, ids),
      latestOfPackage: (owner, project, name) => latestBuildsOfPackage(ports.builds, owner, project, name),
    },
    builder: {
      session: (credential) => taskOfCredential(lifecycle, credential),
      task: (s) => taskJson(lifecycle, s),
      started: (s) => onStarted(lifecycle, s),
      heartbeat: (s) => onHeartbeat(lifecycle, s),
      finished: async (s, report) => {
        await builderFinishing(warm, s);
        await onFinished(lifecycle, s, report);
      },
      nextTask: (credential) => nextTaskForBuilder(warm, credential),
      leave: (credential) => builderLeaving(warm, credential),
    },
    dispatch: (options) => dispatch(dispatcher, undefined, options),
    reap: () => reap({ ...lifecycle, terminate: (id) => ports.fleet.terminate(id) }, settings.reaper),
    terminateStrays: () => terminateStrays(ports.builds, ports.fleet, ports.clock.now(), settings.strayGraceMs),
    projects: {
      create: (caller, owner, input, existOk) => createProjectFlow(projectFlows, caller, owner, input, existOk),
      edit: (caller, owner, name, settings, chroots) => editProjectFlow(projectFlows, caller, owner, name, { settings, chroots }),
      delete: (caller, owner, name) => deleteProjectFlow(projectFlows, caller, owner, name),
      fork: (caller, owner, name, target) => forkProjectFlow(projectFlows, caller, owner, name, target),
      regenerateRepos: (caller, owner, name) => regenerateReposFlow(projectFlows, caller, owner, name),
    },
    actions: {
      run: () => runDueActions(actionDeps, settings.runner),
      list: (owner, project) => ports.actions.listProjectActions(owner, project),
    },
    maintenance: {
      run: (job) => runJob(maintenance, job),
      runEvent: (event) => runMaintenanceEvent(maintenance, event),
    },
    webhooks: {
      generateSecret: (caller, owner, project) => generateWebhookSecret(lifecycle, caller, owner, project),
      receive: (req) => handleWebhook(lifecycle, req),
    },
  };
}

export type { BuildChroot, BuildSnapshot, BuildWithChroots, CheckedSubmission, FinishReport, NextTaskReply, RunReport, TaskContext };
