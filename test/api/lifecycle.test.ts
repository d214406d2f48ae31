import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildState } from '../../functions/core/build-state.js';
import { dispatch, type Fleet } from '../../functions/core/dispatcher.js';
import type { Task } from '../../functions/core/build-model.js';
import { onFinished, reap, taskResultPrefix } from '../../functions/core/task-lifecycle.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { newRecorder, recordingBuildsPlugin, startTask } from './build-support.js';

/**
 * Batches (`after_build_id` / `with_build_id`): a build waits for its predecessor to
 * finish before any of its tasks is handed out, then starts on its own.
 */
let t: TestService;
let alice: CoprClient;
const rec = newRecorder();

class RecordingFleet implements Fleet {
  launched: Task[] = [];
  async launch(task: Task): Promise<void> {
    this.launched.push(task);
  }
  async terminate(): Promise<void> {}
  async list(): Promise<[]> {
    return [];
  }
}

const opts = { ownername: 'alice', projectname: 'batch', project_dirname: 'batch', timeout: null, chroots: ['fedora-44-x86_64'], background: false, isolation: 'unchanged' };
const submit = async (over: Record<string, unknown> = {}) => {
  const res = await alice.send<{ items: Array<{ id: number }> }>('POST', 'build/create/url', {
    json: { ...opts, pkgs: ['https://example.com/hello-1.0-1.src.rpm'], ...over },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items[0]!.id;
};

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'batch', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
  expect((await createProject(alice, 'alice', 'arches', { chroots: ['fedora-44-x86_64', 'fedora-44-aarch64', 'epel-10-x86_64'] })).status).toBe(200);
});
afterAll(() => t.stop());

describe('batches', () => {
  it('holds after_build_id and with_build_id builds until the first build finished, then hands them out', async () => {
    const deps = rec.deps!;
    const first = await submit();
    const second = await submit({ after_build_id: String(first) });
    const sibling = await submit({ with_build_id: second });
    const fleet = new RecordingFleet();
    const dispatchDeps = { builds: deps.builds, fleet, clock: deps.clock, limits: { total: 10, perArch: {}, perOwner: 10, perSandbox: 10 }, credentialTtlMs: 60_000 };

    await dispatch(dispatchDeps);
    // Only the first build's SRPM task goes out; the batch waits.
    expect(fleet.launched.map((x) => x.build_id)).toEqual([first]);
    const waiting = (await t.anon.get<{ state: string }>(`build/${second}`)).body.state;
    expect(waiting).toBe('pending');

    // Its builder reports the SRPM stage failed: the first build is finished, so the batch may start.
    const claimed = (await deps.builds.getTask(String(first)))!;
    expect(claimed.state).toBe('starting');
    const ctx = { task: claimed, build: (await deps.builds.getBuild(first))!, project: (await t.service.ctx.store.getProject('alice', 'batch'))! };
    await onFinished(deps, ctx, { status: 'failed', fail_reason: 'broken' });
    const firstBuild = (await deps.builds.getBuild(first))!;
    expect(buildState(firstBuild, await deps.builds.listBuildChroots(first))).toBe('failed');

    await dispatch(dispatchDeps);
    expect(fleet.launched.map((x) => x.build_id).sort()).toEqual([first, second, sibling].sort());
  });
});

describe('architecture skipping', () => {
  it('skips chroots that ExclusiveArch/ExcludeArch rule out, per distribution, and builds the rest', async () => {
    const deps = rec.deps!;
    const res = await alice.send<{ items: Array<{ id: number }> }>('POST', 'build/create/url', {
      json: { ...opts, projectname: 'arches', project_dirname: 'arches', chroots: null, pkgs: ['https://example.com/x-1.0-1.src.rpm'] },
    });
    const id = res.body.items[0]!.id;
    const ctx = await startTask(deps, String(id));
    const prefix = taskResultPrefix(ctx);
    await deps.results.put(`${prefix}/x-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    await onFinished(deps, ctx, {
      status: 'succeeded',
      srpm_filename: 'x-1.0-1.src.rpm',
      results: {
        name: 'x',
        epoch: null,
        version: '1.0',
        release: '1',
        architecture_specific_tags: { 'fedora-44': { exclusivearch: ['x86_64'] }, 'epel-10': { excludearch: ['x86_64'] } },
      },
    });
    const chroots = await deps.builds.listBuildChroots(id);
    expect(chroots.map((c) => [c.name, c.state])).toEqual([
      ['epel-10-x86_64', 'skipped'],
      ['fedora-44-aarch64', 'skipped'],
      ['fedora-44-x86_64', 'pending'],
    ]);
    expect(chroots.find((c) => c.name === 'fedora-44-aarch64')!.fail_reason).toMatch(/ExclusiveArch x86_64/);
    // Only the remaining chroot becomes a task.
    expect(await deps.builds.getTask(`${id}-fedora-44-aarch64`)).toBeNull();
    expect((await deps.builds.getTask(`${id}-fedora-44-x86_64`))?.state).toBe('pending');
  });

  it('applies ExclusiveArch and ExcludeArch to noarch packages too, as Copr does', async () => {
    const deps = rec.deps!;
    const res = await alice.send<{ items: Array<{ id: number }> }>('POST', 'build/create/url', {
      json: { ...opts, projectname: 'arches', project_dirname: 'arches', chroots: null, pkgs: ['https://example.com/n-1.0-1.src.rpm'] },
    });
    const id = res.body.items[0]!.id;
    const ctx = await startTask(deps, String(id));
    const prefix = taskResultPrefix(ctx);
    await deps.results.put(`${prefix}/n-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    await onFinished(deps, ctx, {
      status: 'succeeded',
      srpm_filename: 'n-1.0-1.src.rpm',
      results: {
        name: 'n',
        epoch: null,
        version: '1.0',
        release: '1',
        // `noarch` in ExclusiveArch (Fedora's `%{java_arches} noarch` idiom) restricts nothing by itself.
        architecture_specific_tags: {
          'fedora-44': { exclusivearch: ['x86_64', 'noarch'], buildarch: ['noarch'] },
          'epel-10': { excludearch: ['x86_64'], buildarch: ['noarch'] },
        },
      },
    });
    const chroots = await deps.builds.listBuildChroots(id);
    expect(chroots.map((c) => [c.name, c.state, c.fail_reason])).toEqual([
      ['epel-10-x86_64', 'skipped', 'ExcludeArch excludes x86_64'],
      ['fedora-44-aarch64', 'skipped', 'ExclusiveArch x86_64 noarch does not include aarch64'],
      ['fedora-44-x86_64', 'pending', null],
    ]);
  });

  it('does not skip on a tag list with a macro the builder could not expand', async () => {
    const deps = rec.deps!;
    const res = await alice.send<{ items: Array<{ id: number }> }>('POST', 'build/create/url', {
      json: { ...opts, projectname: 'arches', project_dirname: 'arches', chroots: null, pkgs: ['https://example.com/j-1.0-1.src.rpm'] },
    });
    const id = res.body.items[0]!.id;
    const ctx = await startTask(deps, String(id));
    const prefix = taskResultPrefix(ctx);
    await deps.results.put(`${prefix}/j-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    await onFinished(deps, ctx, {
      status: 'succeeded',
      srpm_filename: 'j-1.0-1.src.rpm',
      results: {
        name: 'j', epoch: null, version: '1.0', release: '1',
        architecture_specific_tags: { 'fedora-44': { exclusivearch: ['%{java_arches}', 'noarch'], buildarch: ['noarch'] } },
      },
    });
    const chroots = await deps.builds.listBuildChroots(id);
    expect(chroots.map((c) => [c.name, c.state])).toEqual([
      ['epel-10-x86_64', 'pending'],
      ['fedora-44-aarch64', 'pending'],
      ['fedora-44-x86_64', 'pending'],
    ]);
  });
});

describe('a crash between recording an outcome and closing the task', () => {
  it('the reaper closes the task with the recorded outcome and publishes, instead of building again', async () => {
    const deps = rec.deps!;
    const id = (await submit({ projectname: 'arches', project_dirname: 'arches', chroots: ['fedora-44-x86_64'] }));
    // SRPM stage done, RPM task started by a builder...
    const srpm = await startTask(deps, String(id));
    const prefix = taskResultPrefix(srpm);
    await deps.results.put(`${prefix}/x-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    await onFinished(deps, srpm, { status: 'succeeded', srpm_filename: 'x-1.0-1.src.rpm', results: { name: 'x', epoch: null, version: '1.0', release: '1' } });
    const rpm = await startTask(deps, `${id}-fedora-44-x86_64`);
    // ...whose report got as far as the chroot's final state, then the process died.
    expect(await deps.builds.chrootFinished(id, 'fedora-44-x86_64', { state: 'succeeded', endedOn: 1, failReason: null, packages: [], resultDir: `${String(id).padStart(8, '0')}-x` })).toBe(true);
    expect((await deps.builds.getTask(rpm.task.task_id))!.state).toBe('running');
    rec.published.length = 0;
    const report = await reap({ ...deps, terminate: async () => undefined }, { heartbeatTimeoutMs: -1, maxAttempts: 3 });
    expect(report.closed).toContain(rpm.task.task_id);
    expect(report.requeued).not.toContain(rpm.task.task_id);
    expect(await deps.builds.getTask(rpm.task.task_id)).toMatchObject({ state: 'finished', outcome: 'succeeded', attempts: 0 });
    expect(rec.published.map((p) => [p.chroot, p.adds])).toEqual([['fedora-44-x86_64', [`${String(id).padStart(8, '0')}-x`]]]);
    expect((await t.anon.get<{ state: string }>(`build/${id}`)).body.state).toBe('succeeded');
  });
});

describe('a crash while the SRPM stage reports', () => {
  it('repeats the stage effects harmlessly and the reaper closes the task without rebuilding', async () => {
    const deps = rec.deps!;
    const id = await submit({ projectname: 'arches', project_dirname: 'arches', chroots: ['fedora-44-x86_64', 'epel-10-x86_64'] });
    const srpm = await startTask(deps, String(id));
    const prefix = taskResultPrefix(srpm);
    await deps.results.put(`${prefix}/y-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    const report = { status: 'succeeded' as const, srpm_filename: 'y-1.0-1.src.rpm', results: { name: 'y', epoch: null, version: '1.0', release: '1' } };
    // The process dies right before closing the task: every effect before it has happened.
    const crashing = { ...deps, builds: Object.assign(Object.create(deps.builds) as typeof deps.builds, { finishTask: async () => { throw new Error('crash'); } }) };
    await expect(onFinished(crashing, srpm, report)).rejects.toThrow('crash');
    expect((await deps.builds.getTask(String(id)))!.state).toBe('running');
    expect((await deps.builds.getBuild(id))!.source_status).toBe('succeeded');
    // One RPM task is picked up by a builder meanwhile.
    const rpm = await startTask(deps, `${id}-epel-10-x86_64`);
    // A retried report repeats the effects: nothing is reset, nothing is duplicated.
    await onFinished(deps, { ...srpm, task: (await deps.builds.getTask(String(id)))! }, report);
    expect((await deps.builds.getTask(rpm.task.task_id))!.state).toBe('running');
    expect((await deps.builds.getTask(`${id}-fedora-44-x86_64`))!.state).toBe('pending');
    expect((await deps.builds.getTask(String(id)))).toMatchObject({ state: 'finished', outcome: 'succeeded' });
    const chroots = await deps.builds.listBuildChroots(id);
    expect(chroots.map((c) => [c.name, c.state])).toEqual([
      ['epel-10-x86_64', 'running'],
      ['fedora-44-x86_64', 'pending'],
    ]);
  });

  it('the reaper closes an SRPM task whose stage already finished', async () => {
    const deps = rec.deps!;
    const id = await submit({ projectname: 'arches', project_dirname: 'arches', chroots: ['fedora-44-x86_64'] });
    const srpm = await startTask(deps, String(id));
    const prefix = taskResultPrefix(srpm);
    await deps.results.put(`${prefix}/z-1.0-1.src.rpm`, 'srpm');
    await deps.results.put(`${prefix}/success`, '');
    const crashing = { ...deps, builds: Object.assign(Object.create(deps.builds) as typeof deps.builds, { finishTask: async () => { throw new Error('crash'); } }) };
    await expect(
      onFinished(crashing, srpm, { status: 'succeeded', srpm_filename: 'z-1.0-1.src.rpm', results: { name: 'z', epoch: null, version: '1.0', release: '1' } }),
    ).rejects.toThrow('crash');
    const out = await reap({ ...deps, terminate: async () => undefined }, { heartbeatTimeoutMs: -1, maxAttempts: 3 });
    expect(out.closed).toContain(String(id));
    expect(await deps.builds.getTask(String(id))).toMatchObject({ state: 'finished', outcome: 'succeeded', attempts: 0 });
    expect((await deps.builds.getTask(`${id}-fedora-44-x86_64`))).not.toBeNull();
  });
});
