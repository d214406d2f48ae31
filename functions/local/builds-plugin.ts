import { join } from 'node:path';
import { JsonlEventSink } from '../adapters/jsonl-event-sink.js';
import { DurablePublishRequests } from '../adapters/durable-publish-requests.js';
import { LocalFleet } from '../adapters/local-fleet.js';
import { LocalResultsStore } from '../adapters/local-results-store.js';
import type { Services } from '../api/context.js';
import { DEFAULT_BUILD_SETTINGS } from '../core/builds.js';
import { createBuildsView } from '../core/build-views.js';
import { dispatch, terminateStrays, type DispatcherDeps } from '../core/dispatcher.js';
import type { Limits } from '../core/scheduler.js';
import { reap, type LifecycleDeps, type ReaperSettings } from '../core/task-lifecycle.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { spawnRunner } from '../publish/process-runner.js';
import { publishRepository } from '../publish/publish-repo.js';
import { RepoPublishQueue } from '../publish/publish-queue.js';
import type { PublishRequestInput } from '../publish/publish-request.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { resultsMount } from './results-mount.js';
import type { LocalPlugin } from './service.js';

/**
 * Builds under `npm start`: the dispatcher runs in-process (woken directly instead
 * of through SQS), builders are child processes, results live on disk and are
 * served under /results/, and repositories are published by an in-process queue
 * that serializes runs per repository (SQS FIFO message groups on AWS).
 */
export interface BuildsPluginOptions {
  maxBuilders?: number;
  reaper?: Partial<ReaperSettings>;
  reapEveryMs?: number;
  /** Extra environment for builder agents (tests point PyPI/RubyGems at fakes). */
  agentEnv?: Record<string, string>;
  /** Called with the composed system (tests inspect it). */
  onReady?: (system: LocalBuildSystem) => void;
}

export interface LocalBuildSystem {
  lifecycle: LifecycleDeps;
  fleet: LocalFleet;
  publisher: RepoPublishQueue;
  results: LocalResultsStore;
  dispatchNow(): Promise<number>;
  reapNow(): Promise<{ requeued: string[]; failed: string[]; closed: string[] }>;
  /** Queues publish requests left over from before a crash. */
  replayPublishRequests(): void;
}

export function buildsPlugin(opts: BuildsPluginOptions = {}): LocalPlugin {
  let system: LocalBuildSystem | null = null;

  return {
    name: 'builds',
    // The service asks every plugin for its services first, then routes and mounts.
    services: (base): Partial<Services> => {
      const maxBuilders = opts.maxBuilders ?? Number(process.env.COPR_MAX_BUILDERS ?? 2);
      const results = new LocalResultsStore(join(base.dataDir, 'results'), base.url);
      const builds = new DynamoBuildStore(documentClient(base.config.DYNAMODB_ENDPOINT), base.config.TABLE_NAME);
      const log = (m: string) => {
        if (process.env.COPR_QUIET !== '1') console.log(`copr: ${m}`);
      };
      const fleet = new LocalFleet({ apiUrl: base.url, workDir: join(base.dataDir, 'builders'), env: opts.agentEnv, log });
      const signer = new GpgSigner({ keysDir: join(base.dataDir, 'keys') });
      const publisher = new RepoPublishQueue(
        (req) => publishRepository(req, { resultsDir: results.root, signer, run: spawnRunner, clock: base.ctx.clock, resultsBaseUrl: base.config.RESULTS_BASE_URL }),
        { concurrency: 2 },
      );
      const durable = new DurablePublishRequests(join(base.dataDir, 'publish-requests'));
      // The request file goes only once a run that included it finished; a failed run
      // keeps it for the next start (or the next request of that repository).
      const queuePublish = (req: PublishRequestInput, done: () => void) =>
        publisher.request(req).then(done, (e: unknown) => log(`publish of ${req.owner}/${req.dirname}/${req.chroot} failed: ${(e as Error).message}`));
      const limits: Limits = { total: maxBuilders, perArch: {}, perOwner: maxBuilders, perSandbox: maxBuilders };

      // In-process wake-ups: coalesced so a burst of submits runs one pass.
      let scheduled: Promise<number> | null = null;
      const dispatcherDeps = (): DispatcherDeps => ({
        builds,
        fleet,
        clock: base.ctx.clock,
        limits,
        credentialTtlMs: 2 * DEFAULT_BUILD_SETTINGS.timeoutMax * 1000,
        log,
      });
      const dispatchNow = async () => {
        if (!scheduled) {
          scheduled = new Promise<void>((ok) => setImmediate(ok)).then(() => dispatch(dispatcherDeps())).finally(() => {
            scheduled = null;
          });
        }
        return scheduled;
      };
      const events = JsonlEventSink.inDataDir(base.dataDir);
      const lifecycle: LifecycleDeps = {
        events,
        store: base.ctx.store,
        builds,
        clock: base.ctx.clock,
        settings: DEFAULT_BUILD_SETTINGS,
        results,
        resultsBaseUrl: base.config.RESULTS_BASE_URL,
        wake: async () => {
          void dispatchNow().catch((e: unknown) => log(`dispatcher failed: ${(e as Error).message}`));
        },
        publish: async (req) => {
          queuePublish(req, durable.record(req));
        },
      };
      const reaperSettings: ReaperSettings = { heartbeatTimeoutMs: 20_000, maxAttempts: 3, ...opts.reaper };
      system = {
        lifecycle,
        fleet,
        publisher,
        results,
        dispatchNow,
        replayPublishRequests: () => {
          for (const p of durable.pending()) queuePublish(p.req, p.done);
        },
        reapNow: () => reap({ ...lifecycle, terminate: (id) => fleet.terminate(id) }, reaperSettings),
      };
      return {
        events,
        buildSystem: lifecycle,
        builds: createBuildsView(base.ctx.store, builds, base.config),
        repos: {
          async regenerate(project) {
            const chroots = await base.ctx.store.listProjectChroots(project.ownername, project.name);
            for (const c of chroots) {
              void publisher.request({ owner: project.ownername, dirname: project.name, chroot: c.mock_chroot, full: true }).catch(() => undefined);
            }
          },
        },
      };
    },
    mounts: () => [resultsMount(system!.results)],
    start: async () => {
      const sys = system!;
      opts.onReady?.(sys);
      sys.replayPublishRequests();
      // Pending work from before a restart: builders of the old process are gone, the
      // reaper requeues their tasks once their heartbeats are overdue.
      await sys.dispatchNow();
      const timer = setInterval(() => {
        void sys.reapNow().catch(() => undefined);
        void terminateStrays(sys.lifecycle.builds, sys.fleet, Date.now(), 60_000).catch(() => undefined);
        void sys.dispatchNow().catch(() => undefined);
      }, opts.reapEveryMs ?? 5_000);
      return async () => {
        clearInterval(timer);
        await sys.fleet.stopAll();
        await sys.publisher.idle();
      };
    },
  };
}
