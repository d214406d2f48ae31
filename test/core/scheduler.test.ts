import { describe, expect, it } from 'vitest';
import type { Task } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { pickTasks, type Limits, type OwnerQueue } from '../../functions/core/scheduler.js';

function task(owner: string, buildId: number, o: Partial<Omit<Task, 'kind' | 'chroot'>> & { kind?: Task['kind']; chroot?: string } = {}): Task {
  const { kind, chroot: rpmChroot, ...rest } = o;
  const chroot = kind === 'srpm' ? null : (rpmChroot ?? 'fedora-44-x86_64');
  return { ...newTask(newBuild(buildId, owner, 'p', { submitter: owner }), chroot, 'x86_64', 0), ...rest };
}

const open: Limits = { total: 100, perArch: {}, perOwner: 100, perSandbox: 100 };

describe('pickTasks', () => {
  it('gives the next free slot to an owner served less recently, whatever the other queue holds', () => {
    const a: OwnerQueue = { owner: 'a', lastServed: 1000, tasks: Array.from({ length: 20 }, (_, i) => task('a', i + 1)) };
    const b: OwnerQueue = { owner: 'b', lastServed: 0, tasks: [task('b', 10_001)] };
    const picked = pickTasks([], [a, b], { ...open, total: 1 }, 5000);
    expect(picked.map((t) => t.owner)).toEqual(['b']);
  });

  it('alternates owners round robin', () => {
    const a: OwnerQueue = { owner: 'a', lastServed: 0, tasks: [1, 2, 3].map((i) => task('a', i)) };
    const b: OwnerQueue = { owner: 'b', lastServed: 0, tasks: [4, 5, 6].map((i) => task('b', i)) };
    expect(pickTasks([], [a, b], { ...open, total: 4 }, 10).map((t) => t.build_id)).toEqual([1, 4, 2, 5]);
  });

  it('keeps the limits: total, per arch, per owner, per sandbox', () => {
    const active = [task('a', 90), task('a', 91, { arch: 'aarch64' })];
    const q: OwnerQueue = {
      owner: 'a',
      lastServed: 0,
      tasks: [task('a', 1, { arch: 'aarch64' }), task('a', 2), task('a', 3), task('a', 4)],
    };
    // aarch64 is full (1 of 1): the x86_64 tasks behind it still start, up to the owner limit of 4.
    const picked = pickTasks(active, [q], { total: 10, perArch: { aarch64: 1 }, perOwner: 4, perSandbox: 10 }, 1);
    expect(picked.map((t) => t.build_id)).toEqual([2, 3]);
    expect(pickTasks(active, [q], { ...open, total: 3 }, 1)).toHaveLength(1);
    expect(pickTasks(active, [q], { ...open, perSandbox: 2 }, 1)).toHaveLength(0);
  });

  it('starts normal work of every owner before background work, and SRPM before RPM inside an owner', () => {
    const a: OwnerQueue = { owner: 'a', lastServed: 0, tasks: [task('a', 1, { background: true })] };
    const b: OwnerQueue = { owner: 'b', lastServed: 99, tasks: [task('b', 2)] };
    expect(pickTasks([], [a, b], { ...open, total: 1 }, 100)[0]!.owner).toBe('b');
    const c: OwnerQueue = { owner: 'c', lastServed: 0, tasks: [task('c', 5, { kind: 'srpm' }), task('c', 3)] };
    expect(pickTasks([], [c], { ...open, total: 1 }, 1)[0]!.kind).toBe('srpm');
  });
});
