import type { SourceType } from './model.js';

/** Build states (spec §3.1); the ints appear in the monitor and builder protocol. */
export const STATUS = {
  failed: 0,
  succeeded: 1,
  canceled: 2,
  running: 3,
  pending: 4,
  skipped: 5,
  starting: 6,
  importing: 7,
  forked: 8,
  waiting: 9,
  unknown: 1000,
} as const;

export type BuildState = keyof typeof STATUS;

export const FINISHED_STATES: readonly BuildState[] = ['succeeded', 'forked', 'canceled', 'skipped', 'failed'];

export function isFinished(s: BuildState): boolean {
  return FINISHED_STATES.includes(s);
}

/** Build chroot states whose result dir joined the project's repository (built here, or copied by a fork). */
const PUBLISHED_STATES: ReadonlySet<BuildState> = new Set(['succeeded', 'forked']);

export function isPublished(c: { state: BuildState }): boolean {
  return PUBLISHED_STATES.has(c.state);
}

export interface Build {
  id: number;
  ownername: string;
  projectname: string;
  project_dirname: string;
  /** Known for package rebuilds; otherwise set when the SRPM stage reports it. */
  package_name: string | null;
  /** `[E:]V-R` from the SRPM. */
  pkg_version: string | null;
  srpm_url: string | null;
  source_type: SourceType;
  source_dict: Record<string, unknown>;
  /** State of the SRPM stage (`pending` → `starting` → `running` → `succeeded`|`failed`). */
  source_status: BuildState;
  canceled: boolean;
  submitter: string | null;
  submitted_on: number;
  is_background: boolean;
  timeout: number;
  enable_net: boolean;
  /** Chroots asked for at submit time (already expanded); null = all of the project. */
  chroots_requested: string[] | null;
  exclude_chroots: string[];
  bootstrap: string | null;
  isolation: string | null;
  /** Batch: this build waits for `after_build_id` to finish. */
  after_build_id: number | null;
  /** Epoch seconds of the SRPM stage. */
  source_started_on: number | null;
  source_ended_on: number | null;
  fail_reason: string | null;
  /**
   * What a build listing shows of each build chroot, by chroot name: kept on the build
   * item by the same transactions that create and move the chroots (the store), so
   * `build/list` reads one item per build. Absent on builds stored before it existed.
   */
  chroot_summary?: Record<string, ChrootSummary>;
}

/** The part of a build chroot a build's API object derives from (state, start, end). */
export type ChrootSummary = Pick<BuildChroot, 'state' | 'started_on' | 'ended_on'>;
export type ChrootView = ChrootSummary & Pick<BuildChroot, 'name'>;

/** The build chroots as the build item summarises them (by name), or null when it does not. */
export function summaryChroots(build: Pick<Build, 'chroot_summary'>): ChrootView[] | null {
  const s = build.chroot_summary;
  if (!s) return null;
  return Object.keys(s)
    .sort()
    .flatMap((name) => {
      const c = s[name];
      return c ? [{ name, state: c.state, started_on: c.started_on ?? null, ended_on: c.ended_on ?? null }] : [];
    });
}

/** The summary of a build's chroots, as the store writes it with the build. */
export function chrootSummaryOf(chroots: BuildChroot[]): Record<string, ChrootSummary> {
  return Object.fromEntries(chroots.map((c) => [c.name, { state: c.state, started_on: c.started_on, ended_on: c.ended_on }]));
}

export interface BuildChroot {
  build_id: number;
  name: string;
  state: BuildState;
  started_on: number | null;
  ended_on: number | null;
  /** Directory name under `<owner>/<dirname>/<chroot>/`, e.g. `00000012-hello`. */
  result_dir: string | null;
  fail_reason: string | null;
  /** NEVRAs from results.json once finished. */
  packages: Nevra[];
}

export interface Nevra {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
}

export type TaskKind = 'srpm' | 'rpm';
export type TaskState = 'pending' | 'starting' | 'running' | 'finished';

/**
 * A unit of builder work: the SRPM stage of a build, or its RPM stage in one
 * chroot. Task ids follow Copr: `<build_id>` and `<build_id>-<chroot>`.
 */
/**
 * A builder task: the SRPM stage of a build (no chroot) or the RPM stage of one of
 * its chroots. `kind` decides which, so code that checked it knows the chroot.
 */
export type Task = TaskFields & ({ kind: 'srpm'; chroot: null } | { kind: 'rpm'; chroot: string });
export type RpmTask = Extract<Task, { kind: 'rpm' }>;

interface TaskFields {
  task_id: string;
  build_id: number;
  arch: string;
  owner: string;
  project: string;
  /** Builders may be reused only within one sandbox (`<owner>/<project>--<submitter>`). */
  sandbox: string;
  background: boolean;
  state: TaskState;
  attempts: number;
  /** Epoch ms of the last heartbeat (or of the claim). */
  heartbeat_at: number | null;
  cancel_requested: boolean;
  /** Hash of the credential handed to the builder, and when it expires (epoch ms). */
  credential_hash: string | null;
  credential_expires: number | null;
  builder_id: string | null;
  created_at: number;
  /**
   * Epoch ms before which the dispatcher launches no builder for it: the backoff after
   * failed launches (capacity, quota, throttling). Warm builders may take it earlier.
   */
  not_before?: number | null;
  /** Launches that failed since the task was queued; they never count as attempts. */
  launch_failures?: number;
  /** Final outcome once finished. */
  outcome: 'succeeded' | 'failed' | 'canceled' | 'skipped' | null;
}

export const SRPM_CHROOT = 'srpm-builds';

export function taskIdOf(buildId: number, chroot: string | null): string {
  return chroot ? `${buildId}-${chroot}` : String(buildId);
}

export const resultDirName = (buildId: number, pkg: string | null) =>
  pkg ? `${String(buildId).padStart(8, '0')}-${pkg}` : String(buildId).padStart(8, '0');
