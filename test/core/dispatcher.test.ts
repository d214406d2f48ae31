import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build, Task } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { dispatch, dispatchPass, terminateStrays, type Fleet } from '../../functions/core/dispatcher.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/** The dispatcher against DynamoDB Local: limits, fairness, duplicates. */
let builds: DynamoBuildStore;
let now = 1_000_000;
const clock = { now: () => now };

function build(id: number, owner: string, o: Partial<Build> = {}): Build {
  return newBuild(id, owner, 'p', { source_type: 'link', submitter: owner, timeout: 3600, ...o });
}

class RecordingFleet implements Fleet {
  launched: Task[] = [];
  async launch(task: Task): Promise<void> {
    this.launched.push(task);
  }
  terminated: string[] = [];
  extra: Array<{ builderId: string; taskId: string | null; launchedAt: number | null }> = [];
  async terminate(id: string): Promise<void> {
    this.terminated.push(id);
  }
  async list() {
    return this.extra;
  }
}

let nextId = 1;
async function submit(owner: string): Promise<Build> {
  const b = build(nextId++, owner);
  await builds.createBuild(b, [], [newTask(b, null, 'x86_64', now)], null);
  return b;
}

beforeAll(async () => {
  const db = documentClient(process.env.DYNAMODB_ENDPOINT);
  const table = `t-${randomUUID()}`;
  await ensureTable(db, table);
  builds = new DynamoBuildStore(db, table);
});
afterAll(() => undefined);

const limits = { total: 3, perArch: {}, perOwner: 3, perSandbox: 3 };

describe('dispatcher', () => {
  it('terminates stray builders that no active task points at, after a grace period', async () => {
    const fleet = new RecordingFleet();
    fleet.extra = [
      { builderId: 'old-stray', taskId: '1', launchedAt: now - 120_000 },
      { builderId: 'young', taskId: '2', launchedAt: now - 1_000 },
    ];
    expect(await terminateStrays(builds, fleet, now, 60_000)).toEqual(['old-stray']);
    expect(fleet.terminated).toEqual(['old-stray']);
  });

  it('never exceeds the limits, even with concurrent dispatchers', async () => {
    for (let i = 0; i < 10; i++) await submit('lim');
    const fleet = new RecordingFleet();
    const deps = { builds, fleet, clock, limits, credentialTtlMs: 60_000 };
    await Promise.all([dispatch(deps), dispatch(deps), dispatchPass(deps), dispatch(deps)]);
    // Passes may overlap outside the lock (dispatchPass): the claim condition still stops double starts.
    const ids = fleet.launched.map((t) => t.task_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Locked dispatch alone keeps the total exactly.
    for (const t of await builds.listActiveTasks()) await builds.finishTask(t.task_id, 'succeeded', ['starting', 'running']);
    const f2 = new RecordingFleet();
    await Promise.all([1, 2, 3, 4].map(() => dispatch({ ...deps, fleet: f2 })));
    expect((await builds.listActiveTasks()).length).toBe(3);
    for (const t of await builds.listActiveTasks()) await builds.finishTask(t.task_id, 'succeeded', ['starting', 'running']);
  });

  it('hands a new owner the next free slot with thousands queued by another', async () => {
    // Drain leftovers of the previous test first.
    const drain = new RecordingFleet();
    for (let i = 0; i < 10; i++) {
      await dispatch({ builds, fleet: drain, clock, limits: { ...limits, total: 100, perOwner: 100, perSandbox: 100 }, credentialTtlMs: 60_000 });
      for (const t of await builds.listActiveTasks()) await builds.finishTask(t.task_id, 'succeeded', ['starting', 'running']);
    }
    const many = 2000;
    const batch: Promise<Build>[] = [];
    for (let i = 0; i < many; i++) batch.push(submit('hog'));
    await Promise.all(batch);
    const fleet = new RecordingFleet();
    const deps = { builds, fleet, clock, limits, credentialTtlMs: 60_000 };
    now += 1000;
    await dispatch(deps); // fills all 3 slots with hog's work
    expect(fleet.launched.map((t) => t.owner)).toEqual(['hog', 'hog', 'hog']);
    const mine = await submit('small');
    // One slot frees up: the small owner's build takes it.
    await builds.finishTask(fleet.launched[0]!.task_id, 'succeeded', ['starting', 'running']);
    now += 1000;
    await dispatch(deps);
    expect(fleet.launched[3]!.build_id).toBe(mine.id);
  }, 120_000);

  it('duplicate and late wake-ups change nothing', async () => {
    const fleet = new RecordingFleet();
    const deps = { builds, fleet, clock, limits: { total: 1000, perArch: {}, perOwner: 1000, perSandbox: 1000 }, credentialTtlMs: 60_000 };
    const b = await submit('dup');
    await Promise.all([dispatch(deps), dispatch(deps), dispatch(deps)]);
    const started = fleet.launched.filter((t) => t.build_id === b.id);
    expect(started).toHaveLength(1);
    // A claim of a task that is no longer pending is refused.
    expect(await builds.claimTask(started[0]!.task_id, { builder_id: 'x', credential_hash: 'h', credential_expires: 0, now })).toBe(false);
    // A late "finished" after a requeue is a no-op.
    const t = (await builds.getTask(started[0]!.task_id))!;
    expect(await builds.requeueTask(t.task_id, t.heartbeat_at)).toBe(true);
    expect(await builds.finishTask(t.task_id, 'succeeded', ['starting', 'running'])).toBe(false);
    expect((await builds.getTask(t.task_id))!.state).toBe('pending');
  });
});
