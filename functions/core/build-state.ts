import type { Build, BuildChroot, BuildState } from './build-model.js';

/**
 * A build's overall state from its SRPM stage and its chroots (spec §3.2), in the
 * priority order upstream uses.
 */
const SOURCE_DOMINATES: readonly BuildState[] = ['starting', 'pending', 'running', 'importing', 'failed'];
const CHROOT_PRIORITY: readonly BuildState[] = ['running', 'starting', 'pending', 'failed', 'succeeded', 'skipped', 'forked'];

export function buildState(build: Pick<Build, 'canceled' | 'source_status'>, chroots: Pick<BuildChroot, 'state'>[]): BuildState {
  if (build.canceled) return 'canceled';
  if (SOURCE_DOMINATES.includes(build.source_status)) return build.source_status;
  if (chroots.length === 0) return 'waiting';
  const states = new Set(chroots.map((c) => c.state));
  for (const s of CHROOT_PRIORITY) if (states.has(s)) return s;
  if ([...states].every((s) => s === 'waiting')) return 'pending';
  return 'unknown';
}

export function startedOn(build: Pick<Build, 'source_started_on'>, chroots: Pick<BuildChroot, 'started_on'>[]): number | null {
  const all = [build.source_started_on, ...chroots.map((c) => c.started_on)].filter((x): x is number => x !== null);
  return all.length ? Math.min(...all) : null;
}

export function endedOn(chroots: Pick<BuildChroot, 'ended_on'>[]): number | null {
  if (chroots.length === 0 || chroots.some((c) => c.ended_on === null)) return null;
  return Math.max(...chroots.map((c) => c.ended_on!));
}
