import { performance } from 'node:perf_hooks';
import { newBuild, newBuildChroot } from '../functions/core/builds.js';
import { documentClient } from '../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../functions/store/dynamo-build-store.js';
import { ReadMeter, type ReadCounts } from '../functions/store/read-meter.js';
import { createProjectBody } from '../test/support/copr-client.js';
import { inParallel, ms, skipped, type BenchPart, type Cell, type PartResult } from './harness.js';
import { startBenchStack } from './local-stack.js';

/**
 * `build/list` of a 50,000-build project through the real service (HTTP, router,
 * DynamoDB Local), with every DynamoDB read of the service counted by a ReadMeter on
 * its client. The builds are seeded straight into the table by batch writes (a
 * submission per build would take many minutes and measures nothing here).
 *
 * - copr-cli's walk: limit=1000 from offset 0 until an empty page, as `copr-cli
 *   list-builds` sends it; the table shows chosen pages and the spread over all.
 * - jumps: limit=100 at offsets nobody paged to, first (the index walk to the offset
 *   is paid) and second time (served from the recorded cursor).
 * - the in-memory path for comparison: `order=submitted_on` still reads the whole
 *   project and sorts it, as every page did before keyset pages (now without the
 *   build chroots: the build items carry their summary).
 * - the monitor (500 packages) and the rpmrepo JSON of the same project.
 */
const BUILDS = 50_000;
const OWNER = 'pager';
const PROJECT = 'big';
const CHROOT = 'fedora-44-x86_64';

interface Sample {
  ms: number;
  items: number;
  reads: ReadCounts;
}

export const buildListPart: BenchPart = {
  name: 'build-list',
  title: `build/list pages of a ${BUILDS.toLocaleString('en')}-build project (keyset cursors)`,
  async run(): Promise<PartResult> {
    const stack = await startBenchStack();
    try {
      const user = await stack.user(OWNER);
      const created = await user.send('POST', `project/add/${OWNER}`, { json: createProjectBody(PROJECT, { chroots: [CHROOT] }) });
      if (created.status !== 200) return skipped(`project/add answered ${created.status}`);
      const db = documentClient(stack.endpoint);
      const store = new DynamoBuildStore(db, stack.tableName);

      const seedStart = performance.now();
      const ids = Array.from({ length: BUILDS }, (_, i) => 1000 + i);
      const chunks = Array.from({ length: BUILDS / 500 }, (_, i) => ids.slice(i * 500, (i + 1) * 500));
      await inParallel(chunks, 4, (chunk) =>
        store.seedBuilds(
          chunk.map((id) => ({
            build: newBuild(id, OWNER, PROJECT, {
              package_name: `pkg-${id % 500}`,
              pkg_version: '1.0-1',
              source_status: 'succeeded',
              submitted_on: 1_700_000_000 + id,
              source_type: 'link',
              source_dict: { url: `https://example.org/pkg-${id % 500}-1.0-1.src.rpm` },
            }),
            chroots: [{ ...newBuildChroot(id, CHROOT, 'succeeded'), result_dir: `${String(id).padStart(8, '0')}-pkg-${id % 500}` }],
          })),
        ),
      );
      // The packages the SRPM stage would have recorded (the monitor lists packages of the project).
      const store0 = stack.service.ctx.store;
      await inParallel(Array.from({ length: 500 }, (_, i) => i), 4, async (i) => {
        await store0.createPackage({
          id: 1 + i,
          name: `pkg-${i}`,
          ownername: OWNER,
          projectname: PROJECT,
          source_type: 'link',
          source_dict: { url: `https://example.org/pkg-${i}-1.0-1.src.rpm` },
          auto_rebuild: false,
          max_builds: null,
          timeout: null,
          chroot_denylist: [],
        });
      });
      const seedMs = performance.now() - seedStart;

      const meter = new ReadMeter(db);
      const get = async (query: Record<string, string | number>): Promise<Sample> => {
        meter.take();
        const t0 = performance.now();
        const res = await user.get<{ items: unknown[] }>('build/list', { ownername: OWNER, projectname: PROJECT, ...query });
        const took = performance.now() - t0;
        if (res.status !== 200) throw new Error(`build/list ${JSON.stringify(query)} answered ${res.status}`);
        return { ms: took, items: res.body.items.length, reads: meter.take() };
      };
      const row = (label: string, s: Sample): Cell[] => [label, s.items, ms(s.ms), s.reads.calls, s.reads.itemsRead, s.reads.readUnits.toFixed(1)];
      const head = ['page', 'builds', 'latency ms', 'DynamoDB calls', 'items read', 'read units'];

      // copr-cli list-builds: limit=1000, offsets 0, 1000, ... until an empty page.
      const walk: Array<{ offset: number; s: Sample }> = [];
      for (let offset = 0; ; offset += 1000) {
        const s = await get({ limit: 1000, ...(offset ? { offset } : {}) });
        walk.push({ offset, s });
        if (s.items === 0) break;
      }
      const full = walk.filter((w) => w.s.items === 1000);
      const spread = (f: (s: Sample) => number) => `${Math.min(...full.map((w) => f(w.s)))}–${Math.max(...full.map((w) => f(w.s)))}`;
      const walkRows = [0, 10_000, 25_000, 49_000, 50_000].flatMap((o) => {
        const w = walk.find((x) => x.offset === o);
        return w ? [row(`offset ${o.toLocaleString('en')}`, w.s)] : [];
      });
      walkRows.push([`all ${full.length} full pages`, 1000, `${ms(Math.min(...full.map((w) => w.s.ms)))}–${ms(Math.max(...full.map((w) => w.s.ms)))}`, spread((s) => s.reads.calls), spread((s) => s.reads.itemsRead), spread((s) => Math.round(s.reads.readUnits))]);

      // Jumps to offsets never paged to (limit 100: its own cursors), then the same again.
      const jumpRows: Cell[][] = [];
      for (const offset of [0, 10_000, 25_000, 49_900]) {
        const q = { limit: 100, order_type: 'DESC', ...(offset ? { offset } : {}) };
        jumpRows.push(row(`DESC offset ${offset.toLocaleString('en')}, first`, await get(q)));
        jumpRows.push(row(`DESC offset ${offset.toLocaleString('en')}, again`, await get(q)));
      }

      // Before keyset pages every page read the whole project; order=submitted_on still does
      // (the same cost at every offset, so one page shows it).
      const memRows: Cell[][] = [row('order=submitted_on, offset 25,000', await get({ limit: 1000, order: 'submitted_on', offset: 25_000 }))];

      // The other reads of a big project: the monitor (500 packages, every one built in the newest 500 builds) and rpmrepo.
      const timed = async (label: string, endpoint: string, query: Record<string, string>, count: (body: Record<string, unknown>) => number): Promise<Cell[]> => {
        meter.take();
        const t0 = performance.now();
        const res = await user.get(endpoint, query);
        const took = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${endpoint} answered ${res.status}`);
        return row(label, { ms: took, items: count(res.body), reads: meter.take() });
      };
      const otherRows = [
        await timed('monitor (packages shown)', 'monitor', { ownername: OWNER, projectname: PROJECT }, (b) => (b.packages as unknown[]).length),
        await timed('rpmrepo fedora-44 (directories)', `rpmrepo/${OWNER}/${PROJECT}/fedora-44`, {}, (b) => Object.keys(b.directories as object).length),
      ];

      const notes = [
        `${BUILDS.toLocaleString('en')} builds with one build chroot each, seeded by batch writes in ${(seedMs / 1000).toFixed(1)} s; pages are full build objects, built from the build items alone (each carries its chroots' summary: no build chroot is read).`,
        'items read = DynamoDB ScannedCount of every Query plus found GetItems, counted on the service\'s client; read units as DynamoDB Local reports them (ReturnConsumedCapacity=TOTAL).',
      ];
      return {
        tables: [
          { title: 'copr-cli list-builds walk (limit=1000, offset += 1000 until empty)', head, rows: walkRows, notes },
          { title: 'jumps to unseen offsets (limit=100, newest first): walk once, then a cursor', head, rows: jumpRows },
          { title: 'the in-memory path, for comparison (order=submitted_on reads and sorts the whole project)', head, rows: memRows },
          { title: 'monitor and rpmrepo of the same project', head: ['request', 'entries', 'latency ms', 'DynamoDB calls', 'items read', 'read units'], rows: otherRows },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
