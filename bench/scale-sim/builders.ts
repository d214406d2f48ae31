import type { FinishReport, TaskContext } from '../../functions/core/app.js';
import { HEARTBEAT_SECONDS } from '../../functions/core/builder-protocol.js';
import { CoprError } from '../../functions/core/errors.js';
import type { BuilderApi } from './builder-api.js';
import type { Instance } from './sim-ports.js';
import type { Scheduler } from './sim-time.js';
import { logNormal, type PlannedBuild } from './workload.js';

/**
 * Simulated builders: what builder-ami/agent does over the API, with the work
 * replaced by sleeping in simulated time. A cold builder is the deployed model:
 * one instance per task, booted and with its buildroot initialised from scratch,
 * gone after its one report. A warm builder (the dispatcher launched it with a
 * builder credential) then asks for its next task, runs it with its buildroot cache,
 * and stops when the service says so (idle period over, slot yielded).
 */
export interface BuilderModel {
  /** Seconds between heartbeats (the agent's default, HEARTBEAT_SECONDS). */
  heartbeatSeconds: number;
  /** Median seconds from RunInstances to the agent's first request (EC2 boot, agent start). */
  bootSeconds: number;
  /** Median seconds to set up a fresh buildroot (mock chroot init) before an RPM build. */
  buildrootInitSeconds: number;
  /** Median seconds to set up an SRPM stage (download tools, no full buildroot). */
  srpmInitSeconds: number;
  /** Seconds from the final report to the instance being gone. */
  shutdownSeconds: number;
  /** Bytes the build log grows per second (live log shipping volume). */
  logBytesPerSecond: number;
}

export const DEFAULT_BUILDER_MODEL: BuilderModel = {
  heartbeatSeconds: HEARTBEAT_SECONDS,
  bootSeconds: 60,
  buildrootInitSeconds: 90,
  srpmInitSeconds: 15,
  shutdownSeconds: 5,
  logBytesPerSecond: 400,
};

/** Result files a task uploads besides the live log (runTask: stage files, results.json, success). */
const RESULT_FILES = { srpm: ['pkg.src.rpm', 'results.json', 'success'], rpm: ['pkg.x86_64.rpm', 'pkg-debuginfo.x86_64.rpm', 'build.log.gz', 'root.log.gz', 'results.json', 'success'] };

export interface BuilderWorld {
  sched: Scheduler;
  api: BuilderApi;
  model: BuilderModel;
  rand: () => number;
  /** The planned build of a build id (durations, failures). */
  planOf(buildId: number): PlannedBuild;
  /** Called when a task's report was accepted (simulation bookkeeping). */
  onTaskDone(session: TaskContext, status: FinishReport['status'], at: number): void;
  s3: { puts: number; bytes: number };
}

const denied = (err: unknown) => err instanceof CoprError && err.kind === 'unauthorized';

/** The seconds of work of one task (init + build) and its outcome, from the plan. */
function workOf(world: BuilderWorld, session: TaskContext, warmCache: boolean): { seconds: number; fails: boolean } {
  const plan = world.planOf(session.build.id);
  const m = world.model;
  if (session.task.kind === 'srpm') return { seconds: logNormal(world.rand, m.srpmInitSeconds, 0.3, 600) + plan.srpmSeconds, fails: plan.srpmFails };
  const i = session.build.chroots_requested?.indexOf(session.task.chroot) ?? 0;
  const init = warmCache ? 0.1 * m.buildrootInitSeconds : logNormal(world.rand, m.buildrootInitSeconds, 0.3, 1800);
  return { seconds: init + (plan.rpmSeconds[i] ?? plan.rpmSeconds[0] ?? 180), fails: plan.rpmFails[i] ?? false };
}

function reportOf(session: TaskContext, fails: boolean, pkg: string): FinishReport {
  if (fails) return { status: 'failed', fail_reason: 'simulated build failure' };
  if (session.task.kind === 'srpm') {
    return { status: 'succeeded', srpm_filename: `${pkg}-1.0-1.src.rpm`, results: { name: pkg, epoch: null, version: '1.0', release: '1' } };
  }
  return { status: 'succeeded', results: { packages: [{ name: pkg, epoch: null, version: '1.0', release: '1', arch: session.task.arch }] } };
}

/**
 * One task on a builder that already runs: fetch, start, beat until the work is
 * done, upload, report. Returns false when the server refused the credential
 * (task reaped or canceled meanwhile): the agent exits.
 */
export async function runOneTask(world: BuilderWorld, inst: Instance, warmCache: boolean): Promise<boolean> {
  const { api, sched, model } = world;
  const id = inst.builderId;
  try {
    const { session } = await api.task(id, inst.credential);
    inst.sandboxes.add(session.task.sandbox);
    await api.started(id, inst.credential);
    const work = workOf(world, session, warmCache);
    const end = sched.now + Math.max(1, Math.round(work.seconds));
    let logBytes = 0;
    while (sched.now < end) {
      await sched.sleep(Math.min(model.heartbeatSeconds, end - sched.now));
      if (inst.endedAt !== null) return false; // terminated by the reaper
      if (sched.now >= end) break;
      // A beat, then the log's new bytes (builder-ami/agent/agent.ts LiveLogShipper).
      const fresh = model.logBytesPerSecond * model.heartbeatSeconds;
      await api.heartbeat(id, inst.credential);
      await api.liveLog(id, inst.credential, logBytes, fresh);
      logBytes += fresh;
      world.s3.puts++;
      world.s3.bytes += fresh;
    }
    const files = [...RESULT_FILES[session.task.kind].filter((f) => !work.fails || f !== 'success'), 'builder-live.log'];
    for (const f of files) {
      await api.uploadUrl(id, inst.credential, f);
      world.s3.puts++;
      if (f === 'success') await api.putResult(session, 'success');
    }
    const plan = world.planOf(session.build.id);
    const report = reportOf(session, work.fails, plan.pkg);
    await api.finished(id, inst.credential, report);
    inst.tasksRun++;
    world.onTaskDone(session, report.status, sched.now);
    return true;
  } catch (err) {
    if (denied(err)) return false;
    throw err;
  } finally {
    api.forget(id);
  }
}

/** Boot, the first task, then (warm) more tasks until told to stop; then gone. */
export function simBuilder(world: BuilderWorld) {
  return async (inst: Instance): Promise<void> => {
    const { sched, api } = world;
    await sched.sleep(logNormal(world.rand, world.model.bootSeconds, 0.2, 600));
    if (inst.endedAt === null && (await runOneTask(world, inst, false)) && inst.warm) {
      const warm = inst.warm;
      // builder-ami/agent/warm-loop.ts: ask, run, ask again; wait as told; stop when told.
      while (inst.endedAt === null) {
        const reply = await api.nextTask(inst.builderId, warm.builderCredential);
        if (reply.task_id !== null) {
          inst.credential = reply.credential;
          inst.taskId = reply.task_id;
          if (!(await runOneTask(world, inst, true))) break;
        } else if ('stop' in reply) {
          break;
        } else {
          await sched.sleep(Math.max(1, reply.retry_after));
        }
      }
    }
    if (inst.endedAt === null) inst.endedAt = sched.now + world.model.shutdownSeconds;
  };
}
