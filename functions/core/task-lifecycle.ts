import { timingSafeEqual } from 'node:crypto';
import { buildRepos } from './build-config.js';
import type { BuildStore } from './build-ports.js';
import { isFinished, resultDirName, type Build, type BuildChroot, type Nevra, type Task } from './build-model.js';
import { buildState } from './build-state.js';
import { newBuildChroot, newTask, type BuildDeps } from './builds.js';
import { hashCredential, taskIdOfCredential } from './dispatcher.js';
import { CoprError } from './errors.js';
import { buildFinishedEvent, buildStartedEvent, type EventSink } from './events.js';
import { matchAny } from './fnmatch.js';
import type { Package, Project } from './model.js';
import { isValidPackageName, MAX_NAME_LENGTH, parseChrootName } from './names.js';
import { rpmResultPrefix, srpmResultPrefix, type ResultsStore } from './results-store.js';

/**
 * The server side of the builder protocol: what a builder may fetch with its
 * credential, and what happens when it reports start, heartbeats and results.
 * Every transition is a conditional write, so a retried or late report is a no-op.
 */
export interface LifecycleDeps extends BuildDeps {
  results: ResultsStore;
  resultsBaseUrl: string;
  /** Build events for notifications (EventBridge on AWS, a JSON-lines file locally). */
  events?: EventSink;
  /**
   * Asks for a createrepo of one repository (after a successful RPM task, or with
   * `deletes` after a build was deleted: the publisher removes those dirs once no
   * live metadata names them).
   */
  publish(req: { owner: string; dirname: string; chroot: string; adds: string[]; deletes?: string[]; devel: boolean; full?: boolean }): Promise<void>;
}

export interface TaskContext {
  task: Task;
  build: Build;
  project: Project;
}

const builderDenied = () => new CoprError('unauthorized', 'Invalid or expired builder credential');

/** Resolves a builder credential to its task; only active tasks with a live credential pass. */
export async function taskOfCredential(deps: Pick<LifecycleDeps, 'builds' | 'store' | 'clock'>, credential: string): Promise<TaskContext> {
  const taskId = taskIdOfCredential(credential);
  if (!taskId) throw builderDenied();
  const task = await deps.builds.getTask(taskId);
  if (!task || !task.credential_hash || task.state === 'finished' || task.state === 'pending') throw builderDenied();
  const a = Buffer.from(hashCredential(credential), 'hex');
  const b = Buffer.from(task.credential_hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw builderDenied();
  if ((task.credential_expires ?? 0) < deps.clock.now()) throw builderDenied();
  const build = await deps.builds.getBuild(task.build_id);
  if (!build) throw builderDenied();
  const project = await deps.store.getProject(build.ownername, build.projectname);
  if (!project) throw builderDenied();
  return { task, build, project };
}

/** The result dir prefix a task may write to. */
export function taskResultPrefix(ctx: TaskContext): string {
  const { task, build } = ctx;
  if (task.kind === 'srpm') return srpmResultPrefix(build.ownername, build.project_dirname, build.id);
  return rpmResultPrefix(build.ownername, build.project_dirname, task.chroot!, resultDirName(build.id, build.package_name));
}

function distributions(chroots: string[]): string[] {
  return [...new Set(chroots.map((c) => parseChrootName(c).name_release))].sort();
}

/** The task JSON the builder agent runs (builder-ami/agent/task.ts). */
export async function taskJson(deps: LifecycleDeps, ctx: TaskContext): Promise<Record<string, unknown>> {
  const { task, build, project } = ctx;
  const common = {
    task_id: task.task_id,
    build_id: build.id,
    project_owner: build.ownername,
    project_name: build.projectname,
    project_dirname: build.project_dirname,
    timeout: build.timeout,
    enable_net: build.enable_net,
    package_name: build.package_name,
  };
  if (task.kind === 'srpm') {
    const projectChroots = (await deps.store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot);
    const custom = build.source_type === 'custom' ? build.source_dict.chroot : null;
    return {
      ...common,
      kind: 'srpm',
      source_type: build.source_type,
      source_json: JSON.stringify(build.source_dict),
      chroot: typeof custom === 'string' ? custom : null,
      distributions_in_build: distributions(build.chroots_requested ?? []),
      distributions_in_project: distributions(projectChroots),
    };
  }
  const chroot = await deps.store.getProjectChroot(project.ownername, project.name, task.chroot!);
  return {
    ...common,
    kind: 'rpm',
    chroot: task.chroot,
    srpm_url: build.srpm_url,
    repos: chroot ? buildRepos({ project, chroot, resultsBaseUrl: deps.resultsBaseUrl, dirname: build.project_dirname }) : [],
    buildroot_pkgs: chroot?.additional_packages ?? [],
    with_opts: chroot?.with_opts ?? [],
    without_opts: chroot?.without_opts ?? [],
  };
}

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/** Notifications never hold up or fail a build: a sink error is logged and dropped. */
async function notify(deps: LifecycleDeps, make: () => ReturnType<typeof buildStartedEvent>): Promise<void> {
  if (!deps.events) return;
  try {
    await deps.events.publish(make());
  } catch (err) {
    console.error(`events: ${(err as Error).message}`);
  }
}

export async function onStarted(deps: LifecycleDeps, ctx: TaskContext): Promise<void> {
  const now = deps.clock.now();
  if (await deps.builds.markTaskRunning(ctx.task.task_id, now)) await notify(deps, () => buildStartedEvent(ctx.task, now));
  if (ctx.task.kind === 'srpm') {
    await deps.builds.updateBuild(ctx.build.id, { source_status: 'running', source_started_on: ctx.build.source_started_on ?? epochSeconds(now) });
  } else {
    const bc = await deps.builds.getBuildChroot(ctx.build.id, ctx.task.chroot!);
    await deps.builds.updateBuildChroot(ctx.build.id, ctx.task.chroot!, {
      state: 'running',
      started_on: bc?.started_on ?? epochSeconds(now),
      result_dir: resultDirName(ctx.build.id, ctx.build.package_name),
    });
  }
}

/** Heartbeat: extends the lease; tells the builder whether to stop. */
export async function onHeartbeat(deps: LifecycleDeps, ctx: TaskContext): Promise<{ cancel: boolean }> {
  const task = await deps.builds.heartbeat(ctx.task.task_id, deps.clock.now());
  return { cancel: !task || task.cancel_requested };
}

export interface FinishReport {
  status: 'succeeded' | 'failed' | 'canceled';
  fail_reason?: string;
  results?: unknown;
  srpm_filename?: string;
}

interface SrpmResultsJson {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  architecture_specific_tags?: Record<string, { exclusivearch?: string[]; excludearch?: string[]; buildarch?: string[] }>;
}

export async function onFinished(deps: LifecycleDeps, ctx: TaskContext, report: FinishReport): Promise<void> {
  const prefix = taskResultPrefix(ctx);
  let status = report.status;
  let reason = report.fail_reason ?? null;
  // Success is signalled only by the `success` file in the results (Copr's contract).
  if (status === 'succeeded' && !(await deps.results.exists(`${prefix}/success`))) {
    status = 'failed';
    reason = 'The builder reported success but uploaded no success file';
  }
  if (ctx.task.kind === 'rpm') {
    // The chroot's final state is written before the task is closed: a crash in
    // between leaves an active task that the builder's retry or the reaper closes,
    // never a closed task whose chroot stays `running`.
    await recordRpmOutcome(deps, ctx, status, reason, report);
    if (!(await deps.builds.finishTask(ctx.task.task_id, status, ['starting', 'running']))) return; // duplicate report
    await notify(deps, () => buildFinishedEvent(ctx.task, status, deps.clock.now()));
    await publishIfSucceeded(deps, ctx);
  } else {
    // The stage's effects (RPM tasks, states) come first and are safe to repeat; the
    // task closes last, so a crash in between leaves it to the builder's retry or the reaper.
    await finishSrpm(deps, ctx, status, reason, report);
    if (!(await deps.builds.finishTask(ctx.task.task_id, status, ['starting', 'running']))) return; // duplicate report
    await notify(deps, () => buildFinishedEvent(ctx.task, status, deps.clock.now()));
  }
  await afterTaskFinished(deps, ctx.build.id);
}

function skippedByArch(chroot: string, tags: SrpmResultsJson['architecture_specific_tags']): string | null {
  const { arch, name_release } = parseChrootName(chroot);
  const t = tags?.[name_release];
  if (!t) return null;
  if (t.buildarch?.includes('noarch')) {
    // noarch packages build everywhere unless ExclusiveArch forbids it explicitly
    if (t.exclusivearch?.length && !t.exclusivearch.includes(arch) && !t.exclusivearch.includes('noarch')) {
      return `ExclusiveArch ${t.exclusivearch.join(' ')} does not include ${arch}`;
    }
    return null;
  }
  if (t.exclusivearch?.length && !t.exclusivearch.includes(arch)) return `ExclusiveArch ${t.exclusivearch.join(' ')} does not include ${arch}`;
  if (t.excludearch?.includes(arch)) return `ExcludeArch excludes ${arch}`;
  return null;
}

async function finishSrpm(deps: LifecycleDeps, ctx: TaskContext, status: string, reason: string | null, report: FinishReport): Promise<void> {
  const { build, project } = ctx;
  const now = epochSeconds(deps.clock.now());
  if (status !== 'succeeded') {
    await deps.builds.updateBuild(build.id, { source_status: status === 'canceled' ? 'canceled' : 'failed', source_ended_on: now, fail_reason: reason });
    for (const c of await deps.builds.listBuildChroots(build.id)) {
      await deps.builds.updateBuildChroot(build.id, c.name, { state: status === 'canceled' ? 'canceled' : 'failed', ended_on: now, fail_reason: reason });
    }
    return;
  }
  const res = report.results as SrpmResultsJson | undefined;
  if (!res?.name || !report.srpm_filename) {
    await deps.builds.updateBuild(build.id, { source_status: 'failed', source_ended_on: now, fail_reason: 'The SRPM stage reported no package' });
    return;
  }
  if (!isValidPackageName(res.name)) {
    // Copr refuses such names (over 100 characters or outside its pattern) when importing the SRPM.
    const shown = res.name.length > 120 ? `${res.name.slice(0, 120)}…` : res.name;
    return finishSrpm(deps, ctx, 'failed', `Invalid package name '${shown}': at most ${MAX_NAME_LENGTH} characters of [-+_.a-zA-Z0-9]`, report);
  }
  const pkgName = res.name;
  const version = `${res.epoch ? `${res.epoch}:` : ''}${res.version}-${res.release}`;
  const pkg = await ensurePackage(deps, project, pkgName, build);
  const srpmUrl = `${deps.resultsBaseUrl}/${srpmResultPrefix(build.ownername, build.project_dirname, build.id)}/${report.srpm_filename}`;
  await deps.builds.updateBuild(build.id, { package_name: pkgName, pkg_version: version, srpm_url: srpmUrl });
  const fresh = (await deps.builds.getBuild(build.id))!;
  // Chroots: those requested at submit, else all active project chroots minus the package's denylist.
  let existing = await deps.builds.listBuildChroots(build.id);
  if (existing.length === 0 && build.chroots_requested === null) {
    const active = new Set((await deps.store.listMockChroots()).filter((m) => m.is_active).map((m) => m.name));
    let names = (await deps.store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot).filter((c) => active.has(c));
    const excluded = new Set(matchAny(names, [...build.exclude_chroots, ...(pkg?.chroot_denylist ?? [])]));
    names = names.filter((c) => !excluded.has(c));
    await deps.builds.createBuildChroots(names.map((n) => newBuildChroot(build.id, n, 'waiting')));
    existing = await deps.builds.listBuildChroots(build.id);
  }
  // Every step below is safe to repeat (a report retried after a crash): chroots only
  // move forward, tasks are created only if missing.
  const tasks: Task[] = [];
  for (const c of existing) {
    if (c.state !== 'waiting' && c.state !== 'pending') continue;
    const skip = skippedByArch(c.name, res.architecture_specific_tags);
    if (skip || fresh.canceled) {
      await deps.builds.updateBuildChroot(build.id, c.name, {
        state: fresh.canceled ? 'canceled' : 'skipped',
        ended_on: now,
        fail_reason: skip,
      });
      continue;
    }
    if (c.state === 'waiting') await deps.builds.updateBuildChroot(build.id, c.name, { state: 'pending', result_dir: resultDirName(build.id, pkgName) });
    tasks.push(newTask(fresh, c.name, parseChrootName(c.name).arch, deps.clock.now()));
  }
  if (tasks.length > 0) await deps.builds.enqueueTasks(tasks);
  // Last: once the source stage reads `succeeded`, everything it owed exists.
  await deps.builds.updateBuild(build.id, { source_status: 'succeeded', source_ended_on: now });
}

async function ensurePackage(deps: LifecycleDeps, project: Project, name: string, build: Build): Promise<Package | null> {
  const found = await deps.store.getPackage(project.ownername, project.name, name);
  if (found) return found;
  const pkg: Package = {
    id: await deps.store.nextId('package'),
    name,
    ownername: project.ownername,
    projectname: project.name,
    source_type: build.source_type,
    source_dict: build.source_dict,
    auto_rebuild: false,
    max_builds: null,
    timeout: null,
    chroot_denylist: [],
  };
  try {
    await deps.store.createPackage(pkg);
    return pkg;
  } catch {
    return deps.store.getPackage(project.ownername, project.name, name); // created concurrently
  }
}

async function recordRpmOutcome(deps: LifecycleDeps, ctx: TaskContext, status: string, reason: string | null, report: FinishReport): Promise<void> {
  const { build, task } = ctx;
  const packages = ((report.results as { packages?: Nevra[] } | undefined)?.packages ?? []).map((p) => ({
    name: p.name,
    epoch: p.epoch ?? null,
    version: p.version,
    release: p.release,
    arch: p.arch,
  }));
  // Refused when the chroot is already final (canceled meanwhile, or a duplicate report).
  await deps.builds.updateBuildChroot(build.id, task.chroot!, {
    state: status as BuildChroot['state'],
    ended_on: epochSeconds(deps.clock.now()),
    fail_reason: reason,
    packages,
    result_dir: resultDirName(build.id, build.package_name),
  });
}

/** Publishes the chroot's results when its final state is `succeeded` (not if canceled meanwhile). */
async function publishIfSucceeded(deps: LifecycleDeps, ctx: TaskContext): Promise<void> {
  const { build, task, project } = ctx;
  const chroot = await deps.builds.getBuildChroot(build.id, task.chroot!);
  if (chroot?.state !== 'succeeded') return;
  const resultDir = resultDirName(build.id, build.package_name);
  await deps.publish({ owner: build.ownername, dirname: build.project_dirname, chroot: task.chroot!, adds: [resultDir], devel: project.devel_mode });
}

/** When a build is done, builds waiting for it in a batch may start. */
async function afterTaskFinished(deps: LifecycleDeps, buildId: number): Promise<void> {
  const build = await deps.builds.getBuild(buildId);
  if (!build) return;
  const state = buildState(build, await deps.builds.listBuildChroots(buildId));
  if (isFinished(state)) await deps.builds.releaseBlocked(buildId);
  await deps.wake();
}

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
    const build = await deps.builds.getBuild(task.build_id);
    // The agent enforces the build timeout itself and keeps heartbeating until it
    // has reported; silence is the one sign of a lost builder.
    const lost = task.heartbeat_at !== null && now - task.heartbeat_at > settings.heartbeatTimeoutMs;
    if (!lost) continue;
    if (task.builder_id) await deps.terminate(task.builder_id).catch(() => undefined);
    if (!build) {
      await deps.builds.finishTask(task.task_id, 'failed', ['starting', 'running']);
      continue;
    }
    const ctx = { task, build, project: (await deps.store.getProject(build.ownername, build.projectname))! };
    // The builder reported its outcome but the task was never closed (a crash in
    // between): close it with that outcome instead of building again.
    const recordedState = task.kind === 'rpm' ? (await deps.builds.getBuildChroot(build.id, task.chroot!))?.state : build.source_status;
    if (recordedState && isFinished(recordedState)) {
      const outcome = (['succeeded', 'failed', 'canceled', 'skipped'] as const).find((o) => o === recordedState) ?? 'failed';
      if (await deps.builds.finishTask(task.task_id, outcome, ['starting', 'running'])) {
        await notify(deps, () => buildFinishedEvent(task, outcome, now));
        if (ctx.project && task.kind === 'rpm') await publishIfSucceeded(deps, ctx);
        await afterTaskFinished(deps, build.id);
        closed.push(task.task_id);
      }
      continue;
    }
    if (task.attempts + 1 < settings.maxAttempts && !task.cancel_requested && !build.canceled) {
      if (await deps.builds.requeueTask(task.task_id, task.heartbeat_at)) {
        if (task.kind === 'rpm') await deps.builds.updateBuildChroot(build.id, task.chroot!, { state: 'pending' });
        else await deps.builds.updateBuild(build.id, { source_status: 'pending' });
        requeued.push(task.task_id);
      }
      continue;
    }
    const reason = task.cancel_requested || build.canceled
      ? 'Canceled; the builder stopped responding'
      : `The builder stopped responding (${task.attempts + 1} attempts)`;
    const outcome = task.cancel_requested || build.canceled ? 'canceled' : 'failed';
    if (await deps.builds.finishTask(task.task_id, outcome, ['starting', 'running'])) {
      await notify(deps, () => buildFinishedEvent(task, outcome, now));
      if (ctx.project) {
        if (task.kind === 'srpm') await finishSrpm(deps, ctx, outcome, reason, { status: outcome });
        else await recordRpmOutcome(deps, ctx, outcome, reason, { status: outcome }); // failed/canceled: nothing to publish
      }
      await afterTaskFinished(deps, build.id);
      failed.push(task.task_id);
    }
  }
  if (requeued.length > 0) await deps.wake();
  return { requeued, failed, closed };
}

export type { BuildStore };
