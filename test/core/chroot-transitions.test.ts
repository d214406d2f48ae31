import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BuildChroot } from '../../functions/core/build-model.js';
import type { ChrootOutcome } from '../../functions/core/build-ports.js';
import { newBuild, newBuildChroot } from '../../functions/core/builds.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/**
 * The build chroot's state machine as the store enforces it (DynamoDB Local): each
 * transition is a conditional write from its allowed states, and from any other it
 * returns false and writes nothing.
 */
let builds: DynamoBuildStore;
let nextId = 1;
const C = 'fedora-44-x86_64';
const done = (state: ChrootOutcome['state']): ChrootOutcome => ({ state, endedOn: 20, failReason: state === 'failed' ? 'boom' : null, packages: [], resultDir: 'd' });

/** A build chroot in `state`, as the row is written (bypassing the transitions). */
async function chrootIn(state: BuildChroot['state']): Promise<number> {
  const id = nextId++;
  await builds.createBuild(newBuild(id, 'alice', 'p'), [newBuildChroot(id, C, state)], [], null);
  return id;
}

const read = async (id: number) => builds.getBuildChroot(id, C);

beforeAll(async () => {
  const db = documentClient(process.env.DYNAMODB_ENDPOINT);
  const table = `chroots-${randomUUID()}`;
  await ensureTable(db, table);
  builds = new DynamoBuildStore(db, table);
});

describe('build chroot transitions', () => {
  it('walks waiting → pending → running → pending (requeued) → running → succeeded', async () => {
    const id = await chrootIn('waiting');
    expect(await builds.chrootQueued(id, C, 'd')).toBe(true);
    expect(await read(id)).toMatchObject({ state: 'pending', result_dir: 'd' });
    expect(await builds.chrootStarted(id, C, { startedOn: 10, resultDir: 'd' })).toBe(true);
    expect(await read(id)).toMatchObject({ state: 'running', started_on: 10 });
    expect(await builds.chrootRequeued(id, C)).toBe(true);
    expect((await read(id))?.state).toBe('pending');
    expect(await builds.chrootStarted(id, C, { startedOn: 10, resultDir: 'd' })).toBe(true);
    const pkg = { name: 'x', epoch: null, version: '1', release: '1', arch: 'noarch' };
    expect(await builds.chrootFinished(id, C, { ...done('succeeded'), packages: [pkg] })).toBe(true);
    expect(await read(id)).toMatchObject({ state: 'succeeded', ended_on: 20, fail_reason: null, packages: [pkg], result_dir: 'd' });
  });

  it('refuses every transition from a state it does not start from, and writes nothing', async () => {
    const refused: Array<[BuildChroot['state'], (id: number) => Promise<boolean>]> = [
      ['pending', (id) => builds.chrootQueued(id, C, 'd')],
      ['running', (id) => builds.chrootQueued(id, C, 'd')],
      ['waiting', (id) => builds.chrootStarted(id, C, { startedOn: 1, resultDir: 'd' })],
      ['waiting', (id) => builds.chrootRequeued(id, C)],
      ['waiting', (id) => builds.chrootFinished(id, C, done('succeeded'))],
      ['running', (id) => builds.chrootEndedUnbuilt(id, C, { state: 'canceled', endedOn: 1 })],
    ];
    for (const final of ['succeeded', 'failed', 'canceled', 'skipped', 'forked'] as const) {
      refused.push(
        [final, (id) => builds.chrootQueued(id, C, 'd')],
        [final, (id) => builds.chrootStarted(id, C, { startedOn: 1, resultDir: 'd' })],
        [final, (id) => builds.chrootRequeued(id, C)],
        [final, (id) => builds.chrootFinished(id, C, done('failed'))],
        [final, (id) => builds.chrootEndedUnbuilt(id, C, { state: 'canceled', endedOn: 1 })],
      );
    }
    for (const [state, move] of refused) {
      const id = await chrootIn(state);
      const before = await read(id);
      expect(await move(id), `${move.toString()} from ${state}`).toBe(false);
      expect(await read(id)).toEqual(before);
    }
    // A chroot that does not exist is not created by a transition.
    expect(await builds.chrootStarted(999_999, C, { startedOn: 1, resultDir: 'd' })).toBe(false);
    expect(await builds.getBuildChroot(999_999, C)).toBeNull();
  });

  it('ends unbuilt chroots from waiting or pending; the reason is written only when given', async () => {
    const skipped = await chrootIn('waiting');
    expect(await builds.chrootEndedUnbuilt(skipped, C, { state: 'skipped', endedOn: 5, failReason: 'ExcludeArch excludes x86_64' })).toBe(true);
    expect(await read(skipped)).toMatchObject({ state: 'skipped', ended_on: 5, fail_reason: 'ExcludeArch excludes x86_64' });
    const canceled = await chrootIn('pending');
    expect(await builds.chrootEndedUnbuilt(canceled, C, { state: 'canceled', endedOn: 6 })).toBe(true);
    expect(await read(canceled)).toMatchObject({ state: 'canceled', ended_on: 6, fail_reason: null });
  });
});
