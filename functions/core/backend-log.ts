import { gzipSync } from 'node:zlib';
import { resultDirName, type Build, type Task } from './build-model.js';
import type { BuildStore } from './build-ports.js';
import type { Clock, Logger } from './ports.js';
import { rpmResultPrefix, srpmResultPrefix, type ResultsStore } from './results-store.js';

/**
 * Copr's `backend.log.gz`: the service side's account of one task, next to the builder's
 * own logs in the task's result dir (where Copr users look for why a build never ran or
 * was refused: an invalid package name, a builder that went silent, a missing `success`
 * file). Written when the task closes, from what the table recorded, so writing it again
 * (a retried report, the reaper) gives the same file.
 */
export const BACKEND_LOG = 'backend.log.gz';
const LIVE_LOG = 'builder-live.log';

export interface BackendLogDeps {
  builds: Pick<BuildStore, 'getBuild' | 'getBuildChroot'>;
  results: Pick<ResultsStore, 'put' | 'get' | 'delete'>;
  clock: Clock;
  log: Logger;
}

function stamp(ms: number): string {
  return `[${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC]`;
}

/** The recorded final state and reason of the task's stage. */
async function recorded(deps: BackendLogDeps, task: Task, build: Build): Promise<{ state: string; reason: string | null; startedMs: number | null }> {
  if (task.kind === 'srpm') {
    const fresh = (await deps.builds.getBuild(build.id)) ?? build;
    return { state: fresh.source_status, reason: fresh.fail_reason, startedMs: fresh.source_started_on === null ? null : fresh.source_started_on * 1000 };
  }
  const chroot = await deps.builds.getBuildChroot(build.id, task.chroot);
  return { state: chroot?.state ?? 'unknown', reason: chroot?.fail_reason ?? null, startedMs: chroot?.started_on ? chroot.started_on * 1000 : null };
}

function resultPrefix(task: Task, build: Build): string {
  if (task.kind === 'srpm') return srpmResultPrefix(build.ownername, build.project_dirname, build.id);
  return rpmResultPrefix(build.ownername, build.project_dirname, task.chroot, resultDirName(build.id, build.package_name));
}

export async function renderBackendLog(deps: BackendLogDeps, task: Task, build: Build, outcome: string): Promise<string> {
  const rec = await recorded(deps, task, build);
  const stage = task.kind === 'srpm' ? 'SRPM stage' : `RPM stage in ${task.chroot}`;
  const lines = [
    `${stamp(task.created_at)} Task ${task.task_id}: ${stage} of build ${build.id} in ${build.ownername}/${build.project_dirname}, queued (sandbox ${task.sandbox})`,
  ];
  if (task.builder_id) {
    const started = rec.startedMs ?? task.created_at;
    lines.push(`${stamp(started)} Builder ${task.builder_id} took the task (attempt ${task.attempts + 1})`);
  } else {
    lines.push(`${stamp(task.created_at)} No builder took the task`);
  }
  if (task.heartbeat_at !== null) lines.push(`${stamp(task.heartbeat_at)} Last heartbeat from the builder`);
  const now = deps.clock.now();
  // `outcome` is what closes the task; the recorded state may say more (a reported success
  // turned into a failure by the service, e.g. an invalid package name).
  const state = rec.state === outcome || rec.state === 'unknown' ? outcome : rec.state;
  lines.push(`${stamp(now)} Worker finished the task: ${state}`);
  if (rec.reason) lines.push(`${stamp(now)} Reason: ${rec.reason}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the task's backend.log.gz, and builder-live.log.gz from the builder's final live
 * log: Copr gzips both when a task ends, and its clients ask for the `.gz` names then (the
 * monitor's `url_build_log`, `copr-cli download-build --logs`). As in Copr, the plain live
 * log then goes (a finished result dir holds the `.gz` only); readers still asking for
 * `builder-live.log` get the `.gz` text from the results host (functions/local/results-mount.ts,
 * functions/aws/s3-live-log.ts). Written again (a retried report), the plain log is gone and
 * the `.gz` stays as it was. Never fails the close step: the logs explain a result, they
 * are not one (an unreachable results store is logged and the close goes on).
 */
export async function writeBackendLog(deps: BackendLogDeps, task: Task, build: Build, outcome: string): Promise<void> {
  const prefix = resultPrefix(task, build);
  try {
    const text = await renderBackendLog(deps, task, build, outcome);
    await deps.results.put(`${prefix}/${BACKEND_LOG}`, gzipSync(text));
    const live = await deps.results.get(`${prefix}/${LIVE_LOG}`);
    if (live) {
      await deps.results.put(`${prefix}/${LIVE_LOG}.gz`, gzipSync(live));
      await deps.results.delete(`${prefix}/${LIVE_LOG}`);
    }
  } catch (err) {
    deps.log.error('backend.log.gz not written', { build_id: build.id, task_id: task.task_id, error: err instanceof Error ? err.message : String(err) });
  }
}
