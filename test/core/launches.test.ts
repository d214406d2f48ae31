import { describe, expect, it } from 'vitest';
import type { Build, Task } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { dispatch, dispatchPass, runDispatchPass, type DispatcherDeps, type Fleet } from '../../functions/core/dispatcher.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { buildState } from '../../functions/core/build-state.js';
import { freshBuildStore, ManualClock } from '../support/build-store.js';
import { coreHarness } from './app-support.js';

/**
 * Launches against DynamoDB Local: bounded parallelism, the lease renewed per
 * claim, the deadline that leaves work pending, and failed launches that cost no
 * attempt and wait out a backoff. Every test gets its own table.
 */
/** A fleet whose launches run the given step (fail, advance the clock, wait on a gate). */
class ScriptedFleet implements Fleet {
  launched: Task[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly step: (task: Task, n: number) => Promise<void> = async () => undefined) {}
  async launch(task: Task): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.step(task, this.launched.length);
      this.launched.push(task);
    } finally {
      this.inFlight--;
    }
  }
  async terminate(): Promise<void> {}
  async list() {
    return [];
  }
}

let nextId = 1;
async function submit(builds: DynamoBuildStore, owner: string, now: number, arch = 'x86_64'): Promise<Build> {
  const b = newBuild(nextId++, owner, 'p', { source_type: 'link', submitter: owner, timeout: 3600 });
  await builds.createBuild(b, [], [newTask(b, null, arch, now)], null);
  return b;
}

const wide = { total: 100, perArch: {}, perOwner: 100, perSandbox: 100 };

function deps(builds: DynamoBuildStore, fleet: Fleet, clock: ManualClock, over: Partial<DispatcherDeps> = {}): DispatcherDeps {
  return { builds, fleet, clock, limits: wide, credentialTtlMs: 3_600_000, launchBackoff: { baseMs: 30_000, maxMs: 120_000 }, ...over };
}

describe('launches', () => {
  it('a launch failure does not consume an attempt, and its backoff is honoured', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(1_000_000);
    const b = await submit(builds, 'quota', clock.t);
    const taskId = String(b.id);
    const failing = new ScriptedFleet(async () => {
      throw Object.assign(new Error('You have requested more vCPU capacity than your current vCPU limit'), { name: 'VcpuLimitExceeded' });
    });

    // First failure: back to pending, attempts untouched, not before now + 30 s.
    const first = await runDispatchPass(deps(builds, failing, clock));
    expect(first.failed.map((t) => t.task_id)).toEqual([taskId]);
    let t = (await builds.getTask(taskId))!;
    expect(t).toMatchObject({ state: 'pending', attempts: 0, launch_failures: 1, not_before: clock.t + 30_000 });
    expect('builder_id' in t || 'credential_hash' in t).toBe(false);
    expect(await builds.listActiveTasks()).toEqual([]);

    // During the backoff the scheduler skips it: no launch is even tried.
    clock.t += 29_999;
    expect((await runDispatchPass(deps(builds, failing, clock))).failed).toEqual([]);

    // After it: tried again, fails again, backoff doubles; still no attempt counted.
    clock.t += 1;
    await runDispatchPass(deps(builds, failing, clock));
    t = (await builds.getTask(taskId))!;
    expect(t).toMatchObject({ state: 'pending', attempts: 0, launch_failures: 2, not_before: clock.t + 60_000 });

    // Capped: the fourth failure waits 120 s, not 240 s.
    clock.t += 60_000;
    await runDispatchPass(deps(builds, failing, clock));
    clock.t += 120_000;
    await runDispatchPass(deps(builds, failing, clock));
    t = (await builds.getTask(taskId))!;
    expect(t).toMatchObject({ attempts: 0, launch_failures: 4, not_before: clock.t + 120_000 });

    // Capacity back: the next launch after the backoff starts it.
    const ok = new ScriptedFleet();
    clock.t += 120_000;
    expect((await dispatchPass(deps(builds, ok, clock))).map((x) => x.task_id)).toEqual([taskId]);
    expect((await builds.getTask(taskId))!).toMatchObject({ state: 'starting', attempts: 0 });
  });

  it('launches in parallel, never more at once than the concurrency', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(1_000_000);
    for (let i = 0; i < 12; i++) await submit(builds, `par${i % 4}`, clock.t);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const fleet = new ScriptedFleet(() => gate);
    const pass = dispatchPass(deps(builds, fleet, clock, { launchConcurrency: 5 }));
    // Five launches wait on the gate at once, and no sixth starts while they do.
    await expect.poll(() => fleet.inFlight, { timeout: 30_000 }).toBe(5);
    release();
    expect(await pass).toHaveLength(12);
    expect(fleet.maxInFlight).toBe(5);
    expect(fleet.launched).toHaveLength(12);
  });

  it('renews the lease before each claim and stops at the deadline with the rest unclaimed', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(1_000_000);
    for (let i = 0; i < 8; i++) await submit(builds, 'slow', clock.t);
    const rivalAcquired: boolean[] = [];
    // Each launch takes 20 s of (simulated) time: far past the first 30 s lease by the end.
    const fleet = new ScriptedFleet(async () => {
      clock.t += 20_000;
      rivalAcquired.push(await builds.acquireDispatchLock('rival', clock.t, 30_000));
    });
    const wakes: number[] = [];
    const start = clock.t;
    const started = await dispatch(deps(builds, fleet, clock, { launchConcurrency: 1, leaseMs: 30_000, wake: async () => void wakes.push(clock.t) }), 'holder', {
      deadline: start + 50_000,
    });
    // Claims at 0, 20 s and 40 s; at 60 s the deadline has passed.
    expect(started).toBe(3);
    // No rival ever got the lock while the holder worked, though 60 s > the 30 s lease.
    expect(rivalAcquired).toEqual([false, false, false]);
    // Nothing claimed and left unlaunched: every active task was launched, the rest is pending.
    const active = await builds.listActiveTasks();
    expect(active.map((t) => t.task_id).sort()).toEqual(fleet.launched.map((t) => t.task_id).sort());
    expect(await builds.listPendingTasks('slow', 100)).toHaveLength(5);
    // The lock is free for the next run, which the pass woke.
    expect(wakes).toHaveLength(1);
    expect(await builds.acquireDispatchLock('next-run', clock.t, 30_000)).toBe(true);
  });

  it('gives up after the bounded number of failed launches: the task fails with the launch error, no attempt spent before', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(1_000_000);
    const b = await submit(builds, 'noami', clock.t);
    const taskId = String(b.id);
    const failing = new ScriptedFleet(async () => {
      throw Object.assign(new Error("The image id '[ami-0123]' does not exist"), { name: 'InvalidAMIID.NotFound' });
    });
    const gaveUp: Array<{ taskId: string; builderId: string; reason: string }> = [];
    const d = deps(builds, failing, clock, {
      launchMaxFailures: 3,
      giveUp: async (id, builderId, reason) => {
        gaveUp.push({ taskId: id, builderId, reason });
        return builds.finishTask(id, 'failed', ['starting']);
      },
    });
    // Failures 1 and 2: back to pending with the backoff, attempts untouched, nothing given up.
    await runDispatchPass(d);
    clock.t += 30_000;
    await runDispatchPass(d);
    expect((await builds.getTask(taskId))!).toMatchObject({ state: 'pending', attempts: 0, launch_failures: 2 });
    expect(gaveUp).toEqual([]);
    // The third: given up, on this pass's claim, with the launch error in the reason.
    clock.t += 60_000;
    const third = await runDispatchPass(d);
    expect(third.gaveUp.map((t) => t.task_id)).toEqual([taskId]);
    expect(gaveUp).toEqual([{ taskId, builderId: expect.any(String), reason: expect.stringMatching(/3 launches failed in a row.*ami-0123.*does not exist/) }]);
    expect((await builds.getTask(taskId))!).toMatchObject({ state: 'finished', outcome: 'failed', attempts: 0 });
    // Nothing left to try: later passes launch nothing.
    clock.t += 3_600_000;
    expect(await runDispatchPass(d)).toMatchObject({ started: [], failed: [] });
  });

  it('through the app: the build fails with a reason the user sees once its launches are given up', async () => {
    const h = await coreHarness({ settings: {} });
    try {
      const failing = new ScriptedFleet(async () => {
        throw Object.assign(new Error('Launch template lt-0abc is not allowed'), { name: 'UnauthorizedOperation' });
      });
      const base = h.app.settings.dispatch;
      const app = h.withPorts({ fleet: failing }, { dispatch: { ...base, launchMaxFailures: 2, launchBackoff: { baseMs: 1_000, maxMs: 1_000 } } });
      const checked = await app.builds.check(h.alice, 'alice', 'p', { chroots: ['fedora-44-x86_64'] });
      const b = await app.builds.submit(checked, { source_type: 'link', source_dict: { url: 'https://example.com/x.src.rpm' } });
      await app.dispatch();
      expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ state: 'pending', attempts: 0, launch_failures: 1 });
      expect(buildState((await h.ports.builds.getBuild(b.id))!, await h.ports.builds.listBuildChroots(b.id))).toBe('pending');
      h.clock.advance(1_000);
      await app.dispatch();
      const build = (await h.ports.builds.getBuild(b.id))!;
      expect(buildState(build, await h.ports.builds.listBuildChroots(b.id))).toBe('failed');
      expect(build.fail_reason).toMatch(/^No builder could be started for this task: 2 launches failed in a row \(last: Launch template lt-0abc is not allowed\)$/);
      expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ state: 'finished', outcome: 'failed', attempts: 0 });
      expect(await h.ports.builds.listActiveTasks()).toEqual([]);
    } finally {
      h.close();
    }
  });
});
