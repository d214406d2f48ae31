import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Build } from '../../functions/core/build-model.js';
import { buildState } from '../../functions/core/build-state.js';
import { claim, coreHarness, succeedSrpm, type CoreHarness } from './app-support.js';

/**
 * The build state machine through the application core (no HTTP): each use case of
 * `createApp` on real stores, with the world (builders, publisher, wake-ups) recorded.
 */
let h: CoreHarness;
const HEARTBEAT_MS = 60_000;

// A fresh table per test: the dispatcher and the reaper see every pending task.
beforeEach(async () => {
  h = await coreHarness({ settings: { reaper: { heartbeatTimeoutMs: HEARTBEAT_MS, maxAttempts: 2 } } });
});
afterEach(() => h.close());

async function submit(chroots = ['fedora-44-x86_64']): Promise<Build> {
  const checked = await h.app.builds.check(h.alice, 'alice', 'p', { chroots });
  return h.app.builds.submit(checked, { source_type: 'link', source_dict: { url: 'https://example.com/x.src.rpm' } });
}

async function stateOf(id: number): Promise<string> {
  const build = await h.ports.builds.getBuild(id);
  if (!build) return 'gone';
  return buildState(build, await h.ports.builds.listBuildChroots(id));
}

const rpmTask = (b: Build) => `${b.id}-fedora-44-x86_64`;

describe('submit', () => {
  it('writes the build with its chroots and SRPM task, and wakes the dispatcher', async () => {
    const wakes = h.wakes.dispatcher;
    const b = await submit();
    expect(await stateOf(b.id)).toBe('pending');
    expect((await h.ports.builds.listBuildChroots(b.id)).map((c) => [c.name, c.state])).toEqual([['fedora-44-x86_64', 'waiting']]);
    expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ kind: 'srpm', state: 'pending' });
    expect(h.wakes.dispatcher).toBe(wakes + 1);
  });

  it('refuses what the check refuses, writing nothing', async () => {
    await expect(h.app.builds.check(h.alice, 'alice', 'p', { timeout: 10 ** 9 })).rejects.toThrow(/timeout/);
    await expect(h.app.builds.check(h.alice, 'alice', 'p', { chroots: ['nope-1-x86_64'] })).rejects.toThrow(/is not a valid choice for this field/);
  });
});

describe('dispatch, start, heartbeat, finish', () => {
  it('takes a build through both stages to succeeded and asks for a publish', async () => {
    const b = await submit();
    h.fleet.launched.length = 0;
    expect(await h.app.dispatch()).toBe(1);
    const launched = h.fleet.launched[0];
    if (!launched) throw new Error('nothing launched');
    expect(launched.task.task_id).toBe(String(b.id));
    // start: the builder's credential opens a session on exactly its task
    const session = await h.app.builder.session(launched.credential);
    await h.app.builder.started(session);
    expect(await stateOf(b.id)).toBe('running');
    expect(h.events.events.at(-1)).toMatchObject({ type: 'build.started', build_id: b.id });
    // heartbeat: extends the lease, no cancel asked
    h.clock.advance(1_000);
    expect(await h.app.builder.heartbeat(session)).toEqual({ cancel: false });
    expect((await h.ports.builds.getTask(String(b.id)))?.heartbeat_at).toBe(h.clock.now());
    // finish: the SRPM stage makes the RPM task
    await succeedSrpm(h, launched.credential, 'x');
    expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ state: 'finished', outcome: 'succeeded' });
    expect(await h.ports.builds.getTask(rpmTask(b))).toMatchObject({ state: 'pending', chroot: 'fedora-44-x86_64' });
    const credential = await claim(h, rpmTask(b));
    const rpm = await h.app.builder.session(credential);
    await h.app.builder.started(rpm);
    const dir = `${String(b.id).padStart(8, '0')}-x`;
    await h.ports.results.put(`alice/p/fedora-44-x86_64/${dir}/success`, '');
    await h.app.builder.finished(rpm, { status: 'succeeded', results: { packages: [{ name: 'x', epoch: null, version: '1.0', release: '1', arch: 'noarch' }] } });
    expect(await stateOf(b.id)).toBe('succeeded');
    expect(h.published.at(-1)).toEqual({ owner: 'alice', dirname: 'p', chroot: 'fedora-44-x86_64', adds: [dir], devel: false });
    expect(h.events.events.at(-1)).toMatchObject({ type: 'build.finished', build_id: b.id, status: 'succeeded' });
    // A closed task's credential is worthless.
    await expect(h.app.builder.session(credential)).rejects.toThrow(/Invalid or expired builder credential/);
  });

  it('a success without the success file is a failure', async () => {
    const b = await submit();
    const session = await h.app.builder.session(await claim(h, String(b.id)));
    await h.app.builder.started(session);
    await h.app.builder.finished(session, { status: 'succeeded', srpm_filename: 'x-1.0-1.src.rpm', results: { name: 'x', epoch: null, version: '1.0', release: '1' } });
    expect(await stateOf(b.id)).toBe('failed');
    expect((await h.ports.builds.getBuild(b.id))?.fail_reason).toMatch(/no success file/);
  });
});

describe('cancel', () => {
  it('cancels pending work at once and tells a running builder on its next heartbeat', async () => {
    const b = await submit();
    const session = await h.app.builder.session(await claim(h, String(b.id)));
    await h.app.builder.started(session);
    await h.app.builds.cancel(h.alice, b.id);
    expect((await h.ports.builds.listBuildChroots(b.id)).map((c) => c.state)).toEqual(['canceled']);
    expect(await h.app.builder.heartbeat(session)).toEqual({ cancel: true });
    await h.app.builder.finished(session, { status: 'canceled' });
    expect(await stateOf(b.id)).toBe('canceled');
    await expect(h.app.builds.cancel(h.alice, b.id)).rejects.toThrow(/Cannot cancel build/);
  });
});

describe('reap and retry', () => {
  it('requeues a silent task (retry), the dispatcher starts it again, a second silence fails the build', async () => {
    const b = await submit();
    const first = await h.app.builder.session(await claim(h, String(b.id)));
    await h.app.builder.started(first);
    h.clock.advance(HEARTBEAT_MS + 1);
    h.fleet.terminated.length = 0;
    const out = await h.app.reap();
    expect(out.requeued).toEqual([String(b.id)]);
    expect(h.fleet.terminated).toEqual([`b-${b.id}`]);
    expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ state: 'pending', attempts: 1 });
    expect(await stateOf(b.id)).toBe('pending');
    // retry: the task is handed out again and goes silent again
    h.fleet.launched.length = 0;
    expect(await h.app.dispatch()).toBe(1);
    const again = h.fleet.launched[0];
    if (!again) throw new Error('not relaunched');
    await h.app.builder.started(await h.app.builder.session(again.credential));
    h.clock.advance(HEARTBEAT_MS + 1);
    expect((await h.app.reap()).failed).toEqual([String(b.id)]);
    expect(await stateOf(b.id)).toBe('failed');
    expect((await h.ports.builds.getBuild(b.id))?.fail_reason).toBe('The builder stopped responding (2 attempts)');
    expect(await h.ports.builds.getTask(String(b.id))).toMatchObject({ state: 'finished', outcome: 'failed' });
  });
});

describe('resubmit', () => {
  it('makes a new build from the same source and options, overrides winning', async () => {
    const b = await submit(['fedora-44-x86_64', 'epel-10-x86_64']);
    await h.app.builds.cancel(h.alice, b.id);
    const again = await h.app.builds.resubmit(h.alice, b.id, { chroots: ['epel-10-x86_64'] });
    expect(again.id).not.toBe(b.id);
    expect(again).toMatchObject({ source_type: 'link', source_dict: { url: 'https://example.com/x.src.rpm' }, chroots_requested: ['epel-10-x86_64'], submitter: 'alice' });
    expect(await stateOf(again.id)).toBe('pending');
    const same = await h.app.builds.resubmit(h.alice, b.id, {});
    expect(same.chroots_requested).toEqual(b.chroots_requested);
    expect([...(same.chroots_requested ?? [])].sort()).toEqual(['epel-10-x86_64', 'fedora-44-x86_64']);
  });
});
