import { join } from 'node:path';
import { LocalFleet } from '../adapters/local-fleet.js';
import type { LocalResultsStore } from '../adapters/local-results-store.js';
import type { ReapReport } from '../core/app.js';
import type { Ports } from '../core/ports.js';
import type { ReaperSettings } from '../core/task-lifecycle.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { spawnRunner } from '../publish/process-runner.js';
import { publishRepository } from '../publish/publish-repo.js';
import { ledgerPublishSink } from '../core/publish-ledger.js';
import { LedgerPublisher } from './ledger-publisher.js';
import type { LocalPlugin } from './service.js';

/**
 * Builds under `npm start`: the dispatcher runs in-process (woken directly instead
 * of through SQS), builders are child processes, and repositories are published from
 * the publish ledger by functions/local/ledger-publisher.ts, woken in-process (the
 * Fargate task on AWS runs the same use case). The plugin brings the builders and
 * the publisher as the `fleet`, `wakePublisher` and `publish` ports, and runs the
 * dispatcher and the reaper of the composed App.
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
  publisher: LedgerPublisher;
  results: LocalResultsStore;
  dispatchNow(): Promise<number>;
  reapNow(): Promise<ReapReport>;
  /** Wakes the publisher for ledger entries left over from before a crash. */
  replayPublishRequests(): Promise<number>;
}

export function buildsPlugin(opts: BuildsPluginOptions = {}): LocalPlugin {
  let fleet: LocalFleet | null = null;
  let publisher: LedgerPublisher | null = null;

  return {
    name: 'builds',
    ports: (env) => {
      const log = (m: string) => env.log.info(m);
      fleet = new LocalFleet({ apiUrl: opts.agentApiUrl ?? env.url, workDir: join(env.dataDir, 'builders'), env: opts.agentEnv, log });
      const signer = new GpgSigner({ keysDir: join(env.dataDir, 'keys') });
      const ledgerPublisher = new LedgerPublisher({
        ledger: env.publishLedger,
        clock: env.clock,
        publish: (req) => publishRepository(req, { resultsDir: env.results.root, signer, run: spawnRunner, clock: env.clock, resultsBaseUrl: env.config.RESULTS_BASE_URL }),
        concurrency: 2,
        log,
      });
      publisher = ledgerPublisher;
      const wakePublisher = async (repo: Parameters<LedgerPublisher['wake']>[0]) => ledgerPublisher.wake(repo);
      return {
        fleet,
        wakePublisher,
        publish: ledgerPublishSink(env.publishLedger, wakePublisher, env.clock),
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
      if (!fleet || !publisher) throw new Error('builds plugin: ports were not composed');
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
        replayPublishRequests: () => (publisher ? publisher.replay() : Promise.resolve(0)),
      };
      const unsubscribe = base.env.wakeups.on('dispatcher', () => {
        void dispatchNow().catch((e: unknown) => log(`dispatcher failed: ${(e as Error).message}`));
      });
      opts.onReady?.(sys);
      await sys.replayPublishRequests();
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
        await sys.publisher.stop();
      };
    },
  };
}
