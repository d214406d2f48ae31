import { JOBS, type JobName } from '../core/maintenance.js';
import type { LocalPlugin } from './service.js';

/**
 * Maintenance under `npm start`: the App's scheduled jobs on in-process timers (the
 * EventBridge schedules of the AWS stack), notifications appended to
 * `<data dir>/events.jsonl`. A job never overlaps itself in this process; the
 * leases in the table keep it safe against `copr-maintenance` run by hand.
 * `COPR_MAINTENANCE=off` disables the timers.
 */
export const DEFAULT_JOB_INTERVALS_MS: Record<JobName, number> = {
  'delete-expired': 60 * 60_000,
  prune: 6 * 60 * 60_000,
  'eol-chroots': 24 * 60 * 60_000,
  reconcile: 60_000,
};

export interface MaintenancePluginOptions {
  intervalsMs?: Partial<Record<JobName, number>>;
}

export function maintenancePlugin(opts: MaintenancePluginOptions = {}): LocalPlugin {
  return {
    name: 'maintenance',
    start: (base) => {
      const app = base.app;
      if (!base.config.COPR_MAINTENANCE) return;
      const log = (m: string) => app.ports.log.info(m);
      const running = new Set<JobName>();
      const fire = (job: JobName) => {
        if (running.has(job)) return;
        running.add(job);
        void app.maintenance
          .run(job)
          .then((r) => {
            if (r.changed.length > 0) log(`maintenance ${job}: ${r.changed.join('; ')}`);
          })
          .catch((e: unknown) => log(`maintenance ${job} failed: ${(e as Error).message}`))
          .finally(() => running.delete(job));
      };
      const timers = JOBS.map((job) => {
        const t = setInterval(() => fire(job), opts.intervalsMs?.[job] ?? DEFAULT_JOB_INTERVALS_MS[job]);
        t.unref();
        return t;
      });
      return async () => {
        for (const t of timers) clearInterval(t);
        // Let a job that is mid-way finish its subject before the store goes away.
        const deadline = Date.now() + 30_000;
        while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
    },
  };
}
