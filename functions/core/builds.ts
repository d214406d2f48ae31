import { loadProject, requireBuild } from './access.js';
import type { BuildStore } from './build-ports.js';
import { isFinished, taskIdOf, type Build, type BuildChroot, type Task } from './build-model.js';
import { buildState } from './build-state.js';
import { checkSubmission, type CheckedSubmission } from './build-check.js';
import { badRequest, conflict, fieldError, notFound, notValidChoice } from './errors.js';
import { matchAny } from './fnmatch.js';
import type { Caller, SourceType } from './model.js';
import { parseChrootName } from './names.js';
import type { Ports } from './ports.js';

/**
 * Submitting builds and the options they carry (spec §2.4). The build and its SRPM
 * task are written in one transaction; the dispatcher is then woken, but the table
 * stays the source of truth if the wake-up is lost.
 */
export interface BuildSettings {
  timeoutDefault: number;
  timeoutMax: number;
  /** Architecture of the builders that run SRPM stages. */
  srpmArch: string;
}

export const DEFAULT_BUILD_SETTINGS: BuildSettings = { timeoutDefault: 18_000, timeoutMax: 108_000, srpmArch: 'x86_64' };

/** `wake` wakes the dispatcher (a queue message); losing it only delays work. */
export type BuildDeps = Pick<Ports, 'store' | 'builds' | 'clock' | 'wake'> & { settings: BuildSettings };

export interface BuildOptions {
  project_dirname?: string;
  chroots?: string[];
  exclude_chroots?: string[];
  timeout?: number;
  background?: boolean;
  enable_net?: boolean;
  bootstrap?: string;
  isolation?: string;
  after_build_id?: number;
  with_build_id?: number;
}

export interface BuildSubmission {
  ownername: string;
  projectname: string;
  source_type: SourceType;
  source_dict: Record<string, unknown>;
  /** Known for package rebuilds. */
  package_name?: string;
  options: BuildOptions;
  /** Chroot denylist of the package (package rebuilds). */
  denylist?: string[];
}

/** `<project>`, `<project>:pr:<n>` or `<project>:custom:<x>` (spec §2.4). */
export function checkDirname(project: string, dirname: string | undefined): string {
  if (dirname === undefined || dirname === '' || dirname === project) return project;
  const m = /^(.+?):(pr:\d+|custom:[a-zA-Z0-9-]+)$/.exec(dirname);
  if (!m || m[1] !== project) throw badRequest(`Wrong project_dirname '${dirname}' for project ${project}`);
  return dirname;
}

/** Resolves `chroots` patterns and `exclude_chroots` against the project's chroots. */
export function selectChroots(projectChroots: string[], wanted: string[] | undefined, exclude: string[] | undefined): string[] | null {
  let selected: string[] | null = null;
  if (wanted && wanted.length > 0) {
    selected = matchAny(projectChroots, wanted);
    const unmatched = wanted.filter((w) => matchAny(projectChroots, [w]).length === 0);
    if (unmatched.length > 0) throw fieldError('chroots', notValidChoice(unmatched));
  }
  if (exclude && exclude.length > 0) {
    const base = selected ?? projectChroots;
    const dropped = new Set(matchAny(base, exclude));
    selected = base.filter((c) => !dropped.has(c));
    if (selected.length === 0) throw fieldError('None', 'No chroot left after applying exclude_chroots');
  }
  return selected;
}

function sandboxOf(owner: string, project: string, submitter: string | null): string {
  return `${owner}/${project}--${submitter ?? 'webhook'}`;
}

/** A build as submitted: SRPM stage pending, nothing started (fields overridable). */
export function newBuild(id: number, owner: string, project: string, over: Partial<Build> = {}): Build {
  return {
    id,
    ownername: owner,
    projectname: project,
    project_dirname: project,
    package_name: null,
    pkg_version: null,
    srpm_url: null,
    source_type: 'unset',
    source_dict: {},
    source_status: 'pending',
    canceled: false,
    submitter: null,
    submitted_on: 0,
    is_background: false,
    timeout: DEFAULT_BUILD_SETTINGS.timeoutDefault,
    enable_net: false,
    chroots_requested: null,
    exclude_chroots: [],
    bootstrap: null,
    isolation: null,
    after_build_id: null,
    source_started_on: null,
    source_ended_on: null,
    fail_reason: null,
    ...over,
  };
}

export function newTask(build: Build, chroot: string | null, arch: string, now: number): Task {
  const stage = chroot === null ? { kind: 'srpm' as const, chroot } : { kind: 'rpm' as const, chroot };
  return {
    task_id: taskIdOf(build.id, chroot),
    build_id: build.id,
    ...stage,
    arch,
    owner: build.ownername,
    project: build.projectname,
    sandbox: sandboxOf(build.ownername, build.projectname, build.submitter),
    background: build.is_background,
    state: 'pending',
    attempts: 0,
    heartbeat_at: null,
    cancel_requested: false,
    credential_hash: null,
    credential_expires: null,
    builder_id: null,
    created_at: now,
    outcome: null,
  };
}

export function newBuildChroot(buildId: number, name: string, state: BuildChroot['state']): BuildChroot {
  return { build_id: buildId, name, state, started_on: null, ended_on: null, result_dir: null, fail_reason: null, packages: [] };
}

/** The batch predecessor this build must wait for, or null when it can start now. */
async function batchBlocker(deps: BuildDeps, opts: BuildOptions): Promise<number | null> {
  let after: number | null = null;
  if (opts.after_build_id !== undefined) {
    if (!(await deps.builds.getBuild(opts.after_build_id))) throw badRequest(`Build ${opts.after_build_id} does not exist.`);
    after = opts.after_build_id;
  } else if (opts.with_build_id !== undefined) {
    const sibling = await deps.builds.getBuild(opts.with_build_id);
    if (!sibling) throw badRequest(`Build ${opts.with_build_id} does not exist.`);
    after = sibling.after_build_id;
  }
  if (after === null) return null;
  const pred = await deps.builds.getBuild(after);
  if (!pred) return null;
  const state = buildState(pred, await deps.builds.listBuildChroots(after));
  return isFinished(state) ? null : after;
}

/** What a build is made from (the checked submission says where and how). */
export interface BuildSource {
  source_type: SourceType;
  source_dict: Record<string, unknown>;
  /** Known for package rebuilds. */
  package_name?: string;
}

/** Checks and writes a submission (functions/core/build-check.ts is the check). */
export async function submitBuild(deps: BuildDeps, caller: Caller | null, sub: BuildSubmission): Promise<Build> {
  const checked = await checkSubmission(deps, caller, sub.ownername, sub.projectname, sub.options, sub.denylist);
  return submitChecked(deps, checked, sub);
}

/**
 * Writes a checked submission: the build, its chroots and its SRPM task in one
 * transaction, then wakes the dispatcher.
 */
export async function submitChecked(deps: BuildDeps, checked: CheckedSubmission, source: BuildSource): Promise<Build> {
  const { project, options, chroots, caller } = checked;
  const blockedOn = await batchBlocker(deps, options);
  const now = deps.clock.now();
  const build = newBuild(await deps.store.nextId('build'), project.ownername, project.name, {
    project_dirname: checked.dirname,
    package_name: source.package_name ?? null,
    source_type: source.source_type,
    source_dict: source.source_dict,
    submitter: caller?.user.name ?? null,
    submitted_on: Math.floor(now / 1000),
    is_background: options.background ?? false,
    timeout: checked.timeout,
    enable_net: options.enable_net ?? project.enable_net,
    chroots_requested: chroots,
    exclude_chroots: options.exclude_chroots ?? [],
    bootstrap: options.bootstrap && options.bootstrap !== 'unchanged' ? options.bootstrap : null,
    isolation: options.isolation && options.isolation !== 'unchanged' ? options.isolation : null,
    after_build_id: blockedOn ?? (options.after_build_id ?? null),
  });
  const srpmArch = sourceArch(source, deps.settings.srpmArch);
  const buildChroots = (chroots ?? []).map((c) => newBuildChroot(build.id, c, 'waiting'));
  await deps.builds.createBuild(build, buildChroots, [newTask(build, null, srpmArch, now)], blockedOn);
  await deps.wake();
  return build;
}

/** Custom scripts run in their own chroot's architecture; everything else on the SRPM builders. */
function sourceArch(sub: BuildSource, fallback: string): string {
  const chroot = sub.source_type === 'custom' ? sub.source_dict.chroot : undefined;
  if (typeof chroot === 'string' && chroot.split('-').length >= 3) return parseChrootName(chroot).arch;
  return fallback;
}

export async function loadBuild(builds: BuildStore, id: number): Promise<Build> {
  const b = await builds.getBuild(id);
  if (!b) throw notFound(`Build ${id} does not exist.`);
  return b;
}

/**
 * Cancel: the build is canceled at once; pending tasks finish as canceled, running
 * ones are flagged and their builder stops on its next heartbeat.
 */
export async function cancelBuild(deps: BuildDeps, caller: Caller, id: number): Promise<Build> {
  const build = await loadBuild(deps.builds, id);
  const project = await loadProject(deps.store, build.ownername, build.projectname);
  await requireBuild(deps.store, caller, project);
  const chroots = await deps.builds.listBuildChroots(id);
  if (isFinished(buildState(build, chroots))) throw conflict(`Cannot cancel build ${id}`);
  await deps.builds.markBuildCanceled(id);
  const now = Math.floor(deps.clock.now() / 1000);
  for (const task of await deps.builds.listBuildTasks(build, chroots.map((c) => c.name))) {
    if (task.state === 'pending') await deps.builds.finishTask(task.task_id, 'canceled', ['pending']);
    else if (task.state !== 'finished') await deps.builds.requestCancel(task.task_id);
  }
  for (const c of chroots) {
    if (c.state === 'waiting' || c.state === 'pending') {
      await deps.builds.chrootEndedUnbuilt(id, c.name, { state: 'canceled', endedOn: now });
    }
  }
  if (['pending', 'waiting'].includes(build.source_status)) {
    await deps.builds.sourceEnded(id, { status: 'canceled', endedOn: now });
  }
  return { ...build, canceled: true };
}

