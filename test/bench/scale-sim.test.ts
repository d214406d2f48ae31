import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builderTraffic, costPer1000, fairness, hotKeys, rampSeconds } from '../../bench/scale-sim/metrics.js';
import { simulate } from '../../bench/scale-sim/simulate.js';
import { buildState } from '../../functions/core/build-state.js';

/**
 * The scale simulation (bench/scale-sim.ts) on a tiny workload, so the benchmark
 * cannot rot silently: it must drive every build through the real core to a final
 * state that the table agrees with, leave no task behind, and count consistently.
 */
async function tiny(strategy: 'cold' | 'warm') {
  return simulate({
      endpoint: process.env.DYNAMODB_ENDPOINT ?? '',
      table: `scale-sim-${randomUUID()}`,
      builds: 16,
      owners: 14,
      fleet: 6,
      strategy,
      // Some heartbeats replayed from their builder's footprint, some real.
      realEverySeconds: 120,
      model: { heartbeatSeconds: 30, bootSeconds: 30, buildrootInitSeconds: 30 },
      workScale: 0.3,
      spreadSeconds: 300,
    });
}

describe('scale simulation, tiny workload', () => {
  it('takes every build to a final state through the real core, with consistent counts', async () => {
    const r = await tiny('cold');
    const { builds } = r;
    expect(builds).toHaveLength(16);
    expect(r.lastFinalAt).not.toBeNull();

    // The table agrees with the simulation's bookkeeping, build by build.
    const ports = r.app.ports;
    for (const b of builds) {
      const build = await ports.builds.getBuild(b.id);
      if (!build) throw new Error(`build ${b.id} missing`);
      const state = buildState(build, await ports.builds.listBuildChroots(b.id));
      const shouldSucceed = !b.plan.srpmFails && !b.plan.rpmFails[0];
      expect({ id: b.id, state }).toEqual({ id: b.id, state: shouldSucceed ? 'succeeded' : 'failed' });
    }
    // No task left active or pending.
    expect(await ports.builds.listActiveTasks()).toEqual([]);
    for (const o of await ports.builds.listPendingOwners()) expect(await ports.builds.listPendingTasks(o.owner, 10)).toEqual([]);

    // One launch per task: an SRPM stage per build, an RPM stage per build whose SRPM succeeded.
    const tasks = builds.length + builds.filter((b) => !b.plan.srpmFails).length;
    expect(r.fleet.launches).toBe(tasks);
    expect(r.dispatcher.killed).toBe(0);
    expect([...r.fleet.instances.values()].every((i) => i.endedAt !== null)).toBe(true);
    expect(Math.max(...[...r.fleet.instances.values()].map((i) => i.tasksRun))).toBe(1);

    // Requests: every counted one is a real or a replayed call, and both kinds happened.
    const stats = [...r.api.stats.values()];
    const real = stats.reduce((a, s) => a + s.real, 0);
    const replayed = stats.reduce((a, s) => a + s.replayed, 0);
    expect(real + replayed).toBe(r.api.requests);
    expect(replayed).toBeGreaterThan(0);
    expect(r.api.stats.get('finished')?.real).toBe(tasks);
    expect(r.api.stats.get('started')?.real).toBe(tasks);

    // Heartbeats write the task item: a long task's key has more writes than claim, start and finish alone.
    const taskWrites = [...r.db.total.perKey].filter(([k]) => k.startsWith('base:TASK#')).map(([, n]) => n);
    expect(Math.max(...taskWrites)).toBeGreaterThan(4);
    expect(hotKeys(r, 5)).toHaveLength(5);
    expect(r.db.total.wru).toBeGreaterThan(0);
    expect(r.db.sent).toBeGreaterThan(0);

    // The figures are computable: a fleet of 6 fills, costs are positive numbers.
    expect(rampSeconds(r, 1)).not.toBeNull();
    expect(builderTraffic(r).peak).toBeGreaterThan(0);
    expect(fairness(r).maxToFinal).not.toBeNull();
    const cost = costPer1000(r);
    expect(cost.total).toBeGreaterThan(0);
    expect(cost.lines.every((l) => Number.isFinite(l.usd) && l.usd >= 0)).toBe(true);
  }, 600_000);

  it('warm: builders run several tasks, each of one sandbox, and every build still ends', async () => {
    const r = await tiny('warm');
    expect(r.lastFinalAt).not.toBeNull();
    expect(await r.app.ports.builds.listActiveTasks()).toEqual([]);
    const instances = [...r.fleet.instances.values()];
    const tasks = r.builds.length + r.builds.filter((b) => !b.plan.srpmFails).length;
    expect(instances.reduce((a, i) => a + i.tasksRun, 0)).toBe(tasks);
    expect(r.fleet.launches).toBeLessThan(tasks);
    expect(instances.every((i) => i.sandboxes.size === 1)).toBe(true);
    // The run lasts until the last warm builder has waited out its idle period and left.
    expect(instances.every((i) => i.endedAt !== null)).toBe(true);
    expect(r.api.stats.get('next-task')?.real ?? 0).toBeGreaterThan(0);
  }, 600_000);
});
