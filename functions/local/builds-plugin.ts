import { join } from 'node:path';
import { LocalFleet } from '../adapters/local-fleet.js';
import type { LocalResultsStore } from '../adapters/local-results-store.js';
import type { ReapReport } from '../core/app.js';
import type { Ports } from '../core/ports.js';
import type { ReaperSettings } from '../core/task-lifecycle.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { spawnRunner } from '../publish/process-runner.js';
import { publishRepository } from '../publish/publish-repo.js';
import { RepoPublishQueue } from '../publish/publish-queue.js';
import type { PublishRequestInput } from '../publish/publish-request.js';
import type { LocalPlugin } from './service.js';

/**
 * Builds under `npm start`: the dispatcher runs in-process (woken directly instead
 * of through SQS), builders are child processes, and repositories are published by
 * an in-process queue that serializes runs per repository (SQS FIFO message groups
 * on AWS). The plugin brings the builders and the publisher as the `fleet` and
 * `publish` ports, and runs the dispatcher and the reaper of the composed App.
 */
export interface BuildsPluginOptions {
  maxBuilders?: number;
  reaper?: Partial<ReaperSettings>;
  reapEveryMs?: number;
  /** Extra environment for builder agents (tests point PyPI/RubyGems at fakes). */
  agentEnv?: Record<string, string>;
  /** Where builders reach the API; default the service's URL (tests put a throttling front in between). */
  agentApiUrl?: string;
  /** Called with the composed system (tests inspect it). */
  onReady?: (system: LocalBuildSystem) => void;
}

export interface LocalBuildSystem {
  ports: Ports;
  fleet: LocalFleet;
  publisher: RepoPublishQueue;
  results: LocalResultsStore;
  dispatchNow(): Promise<number>;
  reapNow(): Promise<ReapReport>;
  /** Queues publish requests left over from before a crash. */
  replayPublishRequests(): void;
}

export function buildsPlugin(opts: BuildsPluginOptions = {}): LocalPlugin {
  let fleet: LocalFleet | null = null;
  let publisher: RepoPublishQueue | null = null;
  let replay: (() => void) | null = null;

  return {
    name: 'builds',
    ports: (env) => {
      const log = (m: string) => env.log.info(m);
      fleet = new LocalFleet({ apiUrl: opts.agentApiUrl ?? env.url, workDir: join(env.dataDir, 'builders'), env: opts.agentEnv, log });
      const signer = new GpgSigner({ keysDir: join(env.dataDir, 'keys') });
      const queue = new RepoPublishQueue(
        (req) => publishRepository(req, { resultsDir: env.results.root, signer, run: spawnRunner, clock: env.clock, resultsBaseUrl: env.config.RESULTS_BASE_URL }),
        { concurrency: 2 },
      );
      publisher = queue;
      // The request file goes only once a run that included it finished; a failed run
      // keeps it for the next start (or the next request of that repository).
      const queuePublish = (req: PublishRequestInput, done: () => void) =>
        queue.request(req).then(done, (e: unknown) => log(`publish of ${req.owner}/${req.dirname}/${req.chroot} failed: ${(e as Error).message}`));
      replay = () => {
        for (const p of env.publishRequests.pending()) queuePublish(p.req, p.done);
      };
      return {
        fleet,
        publish: async (req) => {
          queuePublish(req, env.publishRequests.record(req));
        },
      };
    },
    settings: (s) => {
      const max = opts.maxBuilders ?? s.dispatch.limits.total;
      return {
        ...s,
        dispatch: { ...s.dispatch, limits: { total: max, perArch: {}, perOwner: max, perSandbox: max } },
        reaper: { ...s.reaper, ...opts.reaper },
      };
    },
    start: async (base) => {
      const app = base.app;
      if (!fleet || !publisher || !replay) throw new Error('builds plugin: ports were not composed');
      const log = (m: string) => app.ports.log.info(m);
      // In-process wake-ups: coalesced so a burst of submits runs one pass.
      let scheduled: Promise<number> | null = null;
      const dispatchNow = async () => {
        if (!scheduled) {
          scheduled = new Promise<void>((ok) => setImmediate(ok)).then(() => app.dispatch()).finally(() => {
            scheduled = null;
          });
        }
        return scheduled;
      };
      const sys: LocalBuildSystem = {
        ports: app.ports,
        fleet,
        publisher,
        results: base.env.results,
        dispatchNow,
        reapNow: () => app.reap(),
        replayPublishRequests: replay,
      };
      const unsubscribe = base.env.wakeups.on('dispatcher', () => {
        void dispatchNow().catch((e: unknown) => log(`dispatcher failed: ${(e as Error).message}`));
      });
      opts.onReady?.(sys);
      sys.replayPublishRequests();
      // Pending work from before a restart: builders of the old process are gone, the
      // reaper requeues their tasks once their heartbeats are overdue.
      await sys.dispatchNow();
      const timer = setInterval(() => {
        void sys.reapNow().catch(() => undefined);
        void app.terminateStrays().catch(() => undefined);
        void sys.dispatchNow().catch(() => undefined);
      }, opts.reapEveryMs ?? 5_000);
      return async () => {
        clearInterval(timer);
        unsubscribe();
        await sys.fleet.stopAll();
        await sys.publisher.idle();
      };
    },
  };
}
