import type { ActionService, ForkService, RepoService, Services } from '../api/context.js';
import type { ActionDeps, EnqueueDeps } from '../core/action-ports.js';
import { DEFAULT_RUNNER_SETTINGS, runDueActions, type RunnerSettings, type RunReport } from '../core/action-runner.js';
import { enqueueChrootRemoval, enqueueCreaterepo, enqueueFork, enqueueProjectDeletion } from '../core/actions.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoActionStore } from '../store/dynamo-action-store.js';
import type { LocalBase, LocalPlugin } from './service.js';

/**
 * Project actions under `npm start`: the runner works in-process, woken right after
 * an action is queued (an SQS message on AWS) and by a poll that also picks up
 * retries and actions whose runner died. Builds, results and publishing come from
 * the builds plugin (`services.buildSystem`), so list this plugin after it.
 */
export interface ActionsPluginOptions {
  pollMs?: number;
  runner?: Partial<RunnerSettings>;
  /** Called after every pass that did something (tests wait on it). */
  onPass?: (report: RunReport) => void;
}

export interface ActionsPlugin extends LocalPlugin {
  /** Runs one pass now (coalesced with a pass already under way). */
  runNow(): Promise<RunReport>;
}

export function actionsPlugin(opts: ActionsPluginOptions = {}): ActionsPlugin {
  const settings: RunnerSettings = { ...DEFAULT_RUNNER_SETTINGS, ...opts.runner };
  let base: LocalBase | null = null;
  let actions: DynamoActionStore | null = null;
  let running: Promise<RunReport> | null = null;
  let again = false;
  let stopped = false;

  const deps = (): ActionDeps => {
    const sys = base?.ctx.services.buildSystem;
    if (!base || !actions || !sys) throw new Error('actions need the build system (add buildsPlugin before actionsPlugin)');
    return {
      store: base.ctx.store,
      builds: sys.builds,
      results: sys.results,
      actions,
      clock: base.ctx.clock,
      resultsBaseUrl: base.config.RESULTS_BASE_URL,
      // The builds plugin's publisher takes the whole request, `full` included.
      publish: (req) => sys.publish(req),
    };
  };

  const pass = async (): Promise<RunReport> => {
    const total: RunReport = { succeeded: [], retried: [], failed: [] };
    do {
      again = false;
      const r = await runDueActions(deps(), settings);
      total.succeeded.push(...r.succeeded);
      total.retried.push(...r.retried);
      total.failed.push(...r.failed);
    } while (again && !stopped);
    if (total.succeeded.length + total.retried.length + total.failed.length > 0) opts.onPass?.(total);
    return total;
  };

  const runNow = (): Promise<RunReport> => {
    if (running) {
      again = true; // queued while a pass runs: that pass goes round once more
      return running;
    }
    running = pass().finally(() => {
      running = null;
    });
    return running;
  };

  const log = (m: string) => {
    if (process.env.COPR_QUIET !== '1') console.log(`copr: ${m}`);
  };
  const wake = async () => {
    if (!stopped) void runNow().catch((e: unknown) => log(`actions: ${(e as Error).message}`));
  };

  return {
    name: 'actions',
    runNow,
    services: (b) => {
      base = b;
      actions = new DynamoActionStore(documentClient(b.config.DYNAMODB_ENDPOINT), b.config.TABLE_NAME);
      const enq: EnqueueDeps = { store: b.ctx.store, actions, clock: b.ctx.clock, wake };
      const forks: ForkService = { copyBuilds: async (src, dst) => void (await enqueueFork(enq, src, dst)) };
      const service: ActionService = {
        deleteProject: async (p) => void (await enqueueProjectDeletion(enq, p)),
        removeChroot: async (p, chroot) => void (await enqueueChrootRemoval(enq, p, chroot)),
        list: (owner, project) => actions!.listProjectActions(owner, project),
      };
      return { forks, actions: service } satisfies Partial<Services>;
    },
    start: (b, services) => {
      const enq: EnqueueDeps = { store: b.ctx.store, actions: actions!, clock: b.ctx.clock, wake };
      // Regenerate becomes a visible, retried action (replacing the builds plugin's direct queueing).
      const repos: RepoService = { regenerate: async (p) => void (await enqueueCreaterepo(enq, p)) };
      Object.assign(services, { repos });
      void wake(); // actions left over from before a restart
      const timer = setInterval(() => void wake(), opts.pollMs ?? 5_000);
      return async () => {
        stopped = true;
        clearInterval(timer);
        await running?.catch(() => undefined);
      };
    },
  };
}
