import { randomUUID } from 'node:crypto';
import { FINISHED_STATES, isFinished, isPublished, type Build, type BuildChroot } from './build-model.js';
import { buildState } from './build-state.js';
import { deleteBuildsOf, removeChrootData, removeProjectData, withChroots, type BuildWithChroots, type DroppedChroot } from './cleanup.js';
import { terminateStrays, type Fleet } from './dispatcher.js';
import { newEvent } from './events.js';
import type { Project } from './model.js';
import type { Ports, PublishLedger, PublishWakeUp } from './ports.js';
import { wakeStalePublishes } from './publish-ledger.js';

/**
 * Scheduled maintenance: the work that keeps projects tidy without their owners
 * (EventBridge schedules on AWS, timers under `npm start`, `copr-maintenance` by
 * hand). Every job is idempotent and safe to run twice at once: each subject (a
 * project, a project chroot) is worked on under a lease in the table, re-read
 * after the lease is won, and a second runner either skips it or finds nothing
 * left to do.
 */

/** Leases per (job, subject); a crashed holder's lease runs out. */
export interface JobClaims {
  claim(job: string, subject: string, holder: string, now: number, leaseMs: number): Promise<boolean>;
  release(job: string, subject: string, holder: string): Promise<void>;
}

/** The actions queue, when the deployment has one (functions/core/action-ports.ts). */
export interface DueActions {
  listDueActions(now: number, limit: number): Promise<unknown[]>;
  wake(): Promise<void>;
}

export interface MaintenanceSettings {
  /** Days an EOL chroot's repositories stay before removal (Copr: 180). */
  eolRetentionDays: number;
  /** How long one runner may hold a subject. */
  leaseMs: number;
  /** A builder without an active task is stray only after this long (launch races the task write). */
  strayGraceMs: number;
  /** A publish ledger entry pending this long, with no run holding its repository, gets a new wake-up. */
  stalePublishMs: number;
}

export const DEFAULT_MAINTENANCE_SETTINGS: MaintenanceSettings = {
  eolRetentionDays: 180,
  leaseMs: 15 * 60_000,
  strayGraceMs: 10 * 60_000,
  stalePublishMs: 10 * 60_000,
};

/**
 * `publish` takes republish requests (the publisher removes `deletes` once metadata
 * no longer names them); `wake` wakes the dispatcher.
 */
export type MaintenanceDeps = Pick<Ports, 'store' | 'builds' | 'results' | 'clock' | 'claims' | 'events' | 'publish' | 'wake'> & {
  /** Builders that exist (EC2 instances, local processes); strays are terminated. */
  fleet?: Fleet;
  actions?: DueActions;
  /** The publish ledger, when the deployment has one: stale entries get a new wake-up. */
  publishes?: { ledger: PublishLedger; wake: PublishWakeUp };
  settings?: Partial<MaintenanceSettings>;
  log?: (msg: string) => void;
};

export const JOBS = ['delete-expired', 'prune', 'eol-chroots', 'reconcile'] as const;
export type JobName = (typeof JOBS)[number];

export function isJobName(s: string): s is JobName {
  return (JOBS as readonly string[]).includes(s);
}

export interface JobReport {
  job: JobName;
  /** What changed, as `owner/project[...]` strings; empty when there was nothing to do. */
  changed: string[];
  /** Subjects another runner held. */
  skipped: string[];
}

const settingsOf = (deps: MaintenanceDeps): MaintenanceSettings => ({ ...DEFAULT_MAINTENANCE_SETTINGS, ...deps.settings });
const fullName = (p: Pick<Project, 'ownername' | 'name'>) => `${p.ownername}/${p.name}`;
const seconds = (ms: number) => Math.floor(ms / 1000);

/** Runs `work` while holding the lease on (job, subject); 'held' when another runner has it. */
async function underLease<T>(deps: MaintenanceDeps, job: JobName, subject: string, work: () => Promise<T>): Promise<T | 'held'> {
  const holder = randomUUID();
  if (!(await deps.claims.claim(job, subject, holder, deps.clock.now(), settingsOf(deps).leaseMs))) return 'held';
  try {
    return await work();
  } finally {
    await deps.claims.release(job, subject, holder);
  }
}

// ---- delete-expired ---------------------------------------------------------------------

/** Temporary projects whose `delete_after` has passed go, with their builds and results. */
export async function deleteExpiredProjects(deps: MaintenanceDeps): Promise<JobReport> {
  const report: JobReport = { job: 'delete-expired', changed: [], skipped: [] };
  const isExpired = (p: Project) => p.delete_after !== null && p.delete_after <= seconds(deps.clock.now());
  // Maintenance may read the whole project collection (one Query per page, no Scan).
  for (const seen of (await deps.store.listAllProjects()).filter(isExpired)) {
    const out = await underLease(deps, 'delete-expired', fullName(seen), async () => {
      const p = await deps.store.getProject(seen.ownername, seen.name);
      // Gone, re-created, or extended meanwhile: not ours to delete.
      if (!p || p.id !== seen.id || !isExpired(p)) return false;
      await removeProjectData(deps, p.ownername, p.name, await deps.builds.listProjectBuilds(p.ownername, p.name));
      // The project row goes last: a crash before it leaves the project expired, so the next run finishes the job.
      await deps.store.deleteProject(p.ownername, p.name);
      await deps.events.publish(
        newEvent({ type: 'project.deleted', ownername: p.ownername, projectname: p.name, project_id: p.id, reason: 'expired' }, deps.clock.now()),
      );
      return true;
    });
    if (out === 'held') report.skipped.push(fullName(seen));
    else if (out) report.changed.push(fullName(seen));
  }
  return report;
}

// ---- prune ----------------------------------------------------------------------------------

interface PrunePlan {
  /** Builds all of whose chroots are superseded: rows and results go. */
  wholeBuilds: BuildWithChroots[];
  /** Superseded chroots of builds that keep other chroots: only their results go. */
  chroots: DroppedChroot[];
}

export interface PruneRules {
  /** auto_prune: older successful builds superseded by a newer one go. */
  superseded: boolean;
  /** Per package: keep only this many newest finished builds (Copr's `max_builds`). */
  maxBuilds: ReadonlyMap<string, number>;
}

/**
 * Per (dirname, package, chroot), the newest successful build stays; every older
 * finished build chroot is superseded. Newer builds (failed, still running) stay,
 * and unfinished builds are never touched. A package's `max_builds` then keeps only
 * its N newest finished builds, whatever their state.
 */
export function planPrune(
  builds: BuildWithChroots[],
  rules: PruneRules = { superseded: true, maxBuilds: new Map() },
): PrunePlan {
  const plan = rules.superseded ? planSuperseded(builds) : { wholeBuilds: [], chroots: [] };
  const whole = new Set(plan.wholeBuilds.map((w) => w.build.id));
  for (const [pkg, limit] of rules.maxBuilds) {
    if (!(limit > 0)) continue;
    const finished = builds
      .filter(({ build, chroots }) => build.package_name === pkg && chroots.length > 0 && isFinished(buildState(build, chroots)))
      .sort((a, b) => b.build.id - a.build.id);
    for (const extra of finished.slice(limit)) {
      if (whole.has(extra.build.id)) continue;
      whole.add(extra.build.id);
      plan.wholeBuilds.push(extra);
    }
  }
  plan.chroots = plan.chroots.filter((c) => !whole.has(c.build.id));
  return plan;
}

function planSuperseded(builds: BuildWithChroots[]): PrunePlan {
  const keyOf = (b: Build, c: BuildChroot) => JSON.stringify([b.project_dirname, b.package_name, c.name]);
  const newestOk = new Map<string, number>();
  for (const { build, chroots } of builds) {
    if (!build.package_name) continue;
    for (const c of chroots) {
      if (!isPublished(c)) continue;
      const k = keyOf(build, c);
      newestOk.set(k, Math.max(newestOk.get(k) ?? 0, build.id));
    }
  }
  const plan: PrunePlan = { wholeBuilds: [], chroots: [] };
  for (const { build, chroots } of builds) {
    if (!build.package_name || chroots.length === 0 || !isFinished(buildState(build, chroots))) continue;
    const superseded = chroots.filter((c) => FINISHED_STATES.includes(c.state) && build.id < (newestOk.get(keyOf(build, c)) ?? 0));
    if (superseded.length === chroots.length) plan.wholeBuilds.push({ build, chroots });
    else for (const chroot of superseded) plan.chroots.push({ build, chroot });
  }
  return plan;
}

/** Packages of a project with a `max_builds` limit. */
async function maxBuildsOf(deps: MaintenanceDeps, p: Project): Promise<Map<string, number>> {
  const pkgs = await deps.store.listPackages(p.ownername, p.name);
  return new Map(pkgs.filter((k) => (k.max_builds ?? 0) > 0).map((k) => [k.name, k.max_builds!]));
}

async function pruneProject(deps: MaintenanceDeps, p: Project, maxBuilds: Map<string, number>): Promise<string[]> {
  const builds = await deps.builds.listProjectBuilds(p.ownername, p.name);
  const plan = planPrune(await withChroots(deps, builds), { superseded: p.auto_prune, maxBuilds });
  const changed = [
    ...plan.wholeBuilds.map(({ build }) => `${fullName(p)}#${build.id}`),
    ...plan.chroots.map(({ build, chroot }) => `${fullName(p)}#${build.id}/${chroot.name}`),
  ];
  // Superseded chroots of builds that stay lose only their results; whole builds go
  // with theirs (republish first, rows last: a run that dies midway is finished by the next).
  await deleteBuildsOf(deps, p, plan.wholeBuilds, plan.chroots);
  return changed;
}

/**
 * Projects with `auto_prune` (superseded builds go) and packages with `max_builds`
 * (only the newest N builds stay): rows and results go, repositories are republished.
 */
export async function pruneBuilds(deps: MaintenanceDeps): Promise<JobReport> {
  const report: JobReport = { job: 'prune', changed: [], skipped: [] };
  for (const seen of await deps.store.listAllProjects()) {
    if (!seen.auto_prune && (await maxBuildsOf(deps, seen)).size === 0) continue;
    const out = await underLease(deps, 'prune', fullName(seen), async () => {
      const p = await deps.store.getProject(seen.ownername, seen.name);
      if (!p || p.id !== seen.id) return [];
      const maxBuilds = await maxBuildsOf(deps, p);
      return p.auto_prune || maxBuilds.size > 0 ? pruneProject(deps, p, maxBuilds) : [];
    });
    if (out === 'held') report.skipped.push(fullName(seen));
    else report.changed.push(...out);
  }
  return report;
}

// ---- eol-chroots --------------------------------------------------------------------------

/**
 * Project chroots on EOL mock chroots: first they get `delete_after` (now plus the
 * retention) and their owners a `project.chroot_eol` notification; once that has
 * passed, their repositories and results are removed and the project chroot goes.
 */
export async function handleEolChroots(deps: MaintenanceDeps): Promise<JobReport> {
  const report: JobReport = { job: 'eol-chroots', changed: [], skipped: [] };
  const eol = new Set((await deps.store.listMockChroots()).filter((m) => m.eol).map((m) => m.name));
  if (eol.size === 0) return report;
  const { eolRetentionDays } = settingsOf(deps);
  for (const project of await deps.store.listAllProjects()) {
    for (const seen of await deps.store.listProjectChroots(project.ownername, project.name)) {
      if (!eol.has(seen.mock_chroot)) continue;
      const subject = `${fullName(project)}/${seen.mock_chroot}`;
      const out = await underLease(deps, 'eol-chroots', subject, async () => {
        const pc = await deps.store.getProjectChroot(project.ownername, project.name, seen.mock_chroot);
        if (!pc) return null;
        const now = seconds(deps.clock.now());
        if (pc.delete_after === null) {
          const deleteAfter = now + eolRetentionDays * 86_400;
          await deps.store.putProjectChroot({ ...pc, delete_after: deleteAfter, delete_after_days: eolRetentionDays });
          await deps.events.publish(
            newEvent(
              { type: 'project.chroot_eol', ownername: project.ownername, projectname: project.name, chroot: pc.mock_chroot, delete_after: deleteAfter },
              deps.clock.now(),
            ),
          );
          return `${subject}: EOL, removal after ${new Date(deleteAfter * 1000).toISOString()}`;
        }
        if (pc.delete_after <= now) {
          await removeChrootData(deps, project.ownername, project.name, pc.mock_chroot);
          await deps.store.deleteProjectChroot(project.ownername, project.name, pc.mock_chroot);
          return `${subject}: removed`;
        }
        // Keep the countdown Copr shows (`delete_after_days`) current.
        const days = Math.ceil((pc.delete_after - now) / 86_400);
        if (days !== pc.delete_after_days) await deps.store.putProjectChroot({ ...pc, delete_after_days: days });
        return null;
      });
      if (out === 'held') report.skipped.push(subject);
      else if (out) report.changed.push(out);
    }
  }
  return report;
}

// ---- reconcile ------------------------------------------------------------------------------

/**
 * Repairs what lost messages and crashed processes leave behind: pending work
 * nobody was woken for, builders that no active task owns, actions that are due,
 * publish requests whose wake-up or run was lost.
 * Every step is safe to repeat (a wake-up is only a nudge; terminate is idempotent).
 */
export async function reconcile(deps: MaintenanceDeps): Promise<JobReport> {
  const report: JobReport = { job: 'reconcile', changed: [], skipped: [] };
  if ((await deps.builds.listPendingOwners()).length > 0) {
    await deps.wake();
    report.changed.push('dispatcher woken for pending work');
  }
  if (deps.fleet) {
    for (const id of await terminateStrays(deps.builds, deps.fleet, deps.clock.now(), settingsOf(deps).strayGraceMs)) {
      report.changed.push(`stray builder ${id} terminated`);
    }
  }
  if (deps.actions && (await deps.actions.listDueActions(deps.clock.now(), 1)).length > 0) {
    await deps.actions.wake();
    report.changed.push('action runner woken for due actions');
  }
  if (deps.publishes) {
    const stale = { ...deps.publishes, clock: deps.clock, staleAfterMs: settingsOf(deps).stalePublishMs };
    for (const repo of await wakeStalePublishes(stale)) report.changed.push(`publisher of ${repo} woken for pending requests`);
  }
  return report;
}

const RUNS: Record<JobName, (deps: MaintenanceDeps) => Promise<JobReport>> = {
  'delete-expired': deleteExpiredProjects,
  prune: pruneBuilds,
  'eol-chroots': handleEolChroots,
  reconcile,
};

export function runJob(deps: MaintenanceDeps, job: JobName): Promise<JobReport> {
  return RUNS[job](deps);
}
