import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBuild, newBuildChroot } from '../../functions/core/builds.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ReadMeter } from '../../functions/store/read-meter.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * `GET /api_3/build/list` served by keyset pages (issue 14), through the real service:
 * the same answers as slicing the sorted project, both orders, per package, deep
 * offsets and after a deletion, and the DynamoDB items a page reads (counted on the
 * service's own client) do not grow with the offset.
 */
let t: TestService;
let alice: CoprClient;
let meter: ReadMeter;
const COUNT = 60;
const CHROOT = 'fedora-44-x86_64';
let ids: number[] = [];

interface Page {
  items: Array<{ id: number; source_package: { name: string | null }; state: string }>;
  meta: { limit: number | null; offset: number; order: string; order_type: string };
}

const list = (query: Record<string, string | number>) => alice.get<Page>('build/list', { ownername: 'alice', projectname: 'many', ...query });
const pkgOf = (i: number) => (i % 4 === 0 ? 'odd' : 'main');

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'many', { chroots: [CHROOT] })).status).toBe(200);
  const cfg = t.service.config;
  const db = documentClient(cfg.DYNAMODB_ENDPOINT);
  meter = new ReadMeter(db);
  const store = new DynamoBuildStore(db, cfg.TABLE_NAME);
  // Seeded like finished builds (deletable), ids far above the project's own counter.
  ids = Array.from({ length: COUNT }, (_, i) => 5000 + i * 2);
  await store.seedBuilds(
    ids.map((id, i) => ({
      build: newBuild(id, 'alice', 'many', { package_name: pkgOf(i), pkg_version: '1-1', source_status: 'succeeded', submitted_on: 1_700_000_000 + i }),
      chroots: [newBuildChroot(id, CHROOT, 'succeeded')],
    })),
  );
});
afterAll(() => t.stop());

describe('build/list pages', { timeout: 120_000 }, () => {
  it('walks every page like copr-cli, in both orders and per package, as the sorted list', async () => {
    for (const order_type of ['ASC', 'DESC'] as const) {
      for (const packagename of [undefined, 'odd']) {
        const want = ids
          .filter((_, i) => packagename === undefined || pkgOf(i) === packagename)
          .sort((a, b) => (order_type === 'DESC' ? b - a : a - b));
        const got: number[] = [];
        for (let offset = 0; ; offset += 7) {
          const res = await list({ limit: 7, order_type, ...(offset ? { offset } : {}), ...(packagename ? { packagename } : {}) });
          expect(res.status).toBe(200);
          expect(res.body.meta).toEqual({ limit: 7, offset, order: 'id', order_type });
          if (res.body.items.length === 0) break;
          got.push(...res.body.items.map((b) => b.id));
        }
        expect(got).toEqual(want);
      }
    }
    // The in-memory path (another order column) agrees with the keyset one.
    const bySubmit = await list({ limit: 5, offset: 40, order: 'submitted_on', order_type: 'DESC' });
    const byId = await list({ limit: 5, offset: 40, order_type: 'DESC' });
    expect(bySubmit.body.items.map((b) => b.id)).toEqual(byId.body.items.map((b) => b.id));
  });

  it('jumps to a deep offset, and answers the shifted list after a build is deleted', async () => {
    const deep = await list({ limit: 3, offset: 55 });
    expect(deep.body.items.map((b) => b.id)).toEqual(ids.slice(55, 58));
    expect(deep.body.items[0]).toMatchObject({ source_package: { name: pkgOf(55) }, state: 'succeeded' });
    expect((await list({ limit: 3, offset: 55 })).body.items.map((b) => b.id)).toEqual(ids.slice(55, 58));
    const victim = ids[10] ?? 0;
    expect((await alice.send('DELETE', `build/delete/${victim}`)).status).toBe(200);
    const rest = ids.filter((id) => id !== victim);
    expect((await list({ limit: 3, offset: 55 })).body.items.map((b) => b.id)).toEqual(rest.slice(55, 58));
    expect((await list({ limit: 3, offset: 56, order_type: 'DESC' })).body.items.map((b) => b.id)).toEqual([...rest].reverse().slice(56, 59));
    expect((await list({ limit: 10, offset: 500 })).body.items).toEqual([]);
  });

  it('reads as many items for the last page as for the second', async () => {
    const reads: number[] = [];
    for (let offset = 0; offset < COUNT; offset += 10) {
      meter.take();
      const res = await list({ limit: 10, ...(offset ? { offset } : {}), order_type: 'ASC' });
      expect(res.status).toBe(200);
      reads.push(meter.take().itemsRead);
    }
    // Per page: the project and its chroots (loadProject), the list generation and the
    // cursor, and 10 build items, which carry their chroots' summary (no build chroot is
    // read); the same at every offset after 0.
    expect(new Set(reads.slice(1, -1)).size).toBe(1);
    expect(Math.max(...reads)).toBeLessThanOrEqual(10 + 6);
  });

  it('monitor reads the newest builds until every package shows every chroot, not the whole history', async () => {
    expect((await createProject(alice, 'alice', 'mon', { chroots: [CHROOT] })).status).toBe(200);
    const cfg = t.service.config;
    const store = new DynamoBuildStore(documentClient(cfg.DYNAMODB_ENDPOINT), cfg.TABLE_NAME);
    for (const [i, name] of ['one', 'two'].entries()) {
      await t.service.ctx.store.createPackage({
        id: 900 + i, name, ownername: 'alice', projectname: 'mon', source_type: 'unset', source_dict: {},
        auto_rebuild: false, max_builds: null, timeout: null, chroot_denylist: [],
      });
    }
    // 600 builds alternating between the two packages; the newest two settle the monitor.
    const monIds = Array.from({ length: 600 }, (_, i) => 20_000 + i);
    await store.seedBuilds(
      monIds.map((id, i) => ({
        build: newBuild(id, 'alice', 'mon', { package_name: i % 2 === 0 ? 'one' : 'two', pkg_version: `${i}-1`, source_status: 'succeeded' }),
        chroots: [newBuildChroot(id, CHROOT, i === 599 ? 'failed' : 'succeeded')],
      })),
    );
    meter.take();
    const res = await alice.get<{ packages: Array<{ name: string; chroots: Record<string, { build_id: number; state: string }> }> }>('monitor', { ownername: 'alice', projectname: 'mon' });
    const reads = meter.take();
    expect(res.status).toBe(200);
    expect(res.body.packages.map((p) => [p.name, p.chroots[CHROOT]?.build_id, p.chroots[CHROOT]?.state])).toEqual([
      ['one', 20_598, 'succeeded'],
      ['two', 20_599, 'failed'],
    ]);
    // One chunk of the index (200 builds) and the chroots of 2 builds, not 600 + 600.
    expect(reads.itemsRead).toBeLessThan(220);
  });
});
