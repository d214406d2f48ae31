import { isFinished, resultDirName, type Build, type Nevra, type RpmTask, type Task } from './build-model.js';
import { writeBackendLog } from './backend-log.js';
import { buildState } from './build-state.js';
import { RpmResultsSchema, SrpmResultsSchema, type FinishedReport, type SrpmResults } from './builder-protocol.js';
import { taskResultPrefix, type TaskContext } from './builder-session.js';
import { newBuildChroot, newTask } from './builds.js';
import { buildFinishedEvent } from './events.js';
import { matchAny } from './fnmatch.js';
import type { Package, Project } from './model.js';
import { isValidPackageName, MAX_NAME_LENGTH, parseChrootName } from './names.js';
import { srpmResultPrefix } from './results-store.js';
import { epochSeconds, notify, type LifecycleDeps } from './lifecycle-deps.js';
import { usableChroots } from './usable-chroots.js';

/**
 * A task's outcome: the builder's final report, what it changes in the build
 * (states, the RPM tasks after an SRPM stage, the publish of a succeeded chroot) and
 * the one close step that the reaper uses too (functions/core/reaper.ts).
 */
/** How a task ends: what the builder reported, or what the reaper found recorded or decided. */
export type Outcome = 'succeeded' | 'failed' | 'canceled' | 'skipped';

/** The builder's report (functions/core/builder-protocol.ts); the reaper makes one for a lost builder. */
export type FinishReport = FinishedReport;

/**
 * The builder's final report. Success counts only with the `success` file in the
 * results (Copr's contract); then the task ends through `closeTask`.
 */
export async function onFinished(deps: LifecycleDeps, ctx: TaskContext, report: FinishReport): Promise<void> {
  const prefix = taskResultPrefix(ctx);
  let status = report.status;
  let reason = report.fail_reason ?? null;
  if (status === 'succeeded' && !(await deps.results.exists(`${prefix}/success`))) {
    status = 'failed';
    reason = 'The builder reported success but uploaded no success file';
  }
  await closeTask(deps, ctx, status, { reason, report });
}

/**
 * The one way a task ends, for the builder's report and for the reaper alike, in
 * this order:
 * 1. the outcome is recorded (the chroot's or the source stage's final state, the RPM
 *    tasks an SRPM stage owes); skipped when it already was (`recorded` null);
 * 2. what follows from it: the task's backend.log.gz written (and the live log gzipped),
 *    then a publish of a succeeded chroot asked for (its listing sees those files), batch
 *    builds waiting for a finished build released;
 * 3. the task is closed (a conditional write: false when it already was);
 * 4. the `build.finished` notification and a dispatcher wake-up.
 * Steps 1 and 2 are safe to repeat (states only move forward, tasks and publishes
 * are merged), so a crash anywhere before 3 leaves an active task that the builder's
 * retried report or the reaper runs through here again; nothing that must happen
 * depends on a closed task being revisited. A lost notification or wake-up only
 * delays (the dispatcher also polls).
 */
export async function closeTask(
  deps: LifecycleDeps,
  ctx: { task: Task; build: Build; project: Project | null },
  status: Outcome,
  recorded: { reason: string | null; report: FinishReport } | null,
): Promise<boolean> {
  const { task, build, project } = ctx;
  if (project && recorded) await recordOutcome(deps, { task, build, project }, status, recorded.reason, recorded.report);
  // Before the close, like the publish: a crash after it would leave the result dir without
  // it. And before the publish, whose listing of the result dir must show the final files
  // (builder-live.log.gz in place of builder-live.log).
  await writeBackendLog(deps, task, build, status);
  if (project && task.kind === 'rpm') await publishIfSucceeded(deps, task, { build, project });
  await releaseIfBuildFinished(deps, build.id);
  if (!(await deps.builds.finishTask(task.task_id, status, ['starting', 'running']))) return false; // closed already
  await notify(deps, task, () => buildFinishedEvent(task, status, deps.clock.now()));
  await deps.wake();
  return true;
}

/** Step 1 of closeTask: the outcome in the build's states. */
async function recordOutcome(deps: LifecycleDeps, ctx: TaskContext, status: Outcome, reason: string | null, report: FinishReport): Promise<void> {
  if (ctx.task.kind === 'rpm') await recordRpmOutcome(deps, ctx.task, ctx.build, status, reason, report);
  else await finishSrpm(deps, ctx, status, reason, report);
}

function skippedByArch(chroot: string, tags: SrpmResults['architecture_specific_tags']): string | null {
  const { arch, name_release } = parseChrootName(chroot);
  const t = tags?.[name_release];
  if (!t) return null;
  // Copr applies both tags to noarch packages too (its own exclusivearch test: a BuildArch:
  // noarch package is skipped on the arches its ExclusiveArch leaves out). A `noarch` entry
  // only allows the noarch build itself (Fedora writes `ExclusiveArch: %{java_arches} noarch`),
  // so it restricts no chroot and is ignored here. Like copr-rpmbuild, a list with a macro the
  // builder could not expand (e.g. %{java_arches} outside a Fedora buildroot) decides nothing.
  const unexpanded = (list: readonly string[] | undefined): boolean => (list ?? []).some((a) => a.includes('%'));
  const exclusive = (t.exclusivearch ?? []).filter((a) => a !== 'noarch');
  if (!unexpanded(exclusive) && exclusive.length > 0 && !exclusive.includes(arch)) {
    return `ExclusiveArch ${t.exclusivearch?.join(' ') ?? ''} does not include ${arch}`;
  }
  if (!unexpanded(t.excludearch) && t.excludearch?.includes(arch)) return `ExcludeArch excludes ${arch}`;
  return null;
}

async function finishSrpm(deps: LifecycleDeps, ctx: TaskContext, status: string, reason: string | null, report: FinishReport): Promise<void> {
  const { build, project } = ctx;
  const now = epochSeconds(deps.clock.now());
  if (status !== 'succeeded') {
    await deps.builds.sourceEnded(build.id, { status: status === 'canceled' ? 'canceled' : 'failed', endedOn: now, failReason: reason });
    for (const c of await deps.builds.listBuildChroots(build.id)) {
      await deps.builds.chrootEndedUnbuilt(build.id, c.name, { state: status === 'canceled' ? 'canceled' : 'failed', endedOn: now, failReason: reason });
    }
    return;
  }
  const parsed = SrpmResultsSchema.safeParse(report.results);
  if (!parsed.success || !report.srpm_filename) {
    await deps.builds.sourceEnded(build.id, { status: 'failed', endedOn: now, failReason: 'The SRPM stage reported no package' });
    return;
  }
  const res = parsed.data;
  if (!isValidPackageName(res.name)) {
    // Copr refuses such names (over 100 characters or outside its pattern) when importing the SRPM.
    const shown = res.name.length > 120 ? `${res.name.slice(0, 120)}…` : res.name;
    return finishSrpm(deps, ctx, 'failed', `Invalid package name '${shown}': at most ${MAX_NAME_LENGTH} characters of [-+_.a-zA-Z0-9]`, report);
  }
  const pkgName = res.name;
  const version = `${res.epoch ? `${res.epoch}:` : ''}${res.version}-${res.release}`;
  const pkg = await ensurePackage(deps, project, pkgName, build);
  const srpmUrl = `${deps.resultsBaseUrl}/${srpmResultPrefix(build.ownername, build.project_dirname, build.id)}/${report.srpm_filename}`;
  await deps.builds.recordSourcePackage(build.id, { package_name: pkgName, pkg_version: version, srpm_url: srpmUrl });
  const fresh = (await deps.builds.getBuild(build.id))!;
  // Chroots: those requested at submit, else all active project chroots minus the package's denylist.
  let existing = await deps.builds.listBuildChroots(build.id);
  if (existing.length === 0 && build.chroots_requested === null) {
    let names = await usableChroots(deps.store, project);
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
      await deps.builds.chrootEndedUnbuilt(build.id, c.name, { state: fresh.canceled ? 'canceled' : 'skipped', endedOn: now, failReason: skip });
      continue;
    }
    if (c.state === 'waiting') await deps.builds.chrootQueued(build.id, c.name, resultDirName(build.id, pkgName));
    tasks.push(newTask(fresh, c.name, parseChrootName(c.name).arch, deps.clock.now()));
  }
  if (tasks.length > 0) await deps.builds.enqueueTasks(tasks);
  // Last: once the source stage reads `succeeded`, everything it owed exists.
  await deps.builds.sourceEnded(build.id, { status: 'succeeded', endedOn: now });
}

export async function ensurePackage(deps: LifecycleDeps, project: Project, name: string, build: Build): Promise<Package | null> {
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

async function recordRpmOutcome(deps: LifecycleDeps, task: RpmTask, build: Build, status: Outcome, reason: string | null, report: FinishReport): Promise<void> {
  // A report without (valid) results.json records no packages; its state still counts.
  const parsed = RpmResultsSchema.safeParse(report.results ?? {});
  const packages: Nevra[] = parsed.success ? parsed.data.packages : [];
  // Refused when the chroot is already final (canceled meanwhile, or a duplicate report).
  await deps.builds.chrootFinished(build.id, task.chroot, {
    state: status,
    endedOn: epochSeconds(deps.clock.now()),
    failReason: reason,
    packages,
    resultDir: resultDirName(build.id, build.package_name),
  });
}

/** Publishes the chroot's results when its final state is `succeeded` (not if canceled meanwhile). */
async function publishIfSucceeded(deps: LifecycleDeps, task: RpmTask, { build, project }: { build: Build; project: Project }): Promise<void> {
  const chroot = await deps.builds.getBuildChroot(build.id, task.chroot);
  if (chroot?.state !== 'succeeded') return;
  const resultDir = resultDirName(build.id, build.package_name);
  await deps.publish({ owner: build.ownername, dirname: build.project_dirname, chroot: task.chroot, adds: [resultDir], devel: project.devel_mode });
}

/** When a build is done, builds waiting for it in a batch may start. */
async function releaseIfBuildFinished(deps: LifecycleDeps, buildId: number): Promise<void> {
  const build = await deps.builds.getBuild(buildId);
  if (!build) return;
  const state = buildState(build, await deps.builds.listBuildChroots(buildId));
  if (isFinished(state)) await deps.builds.releaseBlocked(buildId);
}
