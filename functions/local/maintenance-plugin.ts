import { JsonlEventSink } from '../adapters/jsonl-event-sink.js';
import type { Services } from '../api/context.js';
import type { Fleet } from '../core/dispatcher.js';
import { JOBS, runJob, type JobName, type MaintenanceDeps } from '../core/maintenance.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoJobClaims } from '../store/dynamo-job-claims.js';
import type { LocalBase, LocalPlugin } from './service.js';

/**
 * Maintenance under `npm start`: the scheduled jobs on in-process timers (the
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
  /** The builders, when the builds plugin runs (stray builders are terminated). */
  fleet?: () => Fleet | null;
  /** Called with the composed deps (tests and the CLI run jobs by hand). */
  onReady?: (deps: MaintenanceDeps) => void;
}

/** Composes the jobs' dependencies from the local service and its build system. */
export function localMaintenanceDeps(base: LocalBase, services: Partial<Services>, fleet?: Fleet | null): MaintenanceDeps | null {
  const system = services.buildSystem;
  if (!system) return null;
  return {
    store: base.ctx.store,
    builds: system.builds,
    results: system.results,
    clock: base.ctx.clock,
    claims: new DynamoJobClaims(documentClient(base.config.DYNAMODB_ENDPOINT), base.config.TABLE_NAME),
    events: JsonlEventSink.inDataDir(base.dataDir),
    publish: system.publish,
    wake: system.wake,
    ...(fleet ? { fleet } : {}),
  };
}

export function maintenancePlugin(opts: MaintenancePluginOptions = {}): LocalPlugin {
  return {
    name: 'maintenance',
    start: (base, services) => {
      const deps = localMaintenanceDeps(base, services, opts.fleet?.());
      const log = (m: string) => {
        if (process.env.COPR_QUIET !== '1') console.log(`copr: ${m}`);
      };
      if (!deps) {
        log('maintenance: no build system configured, scheduled jobs are off');
        return;
      }
      opts.onReady?.(deps);
      if (process.env.COPR_MAINTENANCE === 'off') return;
      const running = new Set<JobName>();
      const fire = (job: JobName) => {
        if (running.has(job)) return;
        running.add(job);
        void runJob({ ...deps, log }, job)
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
