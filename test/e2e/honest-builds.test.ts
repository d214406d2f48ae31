import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { makeSrpm, removeDir, tempDir } from '../builder/helpers.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Honest local builds through the whole service: a compiled package is built for the
 * host's arch and refused for another one (nothing published there), and a package's
 * BuildRequires on another package of the same project comes from the project's
 * repository as the service publishes it.
 */
let t: TestService;
let alice: CoprClient;
let sys: LocalBuildSystem;
let work: string;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type BuildView = { id: number; state: string };
type ChrootView = { name: string; state: string; result_url: string | null };

const FINISHED = ['succeeded', 'failed', 'canceled', 'skipped'];
const finished = (id: number) =>
  waitFor(`build ${id} to finish`, async () => {
    const b = (await t.anon.get<BuildView>(`build/${id}`)).body;
    return FINISHED.includes(b.state) ? b : null;
  });

const buildOpts = { ownername: 'alice', projectname: 'honest', project_dirname: 'honest', timeout: null, chroots: null, background: false, isolation: 'unchanged' };

async function upload(spec: string, sources: string[] = []): Promise<number> {
  const srpm = makeSrpm(spec, work, sources);
  const res = await alice.send<BuildView>('POST', 'build/create/upload', {
    raw: multipart([{ field: 'pkgs', filename: srpm.split('/').pop() ?? 'x.src.rpm', contentType: 'application/x-rpm', data: readFileSync(srpm) }], buildOpts),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

async function chrootsOf(id: number): Promise<ChrootView[]> {
  return (await t.anon.get<{ items: ChrootView[] }>('build-chroot/list', { build_id: id })).body.items;
}

/** Every .rpm below a dir, recursively (the chroot's repository directory). */
function rpmsBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.rpm')).sort();
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  work = tempDir('copr-e2e-honest-');
  t = await startTestService({ plugins: [buildsPlugin({ maxBuilders: 2, onReady: (s) => (sys = s) })] });
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'honest', { chroots: ['fedora-44-x86_64', 'fedora-44-aarch64'] })).status).toBe(200);
});
afterAll(async () => {
  await t.stop();
  removeDir(work);
});

describe('honest local builds, end to end', () => {
  it('builds a C package for x86_64 and refuses aarch64 with the reason; no aarch64 RPM is published', async () => {
    const id = await upload('hello-c.spec', ['hello.c', 'hello-c.1']);
    expect((await finished(id)).state).toBe('failed');
    const chroots = await chrootsOf(id);
    expect(chroots.map((c) => [c.name, c.state])).toEqual([
      ['fedora-44-aarch64', 'failed'],
      ['fedora-44-x86_64', 'succeeded'],
    ]);
    const stored = await sys.ports.builds.listBuildChroots(id);
    expect(stored.find((c) => c.name === 'fedora-44-aarch64')?.fail_reason).toBe(
      'local builders build only x86_64; fedora-44-aarch64 needs an aarch64 builder',
    );
    const aarch64 = chroots.find((c) => c.name === 'fedora-44-aarch64');
    const live = await fetch(`${aarch64?.result_url ?? ''}builder-live.log`);
    expect(live.status).toBe(200);
    expect(await live.text()).toContain('fedora-44-aarch64 needs an aarch64 builder');
    await sys.publisher.idle();
    const root = sys.results.root;
    await waitFor('x86_64 repodata', async () => existsSync(join(root, 'alice/honest/fedora-44-x86_64/repodata/repomd.xml')));
    const dir = `${String(id).padStart(8, '0')}-hello-c`;
    expect(rpmsBelow(join(root, 'alice/honest/fedora-44-x86_64')).filter((f) => f.startsWith(dir))).toEqual([
      `${dir}/hello-c-1.0-1.fc44.src.rpm`,
      `${dir}/hello-c-1.0-1.fc44.x86_64.rpm`,
      `${dir}/hello-c-debuginfo-1.0-1.fc44.x86_64.rpm`,
      `${dir}/hello-c-debugsource-1.0-1.fc44.x86_64.rpm`,
    ]);
    expect(rpmsBelow(join(root, 'alice/honest/fedora-44-aarch64'))).toEqual([]);
  }, 180_000);

  it("satisfies a BuildRequires on another package of the project from the project's repository", async () => {
    const a = await upload('dep-a.spec');
    // dep-a is noarch: it builds for aarch64 as well, with no binary involved.
    expect((await finished(a)).state).toBe('succeeded');
    await sys.publisher.idle();
    const repomd = join(sys.results.root, 'alice/honest/fedora-44-x86_64/repodata/repomd.xml');
    await waitFor('dep-a in the repository', async () => {
      const res = await fetch(`${t.service.url}/results/alice/honest/fedora-44-x86_64/repodata/repomd.xml`);
      return res.status === 200 && existsSync(repomd) && readdirSync(join(sys.results.root, 'alice/honest/fedora-44-x86_64'), { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('dep-a-1.2-1.fc44.noarch.rpm'));
    });
    const b = await upload('dep-b.spec');
    expect((await finished(b)).state).toBe('succeeded');
    for (const chroot of await chrootsOf(b)) {
      const live = await (await fetch(`${chroot.result_url ?? ''}builder-live.log`)).text();
      expect(live).toContain('BuildRequires: dep-a >= 1.0: installing dep-a-1.2-1.fc44.noarch from repository copr_base');
    }
  }, 180_000);
});
