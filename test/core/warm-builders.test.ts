import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Build, Task } from '../../functions/core/build-model.js';
import type { TaskContext } from '../../functions/core/builder-session.js';
import type { ReuseRule } from '../../functions/core/builder-pool.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { dispatchPass, terminateStrays, type DispatcherDeps, type Fleet, type LaunchOptions } from '../../functions/core/dispatcher.js';
import { CoprError } from '../../functions/core/errors.js';
import { builderFinishing, nextTaskForBuilder, type NextTaskReply, type WarmDeps } from '../../functions/core/warm-builders.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { freshBuildStore, ManualClock } from '../support/build-store.js';

/**
 * Warm builders against DynamoDB Local: the dispatcher launches a builder with its
 * own credential, the builder finishes and asks for more, and only tasks of its
 * sandbox (Copr's isolation rule) ever come back. Every test has its own table.
 */
class WarmFleet implements Fleet {
  launches: Array<{ task: Task; builderId: string; options: LaunchOptions | undefined }> = [];
  async launch(task: Task, _credential: string, builderId: string, options?: LaunchOptions): Promise<void> {
    this.launches.push({ task, builderId, options });
  }
  async terminate(): Promise<void> {}
  listed: Array<{ builderId: string; taskId: string | null; launchedAt: number | null }> = [];
  terminated: string[] = [];
  async list() {
    return this.listed;
  }
}

let nextId = 1;
/** A build with one pending SRPM task; `project` and `submitter` make its sandbox. */
async function submit(builds: DynamoBuildStore, owner: string, now: number, o: { project?: string; submitter?: string; arch?: string } = {}): Promise<Task> {
  const b: Build = newBuild(nextId++, owner, o.project ?? 'p', { source_type: 'link', submitter: o.submitter ?? owner, timeout: 3600 });
  const task = newTask(b, null, o.arch ?? 'x86_64', now);
  await builds.createBuild(b, [], [task], null);
  return task;
}

function setup(builds: DynamoBuildStore, clock: ManualClock, reuse: ReuseRule = 'sandbox', total = 10, emptyIdleMs?: number) {
  const fleet = new WarmFleet();
  const warm = { reuse, idleMs: 300_000, pollMs: 5_000, ...(emptyIdleMs === undefined ? {} : { emptyIdleMs }) };
  const wakes: number[] = [];
  const dispatcher: DispatcherDeps = { builds, fleet, clock, limits: { total, perArch: {}, perOwner: total, perSandbox: total }, credentialTtlMs: 3_600_000, warm };
  const warmDeps: WarmDeps = { builds, clock, warm, credentialTtlMs: 3_600_000, wake: async () => void wakes.push(clock.t) };
  return { fleet, dispatcher, warmDeps, wakes };
}

/** The builder reports its task's outcome (what the finished route does first), then the task closes. */
async function finish(builds: DynamoBuildStore, deps: WarmDeps, taskId: string): Promise<void> {
  const task = (await builds.getTask(taskId))!;
  await builderFinishing(deps, { task } as TaskContext);
  expect(await builds.finishTask(taskId, 'succeeded', ['starting', 'running'])).toBe(true);
}

const taskIdOf = (r: NextTaskReply): string | null => r.task_id;

describe('warm builders', () => {
  it('never takes a task of another owner, project or submitter under the sandbox rule, and does take a same-sandbox task', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock);
    const first = await submit(builds, 'alice', clock.t, { project: 'p' });
    expect(await dispatchPass(dispatcher)).toHaveLength(1);
    const launch = fleet.launches[0]!;
    expect(launch.options?.warm).toEqual({ builderCredential: expect.stringMatching(new RegExp(`^${launch.builderId}\\.`)), idleSeconds: 300 });
    const credential = launch.options!.warm!.builderCredential;

    // Work queued meanwhile, most of it not for this builder (and ahead of the fitting one).
    const bobs = await submit(builds, 'bob', clock.t);
    const otherProject = await submit(builds, 'alice', clock.t, { project: 'q' });
    const otherSubmitter = await submit(builds, 'alice', clock.t, { project: 'p', submitter: 'carol' });
    const otherArch = await submit(builds, 'alice', clock.t, { project: 'p', arch: 'aarch64' });
    const same = await submit(builds, 'alice', clock.t, { project: 'p' });

    // Still running its task: it is told to wait, nothing is claimed.
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 5 });

    await finish(builds, warmDeps, first.task_id);
    clock.t += 1_000;
    const reply = await nextTaskForBuilder(warmDeps, credential);
    expect(taskIdOf(reply)).toBe(same.task_id);
    // The new task is this builder's, with a working task credential.
    const claimed = (await builds.getTask(same.task_id))!;
    expect(claimed).toMatchObject({ state: 'starting', builder_id: launch.builderId, attempts: 0 });
    expect((await builds.getBuilder(launch.builderId))!).toMatchObject({ state: 'busy', task_id: same.task_id });

    // After that one, nothing else fits: it waits, and every other task is still pending.
    await finish(builds, warmDeps, same.task_id);
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 5 });
    for (const t of [bobs, otherProject, otherSubmitter, otherArch]) expect((await builds.getTask(t.task_id))!.state).toBe('pending');
  });

  it('the claim itself refuses a task of another sandbox, whatever the caller picked', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock);
    const first = await submit(builds, 'kim', clock.t);
    await dispatchPass(dispatcher);
    await finish(builds, warmDeps, first.task_id);
    const builder = (await builds.getBuilder(fleet.launches[0]!.builderId))!;
    const foreign = await submit(builds, 'lee', clock.t);
    const claim = { credential_hash: 'h', credential_expires: clock.t + 60_000, now: clock.t };
    expect(await builds.claimTaskForBuilder((await builds.getTask(foreign.task_id))!, builder, claim)).toBe(false);
    expect((await builds.getTask(foreign.task_id))!.state).toBe('pending');
    expect((await builds.getBuilder(builder.builder_id))!.state).toBe('idle');
  });

  it("under the owner rule takes the owner's other projects, never another owner's", async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock, 'owner');
    const first = await submit(builds, 'dora', clock.t, { project: 'p' });
    await dispatchPass(dispatcher);
    const credential = fleet.launches[0]!.options!.warm!.builderCredential;
    const bobs = await submit(builds, 'eve', clock.t);
    const otherProject = await submit(builds, 'dora', clock.t, { project: 'q', submitter: 'frank' });
    await finish(builds, warmDeps, first.task_id);
    expect(taskIdOf(await nextTaskForBuilder(warmDeps, credential))).toBe(otherProject.task_id);
    await finish(builds, warmDeps, otherProject.task_id);
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 5 });
    expect((await builds.getTask(bobs.task_id))!.state).toBe('pending');
  });

  it('refuses a task credential, a user token or a forged builder credential', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock);
    await submit(builds, 'gil', clock.t);
    await dispatchPass(dispatcher);
    const { builderId } = fleet.launches[0]!;
    for (const bad of [`${builderId}.forged`, 'no-dot', `${randomUUID()}.x`]) {
      await expect(nextTaskForBuilder(warmDeps, bad)).rejects.toThrow(CoprError);
    }
  });

  it('stops after its idle period and no longer counts against the limits', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock, 'sandbox', 1);
    const first = await submit(builds, 'hal', clock.t);
    await dispatchPass(dispatcher);
    const { builderId, options } = fleet.launches[0]!;
    await finish(builds, warmDeps, first.task_id);

    // Idle, it holds the only slot: another sandbox's task is not launched (no overshoot),
    // and the idle builder is no stray.
    await submit(builds, 'ivy', clock.t);
    expect(await dispatchPass(dispatcher)).toEqual([]);
    fleet.listed = [{ builderId, taskId: first.task_id, launchedAt: clock.t - 3_600_000 }];
    expect(await terminateStrays(builds, fleet, clock.t, 60_000)).toEqual([]);

    // Past its idle period: told to stop, retired, the slot is free again.
    clock.t += 300_001;
    expect(await nextTaskForBuilder(warmDeps, options!.warm!.builderCredential)).toEqual({ task_id: null, stop: true });
    expect((await builds.getBuilder(builderId))!.state).toBe('retired');
    expect(await builds.listIdleBuilders(clock.t)).toEqual([]);
    expect((await dispatchPass(dispatcher)).map((t) => t.owner)).toEqual(['ivy']);
  });

  it('an idle builder gets the work of its sandbox before a cold launch', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock, 'sandbox', 5);
    const first = await submit(builds, 'jo', clock.t);
    await dispatchPass(dispatcher);
    await finish(builds, warmDeps, first.task_id);
    const mine = await submit(builds, 'jo', clock.t);
    // Slots are free, yet the dispatcher leaves this one to the waiting builder.
    expect(await dispatchPass(dispatcher)).toEqual([]);
    expect(fleet.launches).toHaveLength(1);
    expect(taskIdOf(await nextTaskForBuilder(warmDeps, fleet.launches[0]!.options!.warm!.builderCredential))).toBe(mine.task_id);
  });

  it('gives its slot to starved work of another owner at its next task boundary', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps, wakes } = setup(builds, clock, 'sandbox', 1);
    const first = await submit(builds, 'hog', clock.t);
    await submit(builds, 'hog', clock.t); // more of the same sandbox queued
    await dispatchPass(dispatcher);
    const credential = fleet.launches[0]!.options!.warm!.builderCredential;
    // A small owner arrives while the fleet is full: the pass records it as starved.
    const small = await submit(builds, 'small', clock.t);
    expect(await dispatchPass(dispatcher)).toEqual([]);
    await finish(builds, warmDeps, first.task_id);
    // The hog's builder does not take the hog's next task: it stops and wakes the dispatcher.
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, stop: true });
    expect(wakes).toHaveLength(1);
    expect((await dispatchPass(dispatcher)).map((t) => t.task_id)).toEqual([small.task_id]);
  });

  it('stops after the shorter wait when nothing of its sandbox is queued, still never taking foreign work', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock, 'sandbox', 10, 60_000);
    const first = await submit(builds, 'ann', clock.t, { project: 'p' });
    await dispatchPass(dispatcher);
    const builderId = fleet.launches[0]!.builderId;
    const credential = fleet.launches[0]!.options!.warm!.builderCredential;
    // Queued work of other sandboxes only: another owner, another project of the same owner.
    const foreign = [await submit(builds, 'ben', clock.t), await submit(builds, 'ann', clock.t, { project: 'q' })];
    await finish(builds, warmDeps, first.task_id);

    // Idle with an empty sandbox: asked back at the poll interval, then at the end of the 60 s.
    clock.t += 1_000;
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 5 });
    clock.t += 56_000;
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 3 });

    // Work of its own sandbox arriving within the wait is taken.
    const mine = await submit(builds, 'ann', clock.t, { project: 'p' });
    expect(taskIdOf(await nextTaskForBuilder(warmDeps, credential))).toBe(mine.task_id);
    await finish(builds, warmDeps, mine.task_id);

    // Empty again: 60 s after it became idle it is told to stop, long before the 300 s idle period.
    clock.t += 30_000;
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, retry_after: 5 });
    clock.t += 30_000;
    expect(await nextTaskForBuilder(warmDeps, credential)).toEqual({ task_id: null, stop: true });
    expect((await builds.getBuilder(builderId))!.state).toBe('retired');
    for (const t of foreign) expect((await builds.getTask(t.task_id))!.state).toBe('pending');
  });

  it('waits the whole idle period when its scan cannot tell that nothing of its sandbox is queued', async () => {
    const builds = await freshBuildStore();
    const clock = new ManualClock(5_000_000);
    const { fleet, dispatcher, warmDeps } = setup(builds, clock, 'sandbox', 10, 60_000);
    const first = await submit(builds, 'dee', clock.t);
    await dispatchPass(dispatcher);
    const credential = fleet.launches[0]!.options!.warm!.builderCredential;
    await finish(builds, warmDeps, first.task_id);
    // The owner's queue is longer than the builder's scan: its sandbox may have work further back.
    for (const project of ['q', 'r', 's']) await submit(builds, 'dee', clock.t, { project });
    const narrow: WarmDeps = { ...warmDeps, scanSize: 2 };
    clock.t += 120_000;
    expect(await nextTaskForBuilder(narrow, credential)).toEqual({ task_id: null, retry_after: 5 });
    // A task of another architecture in its own sandbox is no reason to wait: it cannot run it.
    const other = await submit(builds, 'eve', clock.t, { arch: 'aarch64' });
    await dispatchPass(dispatcher);
    const eve = fleet.launches.find((l) => l.task.task_id === other.task_id)!;
    await finish(builds, warmDeps, other.task_id);
    await submit(builds, 'eve', clock.t, { arch: 'x86_64' });
    clock.t += 60_000;
    expect(await nextTaskForBuilder(warmDeps, eve.options!.warm!.builderCredential)).toEqual({ task_id: null, stop: true });
  });
});
