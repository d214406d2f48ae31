import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildState } from '../../functions/core/build-state.js';
import { submitBuild } from '../../functions/core/builds.js';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { makeSrpm, removeDir, tempDir } from '../builder/helpers.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/** The whole local pipeline: dispatcher → builder process (rpmbuild in bwrap) → results → repository. */
let t: TestService;
let alice: CoprClient;
let sys: LocalBuildSystem;
let work: string;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stateOf(id: number): Promise<string> {
  const b = (await sys.lifecycle.builds.getBuild(id))!;
  return buildState(b, await sys.lifecycle.builds.listBuildChroots(id));
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  work = tempDir('copr-e2e-');
  t = await startTestService({ plugins: [buildsPlugin({ maxBuilders: 2, onReady: (s) => (sys = s), reapEveryMs: 500, reaper: { heartbeatTimeoutMs: 3_000 } })] });
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'demo', { chroots: ['fedora-44-x86_64', 'epel-10-x86_64'] })).status).toBe(200);
});
afterAll(async () => {
  await t.stop();
  removeDir(work);
});

async function submitSrpm(spec: string, sources: string[] = []): Promise<number> {
  const srpm = makeSrpm(spec, work, sources);
  const name = srpm.split('/').pop()!;
  await sys.results.put(`_uploads/e2e/${name}`, readFileSync(srpm));
  const user = (await t.service.ctx.store.getUser('alice'))!;
  const build = await submitBuild(sys.lifecycle, { user }, {
    ownername: 'alice',
    projectname: 'demo',
    source_type: 'upload',
    source_dict: { url: `${t.service.config.RESULTS_BASE_URL}/_uploads/e2e/${name}`, pkg: name, tmp: 'e2e' },
    options: {},
  });
  return build.id;
}

describe('build pipeline', () => {
  it('builds a noarch SRPM in two chroots, publishes and serves the results', async () => {
    const id = await submitSrpm('hello-noarch.spec', ['hello.sh']);
    await waitFor('build to finish', async () => ['succeeded', 'failed'].includes(await stateOf(id)));
    const chroots = await sys.lifecycle.builds.listBuildChroots(id);
    expect((await sys.lifecycle.builds.getBuild(id))?.fail_reason ?? null).toBeNull();
    expect(chroots.map((c) => [c.name, c.state, c.fail_reason])).toEqual([
      ['epel-10-x86_64', 'succeeded', null],
      ['fedora-44-x86_64', 'succeeded', null],
    ]);
    const dir = String(id).padStart(8, '0');
    const root = sys.results.root;
    expect(existsSync(join(root, `alice/demo/srpm-builds/${dir}/success`))).toBe(true);
    const rpmDir = join(root, `alice/demo/fedora-44-x86_64/${dir}-hello-noarch`);
    const results = JSON.parse(readFileSync(join(rpmDir, 'results.json'), 'utf8')) as { packages: Array<{ name: string; arch: string; release: string }> };
    expect(results.packages).toContainEqual(expect.objectContaining({ name: 'hello-noarch', arch: 'noarch', release: '1.fc44' }));
    expect(existsSync(join(rpmDir, 'build.log')) || existsSync(join(rpmDir, 'build.log.gz'))).toBe(true);
    await sys.publisher.idle();
    await waitFor('repodata', async () => existsSync(join(root, 'alice/demo/fedora-44-x86_64/repodata/repomd.xml')));
    const listing = await fetch(`${t.service.url}/results/alice/demo/fedora-44-x86_64/${dir}-hello-noarch/`);
    expect(listing.status).toBe(200);
    expect(await listing.text()).toContain('results.json');
  });

  it('a broken spec fails with the reason and build.log', async () => {
    const id = await submitSrpm('broken.spec');
    await waitFor('build to finish', async () => ['succeeded', 'failed'].includes(await stateOf(id)));
    expect(await stateOf(id)).toBe('failed');
    const chroots = await sys.lifecycle.builds.listBuildChroots(id);
    expect(chroots.map((c) => c.state)).toEqual(['failed', 'failed']);
    for (const c of chroots) expect(c.fail_reason).toMatch(/rpmbuild/);
    const log = await fetch(`${t.service.url}/results/alice/demo/fedora-44-x86_64/${String(id).padStart(8, '0')}-broken/build.log`);
    expect(log.status).toBe(200);
    expect(await log.text()).toMatch(/error/i);
  });
});
