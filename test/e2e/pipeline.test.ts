import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { FIXTURES, makeSrpm, removeDir, startServer, tempDir, type TestServer } from '../builder/helpers.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The whole local pipeline through the API: submit → dispatcher → builder process
 * (rpmbuild in bubblewrap) → results → repository, plus cancel and lost builders.
 */
let t: TestService;
let alice: CoprClient;
let sys: LocalBuildSystem;
let work: string;
let files: TestServer;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type BuildView = { id: number; state: string; source_package: { name: string | null } };

async function buildOf(id: number): Promise<BuildView> {
  return (await t.anon.get<BuildView>(`build/${id}`)).body;
}

const FINISHED = ['succeeded', 'failed', 'canceled', 'skipped'];
const finished = (id: number) => waitFor(`build ${id} to finish`, async () => {
  const b = await buildOf(id);
  return FINISHED.includes(b.state) ? b : null;
});

const buildOpts = { ownername: 'alice', projectname: 'demo', project_dirname: 'demo', timeout: null, chroots: null, background: false, isolation: 'unchanged' };

async function upload(spec: string, sources: string[] = []): Promise<number> {
  const srpm = makeSrpm(spec, work, sources);
  const res = await alice.send<BuildView>('POST', 'build/create/upload', {
    raw: multipart([{ field: 'pkgs', filename: srpm.split('/').pop()!, contentType: 'application/x-rpm', data: readFileSync(srpm) }], buildOpts),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  work = tempDir('copr-e2e-');
  t = await startTestService({
    plugins: [
      buildsPlugin({
        maxBuilders: 2,
        onReady: (s) => (sys = s),
        reapEveryMs: 500,
        reaper: { heartbeatTimeoutMs: 6_000, maxAttempts: 2 },
        agentEnv: { COPR_HEARTBEAT_SECONDS: '1' },
      }),
    ],
  });
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'demo', { chroots: ['fedora-44-x86_64', 'epel-10-x86_64'] })).status).toBe(200);
  // Static files for URL and SCM builds: an SRPM and a git repository over dumb HTTP.
  const root = join(work, 'www');
  mkdirSync(root, { recursive: true });
  makeSrpm('hello-noarch.spec', root, ['hello.sh']);
  const repo = join(work, 'scm');
  cpSync(join(FIXTURES, 'rpkg'), repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'package');
  execFileSync('git', ['clone', '-q', '--bare', repo, join(root, 'scm.git')]);
  execFileSync('git', ['-C', join(root, 'scm.git'), 'update-server-info']);
  files = await startServer(root);
});
afterAll(async () => {
  await files?.close();
  await t.stop();
  removeDir(work);
});

describe('build pipeline', () => {
  it('builds an uploaded noarch SRPM in two chroots, publishes and serves the results', async () => {
    const id = await upload('hello-noarch.spec', ['hello.sh']);
    const b = await finished(id);
    expect(b.state).toBe('succeeded');
    expect(b.source_package.name).toBe('hello-noarch');
    const chroots = await t.anon.get<{ items: Array<{ name: string; state: string; result_url: string }> }>('build-chroot/list', { build_id: id });
    expect(chroots.body.items.map((c) => [c.name, c.state])).toEqual([
      ['epel-10-x86_64', 'succeeded'],
      ['fedora-44-x86_64', 'succeeded'],
    ]);
    const dir = String(id).padStart(8, '0');
    const root = sys.results.root;
    expect(existsSync(join(root, `alice/demo/srpm-builds/${dir}/success`))).toBe(true);
    const rpmDir = join(root, `alice/demo/fedora-44-x86_64/${dir}-hello-noarch`);
    const results = JSON.parse(readFileSync(join(rpmDir, 'results.json'), 'utf8')) as { packages: Array<{ name: string; arch: string; release: string }> };
    expect(results.packages).toContainEqual(expect.objectContaining({ name: 'hello-noarch', arch: 'noarch', release: '1.fc44' }));
    const fedora = chroots.body.items.find((c) => c.name === 'fedora-44-x86_64')!;
    expect(fedora.result_url).toBe(`${t.service.url}/results/alice/demo/fedora-44-x86_64/${dir}-hello-noarch/`);
    const listing = await fetch(fedora.result_url);
    expect(listing.status).toBe(200);
    const html = await listing.text();
    for (const f of ['results.json', 'build.log', 'builder-live.log', 'success']) expect(html).toContain(f);
    await sys.publisher.idle();
    await waitFor('repodata', async () => existsSync(join(root, 'alice/demo/fedora-44-x86_64/repodata/repomd.xml')));
  });

  it('a broken spec fails with the reason and build.log', async () => {
    const id = await upload('broken.spec');
    expect((await finished(id)).state).toBe('failed');
    const chroots = await sys.ports.builds.listBuildChroots(id);
    expect(chroots.map((c) => c.state)).toEqual(['failed', 'failed']);
    for (const c of chroots) expect(c.fail_reason).toMatch(/rpmbuild/);
    const log = await fetch(`${t.service.url}/results/alice/demo/fedora-44-x86_64/${String(id).padStart(8, '0')}-broken/build.log`);
    expect(log.status).toBe(200);
    expect(await log.text()).toMatch(/error/i);
  });

  it('builds from a URL on a local HTTP server', async () => {
    const res = await alice.send<{ items: BuildView[] }>('POST', 'build/create/url', {
      json: { ...buildOpts, pkgs: [`${files.url}/hello-noarch-1.0-1.src.rpm`], chroots: ['fedora-44-x86_64'] },
    });
    expect(res.status).toBe(200);
    expect((await finished(res.body.items[0]!.id)).state).toBe('succeeded');
  });

  it('builds from a local git repository (SCM, rpkg)', async () => {
    const res = await alice.send<BuildView>('POST', 'build/create/scm', {
      json: { ...buildOpts, clone_url: `${files.url}/scm.git`, committish: '', subdirectory: '', spec: '', scm_type: 'git', source_build_method: 'rpkg', progress_callback: null, chroots: ['fedora-44-x86_64'] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const b = await finished(res.body.id);
    expect(b.state, JSON.stringify(await sys.ports.builds.getBuild(res.body.id))).toBe('succeeded');
  });

  it('cancel stops a running build within seconds', async () => {
    const id = await upload('sleepy.spec');
    await waitFor('a running chroot', async () => (await sys.ports.builds.listBuildChroots(id)).some((c) => c.state === 'running'));
    // The live log is readable under the result URL while the build runs.
    const running = (await t.anon.get<{ items: Array<{ state: string; result_url: string | null }> }>('build-chroot/list', { build_id: id })).body.items.find(
      (c) => c.state === 'running',
    )!;
    const live = await waitFor('live log', async () => {
      const r = await fetch(`${running.result_url}builder-live.log`);
      const text = r.status === 200 ? await r.text() : '';
      return text.includes('going to sleep') ? text : null;
    }, 20_000);
    expect(live).toContain('going to sleep');
    const started = Date.now();
    const res = await alice.send<BuildView>('PUT', `build/cancel/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('canceled');
    await waitFor('builders to stop', async () => {
      const tasks = await sys.ports.builds.listActiveTasks();
      return !tasks.some((x) => x.build_id === id);
    }, 20_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    const chroots = await sys.ports.builds.listBuildChroots(id);
    expect(chroots.every((c) => c.state === 'canceled')).toBe(true);
  });

  it('a killed builder is retried, and failed with a reason once attempts run out — never left running', async () => {
    const id = await upload('sleepy.spec');
    const srpmDone = await waitFor('RPM task running', async () => {
      const tasks = await sys.ports.builds.listActiveTasks();
      const rpm = tasks.filter((x) => x.build_id === id && x.kind === 'rpm' && x.state === 'running');
      return rpm.length > 0 ? rpm : null;
    });
    const victim = srpmDone[0]!;
    const kill = (builderId: string) => {
      const pid = sys.fleet.pids().get(builderId);
      if (pid && pid > 0) process.kill(-pid, 'SIGKILL');
    };
    kill(victim.builder_id!);
    const retried = await waitFor('retry', async () => {
      const task = await sys.ports.builds.getTask(victim.task_id);
      return task && task.attempts === 1 && task.state === 'running' ? task : null;
    });
    kill(retried.builder_id!);
    await waitFor('failure', async () => (await sys.ports.builds.getTask(victim.task_id))?.state === 'finished');
    const chroot = (await sys.ports.builds.listBuildChroots(id)).find((c) => c.name === victim.chroot)!;
    expect(chroot.state).toBe('failed');
    expect(chroot.fail_reason).toMatch(/stopped responding/);
    await alice.send('PUT', `build/cancel/${id}`);
  }, 120_000);
});
