import { timingSafeEqual } from 'node:crypto';
import { buildRepos } from './build-config.js';
import type { TaskInput } from './builder-protocol.js';
import { resultDirName, type Build, type Task } from './build-model.js';
import { hashCredential, taskIdOfCredential } from './dispatcher.js';
import { CoprError } from './errors.js';
import { buildStartedEvent } from './events.js';
import type { Project } from './model.js';
import { parseChrootName } from './names.js';
import { rpmResultPrefix, srpmResultPrefix } from './results-store.js';
import { epochSeconds, notify, type LifecycleDeps } from './lifecycle-deps.js';

/**
 * The builder's session on its one task (the server side of the builder protocol,
 * builder-ami/agent/api-client.ts is the other): what a builder may fetch with its
 * credential, its start and its heartbeats. Its final report is the task outcome
 * (functions/core/task-outcome.ts). Every transition is a conditional write, so a
 * retried or late report is a no-op.
 */
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
  return rpmResultPrefix(build.ownername, build.project_dirname, task.chroot, resultDirName(build.id, build.package_name));
}

function distributions(chroots: string[]): string[] {
  return [...new Set(chroots.map((c) => parseChrootName(c).name_release))].sort();
}

/** The task JSON the builder agent runs (builder-ami/agent/task.ts). */
export async function taskJson(deps: LifecycleDeps, ctx: TaskContext): Promise<TaskInput> {
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
    // Submission refuses packages without a source, so a build always has one.
    if (build.source_type === 'unset') throw new CoprError('server-error', `Build ${build.id} has no source`);
    // An uploaded binary RPM (functions/core/rpm-upload.ts) is published without any builder task.
    if (build.source_type === 'rpm_upload') throw new CoprError('server-error', `Build ${build.id} is an uploaded RPM and has no SRPM stage`);
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
  // RPM tasks are created by a successful SRPM stage, together with the SRPM's URL.
  if (!build.srpm_url) throw new CoprError('server-error', `Build ${build.id} has an RPM task but no SRPM`);
  const chroot = await deps.store.getProjectChroot(project.ownername, project.name, task.chroot);
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

export async function onStarted(deps: LifecycleDeps, ctx: TaskContext): Promise<void> {
  const now = deps.clock.now();
  if (await deps.builds.markTaskRunning(ctx.task.task_id, now)) await notify(deps, ctx.task, () => buildStartedEvent(ctx.task, now));
  if (ctx.task.kind === 'srpm') {
    await deps.builds.sourceStarted(ctx.build.id, ctx.build.source_started_on ?? epochSeconds(now));
  } else {
    const bc = await deps.builds.getBuildChroot(ctx.build.id, ctx.task.chroot);
    await deps.builds.chrootStarted(ctx.build.id, ctx.task.chroot, {
      startedOn: bc?.started_on ?? epochSeconds(now),
      resultDir: resultDirName(ctx.build.id, ctx.build.package_name),
    });
  }
}

/** Heartbeat: extends the lease; tells the builder whether to stop. */
export async function onHeartbeat(deps: LifecycleDeps, ctx: TaskContext): Promise<{ cancel: boolean }> {
  const task = await deps.builds.heartbeat(ctx.task.task_id, deps.clock.now());
  return { cancel: !task || task.cancel_requested };
}

