import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../functions/core/action-ports.js';
import type { BuildChroot } from '../../functions/core/build-model.js';
import { newBuild, newBuildChroot } from '../../functions/core/builds.js';
import type { Package } from '../../functions/core/model.js';
import { projectDefaults } from '../../functions/core/projects.js';
import { DynamoActionStore } from '../../functions/store/dynamo-action-store.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ReadMeter } from '../../functions/store/read-meter.js';
import { buildKeys } from '../../functions/store/table.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Every paginated list of the API served by keyset cursors (issue 14), through the
 * real service on DynamoDB Local: project/list (one owner, all), package/list (by id
 * and by name), project actions, build-chroot/list and build/list?status=. Each walk
 * like copr-cli's (offset += limit until an empty page) gives the same items as the
 * sorted whole list, and the DynamoDB items a page reads (counted by a ReadMeter on
 * the service's own client) are the same at the last page as at the second.
 */
let t: TestService;
let alice: CoprClient;
let meter: ReadMeter;
let store: DynamoStore;
let builds: DynamoBuildStore;
let projectId = 0;

const OWNER = 'alice';
const PROJECT = 'lists';
const CHROOT = 'fedora-44-x86_64';
const PROJECTS = 33;
const PACKAGES = 47;
const ACTIONS = 38;

interface ListPage<T> {
  items: T[];
  meta: { limit: number | null; offset: number; order: string; order_type: string };
}

/** Walks a list as copr-cli does; every page's items and DynamoDB items read. */
async function walk<T>(endpoint: string, query: Record<string, string | number>, limit: number): Promise<{ items: T[]; reads: number[] }> {
  const items: T[] = [];
  const reads: number[] = [];
  for (let offset = 0; ; offset += limit) {
    meter.take();
    const res = await alice.get<ListPage<T>>(endpoint, { ...query, limit, ...(offset ? { offset } : {}) });
    reads.push(meter.take().itemsRead);
    expect(res.status).toBe(200);
    expect(res.body.meta).toMatchObject({ limit, offset });
    if (res.body.items.length === 0) break;
    items.push(...res.body.items);
  }
  return { items, reads };
}

/** The pages' reads do not grow: every full page after the first reads the same, at most `most`. */
function expectFlat(reads: number[], most: number): void {
  const middle = reads.slice(1, -2);
  expect(middle.length).toBeGreaterThan(1);
  expect(new Set(middle).size).toBe(1);
  expect(Math.max(...reads)).toBeLessThanOrEqual(most);
}

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user(OWNER);
  expect((await createProject(alice, OWNER, PROJECT, { chroots: [CHROOT] })).status).toBe(200);
  const cfg = t.service.config;
  const db = documentClient(cfg.DYNAMODB_ENDPOINT);
  meter = new ReadMeter(db);
  store = new DynamoStore(db, cfg.TABLE_NAME);
  builds = new DynamoBuildStore(db, cfg.TABLE_NAME);
  projectId = (await store.getProject(OWNER, PROJECT))?.id ?? 0;
  // Projects of alice and of bob, ids interleaved (the owner index is by id, not name).
  await store.importProjects(
    Array.from({ length: PROJECTS }, (_, i) => ({
      ...projectDefaults(i % 3 === 0 ? 'bob' : OWNER, `p-${String(PROJECTS - i).padStart(3, '0')}`, 1_800_000_000, 1000 + i),
      // Search words: every project has `common`, every other one also `rare`.
      description: i % 2 === 0 ? 'common rare' : 'common',
    })),
  );
  // Package names sort differently from their ids.
  for (let i = 0; i < PACKAGES; i++) {
    const pkg: Package = {
      id: 500 + i,
      name: `pkg-${String((i * 17) % PACKAGES).padStart(3, '0')}`,
      ownername: OWNER,
      projectname: PROJECT,
      source_type: 'unset',
      source_dict: {},
      auto_rebuild: false,
      max_builds: null,
      timeout: null,
      chroot_denylist: [],
    };
    await store.createPackage(pkg);
  }
  const actions = new DynamoActionStore(db, cfg.TABLE_NAME);
  for (let i = 0; i < ACTIONS; i++) {
    const a: Action = {
      id: 7000 + i,
      ownername: OWNER,
      projectname: PROJECT,
      data: { kind: 'createrepo', chroots: [CHROOT] },
      state: 'succeeded',
      attempts: 1,
      created_on: 1_800_000_000 + i,
      started_on: null,
      ended_on: null,
      due_at: null,
      error: null,
      result: null,
    };
    await actions.createAction(a);
  }
}, 300_000);
afterAll(() => t.stop());

describe('keyset pages of every list endpoint', { timeout: 300_000 }, () => {
  it('project/list of one owner and of everyone, in both orders', async () => {
    for (const ownername of [OWNER, undefined]) {
      const all = ownername ? await store.listProjectsByOwner(ownername) : await store.listAllProjects();
      for (const order_type of ['ASC', 'DESC'] as const) {
        const want = all.map((p) => p.id).sort((a, b) => (order_type === 'DESC' ? b - a : a - b));
        const got = await walk<{ id: number; full_name: string }>('project/list', { ...(ownername ? { ownername } : {}), order_type }, 4);
        expect(got.items.map((p) => p.id)).toEqual(want);
        // Per page: the list generation, the cursor, 4 projects and each one's chroots (none here).
        expectFlat(got.reads, 4 + 3);
        // Without a limit: the same list, the same objects.
        const whole = await alice.get<ListPage<{ id: number }>>('project/list', { ...(ownername ? { ownername } : {}), order_type });
        expect(whole.body.items).toEqual(got.items);
      }
    }
  });

  it('project/search by one word and by several, in both orders', async () => {
    for (const query of ['common', 'rare alice', 'alice common rare']) {
      for (const order_type of ['ASC', 'DESC'] as const) {
        // Without a limit every hit is read and sorted in memory: the reference answer.
        const whole = await alice.get<ListPage<{ id: number; full_name: string }>>('project/search', { query, order_type });
        expect(whole.body.items.length).toBeGreaterThan(8);
        const got = await walk<{ id: number }>('project/search', { query, order_type }, 4);
        expect(got.items).toEqual(whole.body.items);
        if (query === 'common') {
          // One word: the generation, the cursor, 4 entries, 4 project rows and their chroots (none).
          expectFlat(got.reads, 2 + 4 + 4);
        }
      }
    }
  });

  it('package/list by id and by name as the in-memory pages answered', async () => {
    const base = { ownername: OWNER, projectname: PROJECT, with_latest_build: 'False', with_latest_succeeded_build: 'False' };
    for (const order of ['id', 'name'] as const) {
      for (const order_type of ['ASC', 'DESC'] as const) {
        const got = await walk<{ id: number; name: string }>('package/list', { ...base, order, order_type }, 5);
        // No limit still sorts the whole partition in memory: the reference answer.
        const whole = await alice.get<ListPage<{ id: number; name: string }>>('package/list', { ...base, order, order_type });
        expect(whole.body.items).toHaveLength(PACKAGES);
        expect(got.items).toEqual(whole.body.items);
        // Per page: the project and its chroots (loadProject), the generation, the cursor, 5 packages.
        expectFlat(got.reads, 5 + 5);
      }
    }
    // A deleted package shifts the pages after it (its cursors are dropped).
    const before = await alice.get<ListPage<{ name: string }>>('package/list', { ...base, limit: 5, offset: 30 });
    const victim = before.body.items[0]?.name ?? '';
    await store.deletePackage(OWNER, PROJECT, victim);
    const after = await alice.get<ListPage<{ name: string }>>('package/list', { ...base, limit: 5, offset: 30 });
    const whole = await alice.get<ListPage<{ name: string }>>('package/list', { ...base });
    expect(after.body.items).toEqual(whole.body.items.slice(30, 35));
    expect(after.body.items.map((p) => p.name)).not.toContain(victim);
    // A new package sorts by name before the pages already served: their cursors are dropped too.
    const byName = { ...base, order: 'name', limit: 5, offset: 30 };
    expect((await alice.get('package/list', byName)).status).toBe(200);
    await store.createPackage({
      id: 999, name: 'aaa-first', ownername: OWNER, projectname: PROJECT, source_type: 'unset', source_dict: {},
      auto_rebuild: false, max_builds: null, timeout: null, chroot_denylist: [],
    });
    const shifted = await alice.get<ListPage<{ name: string }>>('package/list', byName);
    const wholeByName = await alice.get<ListPage<{ name: string }>>('package/list', { ...base, order: 'name' });
    expect(wholeByName.body.items[0]?.name).toBe('aaa-first');
    expect(shifted.body.items).toEqual(wholeByName.body.items.slice(30, 35));
  });

  it('project actions by id', async () => {
    for (const order_type of ['ASC', 'DESC'] as const) {
      const got = await walk<{ id: number }>(`project/actions/${OWNER}/${PROJECT}`, { order_type }, 6);
      const want = Array.from({ length: ACTIONS }, (_, i) => 7000 + i).sort((a, b) => (order_type === 'DESC' ? b - a : a - b));
      expect(got.items.map((a) => a.id)).toEqual(want);
      // Per page: the cursor and 6 actions (actions are never deleted: no generation item).
      expectFlat(got.reads, 6 + 2);
      // Another column still sorts in memory, and agrees.
      const byCreated = await alice.get<ListPage<{ id: number }>>(`project/actions/${OWNER}/${PROJECT}`, { order: 'created_on', order_type });
      expect(byCreated.body.items).toEqual(got.items);
    }
  });

  it('build-chroot/list reads the build and the page of chroots only', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `fedora-${30 + i}-x86_64`);
    const id = 90_000;
    await builds.seedBuilds([{ build: newBuild(id, OWNER, PROJECT, { source_status: 'succeeded' }), chroots: names.map((n) => newBuildChroot(id, n, 'succeeded')) }]);
    for (const order_type of ['ASC', 'DESC'] as const) {
      const got = await walk<{ name: string; state: string }>('build-chroot/list', { build_id: id, order_type }, 3);
      expect(got.items.map((c) => c.name)).toEqual(order_type === 'ASC' ? names : [...names].reverse());
      // Per page: the build item (it names its chroots) and the 3 chroots of the page.
      expectFlat(got.reads, 1 + 3);
      const whole = await alice.get<ListPage<{ name: string }>>('build-chroot/list', { build_id: id, order_type });
      expect(whole.body.items).toEqual(got.items);
    }
  });

  it('chroots added after the SRPM stage join the summary once; a repeated report resets nothing', async () => {
    const id = 95_000;
    await builds.seedBuilds([{ build: newBuild(id, OWNER, 'summary-only', { source_status: 'succeeded' }), chroots: [] }]);
    expect((await createProject(alice, OWNER, 'summary-only', { chroots: [CHROOT] })).status).toBe(200);
    await builds.createBuildChroots([newBuildChroot(id, CHROOT, 'waiting')]);
    expect(await builds.chrootQueued(id, CHROOT, `${id}-x`)).toBe(true);
    // The SRPM stage reports again, with one chroot more.
    await builds.createBuildChroots([newBuildChroot(id, CHROOT, 'waiting'), newBuildChroot(id, 'fedora-43-x86_64', 'waiting')]);
    expect((await builds.getBuild(id))?.chroot_summary).toEqual({
      [CHROOT]: { state: 'pending', started_on: null, ended_on: null },
      'fedora-43-x86_64': { state: 'waiting', started_on: null, ended_on: null },
    });
    const listed = await alice.get<ListPage<unknown>>('build/list', { ownername: OWNER, projectname: 'summary-only', limit: 5 });
    expect(listed.body.items).toEqual([(await alice.get(`build/${id}`)).body]);
  });

  it('chroots of one build moving at once all reach the summary', async () => {
    const id = 96_000;
    const names = Array.from({ length: 12 }, (_, i) => `fedora-${30 + i}-x86_64`);
    await builds.seedBuilds([{ build: newBuild(id, OWNER, PROJECT, { source_status: 'succeeded' }), chroots: names.map((n) => newBuildChroot(id, n, 'waiting')) }]);
    // Each transition also writes the build item: concurrent ones conflict there and are retried.
    expect(await Promise.all(names.map((n) => builds.chrootQueued(id, n, `${id}-c`)))).toEqual(names.map(() => true));
    const summary = (await builds.getBuild(id))?.chroot_summary ?? {};
    expect(Object.keys(summary).sort()).toEqual(names);
    expect(Object.values(summary).every((c) => c.state === 'pending')).toBe(true);
  });

  it('build/list?status= and every page answer as the build itself, through chroot transitions', async () => {
    // 40 builds of two chroots, moved by the store's own transitions into mixed states.
    const ids = Array.from({ length: 40 }, (_, i) => 60_000 + i);
    await builds.seedBuilds(
      ids.map((id) => ({
        build: newBuild(id, OWNER, PROJECT, { package_name: 'mixed', source_status: 'succeeded', submitted_on: 1_800_000_000 + id }),
        chroots: [newBuildChroot(id, CHROOT, 'waiting'), newBuildChroot(id, 'fedora-43-x86_64', 'waiting')],
      })),
    );
    const refused: boolean[] = [];
    for (const [i, id] of ids.entries()) {
      if (i % 5 === 0) continue; // stays waiting (pending overall)
      expect(await builds.chrootQueued(id, CHROOT, `${id}-mixed`)).toBe(true);
      if (i % 5 === 1) continue; // pending
      expect(await builds.chrootStarted(id, CHROOT, { startedOn: 1_800_000_100 + i, resultDir: `${id}-mixed` })).toBe(true);
      if (i % 5 === 2) continue; // running
      const state: BuildChroot['state'] = i % 5 === 3 ? 'succeeded' : 'failed';
      expect(await builds.chrootFinished(id, CHROOT, { state, endedOn: 1_800_000_200 + i, failReason: null, packages: [], resultDir: `${id}-mixed` })).toBe(true);
      expect(await builds.chrootEndedUnbuilt(id, 'fedora-43-x86_64', { state: 'skipped', endedOn: 1_800_000_300 + i })).toBe(true);
      // A transition from the wrong state is refused, and the summary does not show it.
      refused.push(await builds.chrootStarted(id, CHROOT, { startedOn: 1, resultDir: 'x' }));
    }
    expect(refused.every((r) => !r)).toBe(true);
    // One build stored before summaries existed: its transitions still work, and lists read its chroots.
    const legacy = ids[7] ?? 0;
    await meter.db.send(new UpdateCommand({ TableName: t.service.config.TABLE_NAME, Key: buildKeys.build(legacy), UpdateExpression: 'REMOVE chroot_summary' }));
    expect(await builds.chrootFinished(legacy, CHROOT, { state: 'succeeded', endedOn: 1_800_000_500, failReason: null, packages: [], resultDir: `${legacy}-mixed` })).toBe(true);
    expect(await builds.chrootFinished(legacy, CHROOT, { state: 'failed', endedOn: 1, failReason: null, packages: [], resultDir: 'x' })).toBe(false);
    expect((await builds.getBuild(legacy))?.chroot_summary).toBeUndefined();

    // The reference: each build as GET /build/{id} answers it (from its build chroot items).
    const single = new Map<number, unknown>();
    for (const id of ids) single.set(id, (await alice.get(`build/${id}`)).body);
    const states = new Map(ids.map((id) => [id, (single.get(id) as { state: string }).state]));
    expect(new Set(states.values())).toEqual(new Set(['pending', 'running', 'succeeded', 'failed']));

    const q = { ownername: OWNER, projectname: PROJECT, packagename: 'mixed' };
    const every = await walk<{ id: number }>('build/list', q, 6);
    expect(every.items).toEqual(ids.map((id) => single.get(id)));
    for (const status of ['pending', 'running', 'succeeded', 'failed']) {
      for (const order_type of ['ASC', 'DESC'] as const) {
        const want = ids.filter((id) => states.get(id) === status).sort((a, b) => (order_type === 'DESC' ? b - a : a - b));
        const got = await walk<{ id: number }>('build/list', { ...q, status, order_type }, 3);
        expect(got.items).toEqual(want.map((id) => single.get(id)));
        // Without a limit, and by the in-memory path (another order column): the same.
        const whole = await alice.get<ListPage<{ id: number }>>('build/list', { ...q, status, order_type });
        expect(whole.body.items).toEqual(got.items);
        const bySubmit = await alice.get<ListPage<{ id: number }>>('build/list', { ...q, status, order_type, order: 'submitted_on' });
        expect(bySubmit.body.items).toEqual(got.items);
      }
    }
  });
});
