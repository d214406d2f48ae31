import { describe, expect, it } from 'vitest';
import type { BuildChroot } from '../../functions/core/build-model.js';
import { newBuild, newBuildChroot } from '../../functions/core/builds.js';
import { planPrune } from '../../functions/core/maintenance.js';

/** The pruning plan (pure): auto_prune supersedes, max_builds keeps the newest N. */
function row(id: number, pkg: string, states: Record<string, BuildChroot['state']>) {
  const build = newBuild(id, 'alice', 'p', { package_name: pkg, source_status: 'succeeded' });
  return { build, chroots: Object.entries(states).map(([c, s]) => ({ ...newBuildChroot(id, c, s), ended_on: 1 })) };
}

const F = 'fedora-44-x86_64';
const E = 'epel-10-x86_64';

describe('planPrune', () => {
  const rows = [
    row(1, 'hello', { [F]: 'succeeded', [E]: 'succeeded' }),
    row(2, 'hello', { [F]: 'failed', [E]: 'succeeded' }),
    row(3, 'hello', { [F]: 'succeeded', [E]: 'failed' }),
    row(4, 'world', { [F]: 'succeeded' }),
    row(5, 'hello', { [F]: 'running' }),
  ];
  const ids = (p: ReturnType<typeof planPrune>) => ({
    whole: p.wholeBuilds.map((w) => w.build.id).sort(),
    chroots: p.chroots.map((c) => `${c.build.id}/${c.chroot.name}`).sort(),
  });

  it('auto_prune drops superseded chroots and builds, keeps the newest success per chroot', () => {
    // 1 is superseded in both chroots; 2's fedora failure is older than 3's success.
    expect(ids(planPrune(rows))).toEqual({ whole: [1], chroots: [`2/${F}`] });
  });

  it('max_builds keeps only the newest N finished builds of a package, even without auto_prune', () => {
    const plan = planPrune(rows, { superseded: false, maxBuilds: new Map([['hello', 1]]) });
    // 5 is unfinished and never counts or goes; of 1–3 only 3 stays.
    expect(ids(plan)).toEqual({ whole: [1, 2], chroots: [] });
    expect(ids(planPrune(rows, { superseded: false, maxBuilds: new Map() }))).toEqual({ whole: [], chroots: [] });
  });

  it('combines both rules without dropping a build twice', () => {
    const plan = planPrune(rows, { superseded: true, maxBuilds: new Map([['hello', 2]]) });
    expect(ids(plan)).toEqual({ whole: [1], chroots: [`2/${F}`] });
    const tight = planPrune(rows, { superseded: true, maxBuilds: new Map([['hello', 1], ['world', 1]]) });
    expect(ids(tight)).toEqual({ whole: [1, 2], chroots: [] });
  });
});
