import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFinished } from '../../functions/core/build-model.js';
import { buildState } from '../../functions/core/build-state.js';
import { claim, coreHarness, crashingAt, succeedSrpm, type CoreHarness } from './app-support.js';

/**
 * The reaper crashes between every pair of its writes: for N = 1, 2, ... the N-th
 * store write of a reaper pass throws (the process died there), then the next pass
 * runs with a healthy store. Whatever N was, the build ends in a final state and the
 * task is closed: nothing is left `running` for ever.
 */
let h: CoreHarness;
const HEARTBEAT_MS = 60_000;

beforeAll(async () => {
  h = await coreHarness({ settings: { reaper: { heartbeatTimeoutMs: HEARTBEAT_MS, maxAttempts: 1 } } });
});
afterAll(() => h.close());

/** A build whose task of `stage` has a builder that went silent. */
async function silentTask(stage: 'srpm' | 'rpm' | 'rpm-reported'): Promise<{ buildId: number; taskId: string }> {
  const checked = await h.app.builds.check(h.alice, 'alice', 'p', { chroots: ['fedora-44-x86_64'] });
  const build = await h.app.builds.submit(checked, { source_type: 'link', source_dict: { url: 'https://example.com/x.src.rpm' } });
  const srpmCredential = await claim(h, String(build.id));
  if (stage === 'srpm') {
    await h.app.builder.started(await h.app.builder.session(srpmCredential));
    return { buildId: build.id, taskId: String(build.id) };
  }
  await succeedSrpm(h, srpmCredential, 'x');
  const taskId = `${build.id}-fedora-44-x86_64`;
  const credential = await claim(h, taskId);
  const session = await h.app.builder.session(credential);
  await h.app.builder.started(session);
  if (stage === 'rpm-reported') {
    // The report got as far as the chroot's final state, then that process died.
    await h.ports.builds.chrootFinished(build.id, 'fedora-44-x86_64', { state: 'failed', endedOn: 1, failReason: 'boom', packages: [], resultDir: `${String(build.id).padStart(8, '0')}-x` });
  }
  return { buildId: build.id, taskId };
}

async function finalState(buildId: number): Promise<ReturnType<typeof buildState>> {
  const build = await h.ports.builds.getBuild(buildId);
  if (!build) throw new Error(`build ${buildId} vanished`);
  return buildState(build, await h.ports.builds.listBuildChroots(buildId));
}

describe.each(['srpm', 'rpm', 'rpm-reported'] as const)('a reaper crash at every write (%s task)', (stage) => {
  it('leaves a build that the next reaper pass brings to a final state', async () => {
    let crashes = 0;
    for (let failAt = 1; ; failAt++) {
      const { buildId, taskId } = await silentTask(stage);
      h.clock.advance(HEARTBEAT_MS + 1);
      const counter = { writes: 0, failAt };
      const crashing = h.withPorts({ builds: crashingAt(h.ports.builds, counter), store: crashingAt(h.ports.store, counter) });
      const crashed = await crashing.reap().then(
        () => false,
        (err: unknown) => {
          expect((err as Error).message).toMatch(new RegExp(`^crash at write ${failAt} `));
          return true;
        },
      );
      await h.app.reap();
      const state = await finalState(buildId);
      expect(isFinished(state), `crash at write ${failAt}: build ${buildId} is ${state}`).toBe(true);
      expect((await h.ports.builds.getTask(taskId))?.state, `crash at write ${failAt}`).toBe('finished');
      // Other silent tasks from earlier rounds are all closed, so a pass only sees this one.
      expect(await h.ports.builds.listActiveTasks()).toEqual([]);
      if (!crashed) break; // the pass got through all its writes: every crash point was tried
      crashes++;
    }
    expect(crashes).toBeGreaterThan(0);
  });
});
