import type { RunReport, RunnerSettings } from '../core/action-runner.js';
import type { LocalPlugin } from './service.js';

/**
 * Project actions under `npm start`: the App's runner works in-process, woken right
 * after an action is queued (an SQS message on AWS) and by a poll that also picks
 * up retries and actions whose runner died.
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
  let run: (() => Promise<RunReport>) | null = null;
  let running: Promise<RunReport> | null = null;
  let again = false;
  let stopped = false;

  const pass = async (): Promise<RunReport> => {
    if (!run) throw new Error('actions plugin: not started');
    const total: RunReport = { succeeded: [], retried: [], failed: [] };
    do {
      again = false;
      const r = await run();
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

  return {
    name: 'actions',
    runNow,
    settings: (s) => ({ ...s, runner: { ...s.runner, ...opts.runner } }),
    start: (base) => {
      const app = base.app;
      run = () => app.actions.run();
      const wake = () => {
        if (!stopped) void runNow().catch((e: unknown) => app.ports.log.error(`actions: ${(e as Error).message}`));
      };
      const unsubscribe = base.env.wakeups.on('actions', wake);
      wake(); // actions left over from before a restart
      const timer = setInterval(wake, opts.pollMs ?? 5_000);
      return async () => {
        stopped = true;
        clearInterval(timer);
        unsubscribe();
        await running?.catch(() => undefined);
      };
    },
  };
}
