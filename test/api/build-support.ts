import { LocalResultsStore } from '../../functions/adapters/local-results-store.js';
import type { Build, Nevra } from '../../functions/core/build-model.js';
import { hashCredential } from '../../functions/core/dispatcher.js';
import { onFinished, onStarted, taskResultPrefix, type LifecycleDeps, type TaskContext } from '../../functions/core/task-lifecycle.js';
import type { LocalPlugin } from '../../functions/local/service.js';

/**
 * A build system without builders for API tests: the service's own stores and
 * results, a `wake` that counts and a `publish` that records (ports of the plugin).
 * Tests play the builder's part through the lifecycle functions directly.
 */
export interface Recorder {
  wakes: number;
  published: Array<Parameters<LifecycleDeps['publish']>[0]>;
  deps: LifecycleDeps | null;
  results: LocalResultsStore | null;
}

export function recordingBuildsPlugin(rec: Recorder): LocalPlugin {
  return {
    name: 'test-builds',
    ports: (env) => {
      rec.results = env.results;
      return {
        wake: async () => {
          rec.wakes++;
        },
        publish: async (req) => {
          rec.published.push(req);
        },
      };
    },
    start: (base) => {
      rec.deps = base.app.lifecycle;
    },
  };
}

export function newRecorder(): Recorder {
  return { wakes: 0, published: [], deps: null, results: null };
}

/** Claims a pending task as a builder would and reports it started. */
export async function startTask(deps: LifecycleDeps, taskId: string): Promise<TaskContext> {
  const ok = await deps.builds.claimTask(taskId, {
    builder_id: `b-${taskId}`,
    credential_hash: hashCredential(`${taskId}.secret`),
    credential_expires: deps.clock.now() + 3_600_000,
    now: deps.clock.now(),
  });
  if (!ok) throw new Error(`task ${taskId} could not be claimed`);
  const task = (await deps.builds.getTask(taskId))!;
  const build = (await deps.builds.getBuild(task.build_id))!;
  const project = (await deps.store.getProject(build.ownername, build.projectname))!;
  const ctx = { task, build, project };
  await onStarted(deps, ctx);
  return { ...ctx, build: (await deps.builds.getBuild(task.build_id))! };
}

/** A started SRPM task succeeds with package `name`; RPM tasks get enqueued. */
export async function completeSrpm(deps: LifecycleDeps, ctx: TaskContext, name: string, version = '1.0', release = '1'): Promise<void> {
  const prefix = taskResultPrefix(ctx);
  const srpm = `${name}-${version}-${release}.src.rpm`;
  await deps.results.put(`${prefix}/${srpm}`, 'srpm');
  await deps.results.put(`${prefix}/success`, '');
  await onFinished(deps, ctx, { status: 'succeeded', results: { name, epoch: null, version, release }, srpm_filename: srpm });
}

/** A started RPM task ends with `status`; a success uploads a success marker. */
export async function completeRpm(deps: LifecycleDeps, ctx: TaskContext, status: 'succeeded' | 'failed', packages: Nevra[] = []): Promise<void> {
  const prefix = taskResultPrefix(ctx);
  await deps.results.put(`${prefix}/builder-live.log.gz`, 'log');
  if (status === 'succeeded') await deps.results.put(`${prefix}/success`, '');
  await onFinished(deps, ctx, { status, results: { packages } });
}

export async function finishSrpm(deps: LifecycleDeps, build: Build, name: string, version = '1.0', release = '1'): Promise<void> {
  await completeSrpm(deps, await startTask(deps, String(build.id)), name, version, release);
}

export async function finishRpm(deps: LifecycleDeps, buildId: number, chroot: string, status: 'succeeded' | 'failed', packages: Nevra[] = []): Promise<void> {
  await completeRpm(deps, await startTask(deps, `${buildId}-${chroot}`), status, packages);
}
