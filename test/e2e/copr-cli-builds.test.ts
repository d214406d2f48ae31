import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createdBuildId, startCliEnv, waitForCliStatus, type CliEnv, type CliUser } from '../support/copr-cli.js';
import { dnfIn, makeSrpm, repoPackages, run } from './dnf-support.js';
import { startServer } from '../builder/helpers.js';
import { makeTitoRepo } from '../support/tito-repo.js';

/**
 * Builds as a Copr user runs them, with the REAL copr-cli: an SRPM uploaded with
 * `copr-cli build --nowait`, followed with `status`, listed, downloaded with
 * `download-build` (wget -r on our result URLs), its package read back with
 * `get-package --with-all-builds`, and its tasks read from Copr's public
 * `/backend/get-build-task` and `/backend/get-srpm-build-task` views.
 */
// Each copr-cli run is a Python start-up (~1 s, several on a loaded 2-core box).
vi.setConfig({ testTimeout: 120_000 });
const CHROOT = 'fedora-44-x86_64';
let env: CliEnv;
let alice: CliUser;
let work: string;
let helloId: number;
let dist: string;

/** The dashboard shell as scripts/build-web.sh leaves it (the parts the server touches). */
const SHELL = '<!doctype html><html><head><title>Copr</title></head><body><div id="app"></div><noscript>The Copr dashboard needs JavaScript.</noscript><script type="module" src="/assets/app.js"></script></body></html>';

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'copr-cli-web-'));
  await writeFile(join(dist, 'index.html'), SHELL);
  env = await startCliEnv({ builds: true, web: { distDir: dist } });
  alice = await env.user('alice');
  work = await mkdtemp(join(env.work, 'files-'));
  const created = await alice.run(['create', 'demo', '--chroot', CHROOT]);
  if (created.code !== 0) throw new Error(`copr-cli create failed: ${created.stderr}`);
  const srpm = await makeSrpm(work, 'hello-cli');
  const build = await alice.run(['build', 'demo', srpm, '--nowait']);
  if (build.code !== 0) throw new Error(`copr-cli build failed: ${build.stderr}`);
  helloId = createdBuildId(build.stdout);
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await rm(dist, { recursive: true, force: true });
});

describe('copr-cli build from an SRPM upload', () => {
  it('prints where the build is, then status follows it to succeeded', async () => {
    expect(await waitForCliStatus(alice, helloId, 180_000)).toBe('succeeded');
    const status = await alice.run(['status', String(helloId)]);
    expect(status).toMatchObject({ code: 0, stdout: 'succeeded\n' });
  }, 200_000);

  it('list-builds shows id, package name and state', async () => {
    const r = await alice.run(['list-builds', 'demo', '--output-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual({ id: helloId, name: 'hello-cli', state: 'succeeded' });
  });

  it("download-build fetches Copr's result dir: packages, spec, gzipped logs, package list, configs", async () => {
    const dir = `${env.url}/results/alice/demo/${CHROOT}/${String(helloId).padStart(8, '0')}-hello-cli/`;
    // The chroot reads succeeded once its outcome is recorded; the task's close then gzips
    // the live log (core/task-outcome.ts). Copr's finished dir has only the .gz.
    await expect
      .poll(async () => {
        const html = await (await fetch(dir)).text();
        return html.includes('href="builder-live.log.gz"') && !html.includes('href="builder-live.log"');
      }, { timeout: 60_000, interval: 500 })
      .toBe(true);
    const dest = join(work, 'download');
    const r = await alice.run(['download-build', String(helloId), '-r', CHROOT, '--dest', dest], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const files = await readdir(join(dest, CHROOT));
    // Copr's RPM result dir (copr-rpmbuild with mock, copr-backend's logs; docs/builder.md).
    expect([...files].sort(), files.join(' ')).toEqual(
      [
        'backend.log.gz',
        'build.log.gz',
        'builder-live.log.gz',
        'configs.tar.gz',
        'hello-cli-1.0-1.fc44.noarch.rpm',
        'hello-cli-1.0-1.fc44.src.rpm',
        'hello-cli.spec',
        'hw_info.log.gz',
        // copr-cli passes wget `--reject '"index.html*"'` with the quotes, which match nothing
        // (so upstream's listing comes along too).
        'index.html',
        'installed_pkgs.log',
        'results.json',
        'root.log.gz',
        'state.log.gz',
        'success',
      ].sort(),
    );
    const text = async (name: string) => gunzipSync(await readFile(join(dest, CHROOT, name))).toString('utf8');
    const backendLog = await text('backend.log.gz');
    expect(backendLog).toContain(`Task ${helloId}-${CHROOT}: RPM stage in ${CHROOT} of build ${helloId} in alice/demo`);
    expect(backendLog).toContain('Worker finished the task: succeeded\n');
    expect(await text('builder-live.log.gz')).toContain('Build succeeded\n');
    expect(await text('build.log.gz')).toContain('Wrote: ');
    expect(await text('hw_info.log.gz')).toMatch(/^CPU info:/);
    const state = await text('state.log.gz');
    expect(state).toMatch(/ - Start: rpmbuild hello-cli-1\.0-1\.src\.rpm\n/);
    expect(state).toMatch(/ - Finish: RPM stage of \d+-fedora-44-x86_64 in fedora-44-x86_64\n$/);
    const configs = (await run('tar', ['-tzf', join(dest, CHROOT, 'configs.tar.gz')])).stdout.split('\n');
    expect(configs).toContain('configs/child.cfg');
  }, 150_000);

  it("the SRPM stage's dir holds the SRPM, spec, results.json, success and the two gzipped logs", async () => {
    const dir = `${env.url}/results/alice/demo/srpm-builds/${String(helloId).padStart(8, '0')}/`;
    const listing = async () => [...(await (await fetch(dir)).text()).matchAll(/href="([^"/]+)"/g)].map((m) => m[1]).sort();
    await expect
      .poll(listing, { timeout: 30_000, interval: 300 })
      .toEqual(['backend.log.gz', 'builder-live.log.gz', 'hello-cli-1.0-1.src.rpm', 'hello-cli.spec', 'results.json', 'success']);
  });

  it('download-build --logs fetches the gzipped logs only, as from Copr', async () => {
    const dest = join(work, 'download-logs');
    const r = await alice.run(['download-build', String(helloId), '-r', CHROOT, '--logs', '--dest', dest], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(join(dest, CHROOT))).sort()).toEqual(
      ['backend.log.gz', 'build.log.gz', 'builder-live.log.gz', 'hw_info.log.gz', 'root.log.gz', 'state.log.gz'].sort(),
    );
  }, 150_000);

  it('a spec whose SRPM stage fails shows rpmbuild\'s error in builder-live.log and the reason in backend.log.gz', async () => {
    const spec = join(work, 'srpmfail.spec');
    // %{error:...} stops rpmbuild -bs while parsing, with the message on stderr.
    await writeFile(spec, 'Name: srpmfail\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n%{error:srpmfail-marker spec refused}\n%description\nd\n');
    const r = await alice.run(['build', 'demo', spec, '--nowait']);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    expect(await waitForCliStatus(alice, id, 180_000)).toBe('failed');
    const dir = `${env.url}/results/alice/demo/srpm-builds/${String(id).padStart(8, '0')}`;
    // The task's close gzips the live log a moment after the state reads failed
    // (core/task-outcome.ts); then, as in Copr, only the .gz is left.
    const listing = async () => [...(await (await fetch(`${dir}/`)).text()).matchAll(/href="([^"/]+)"/g)].map((m) => m[1]).sort();
    await expect.poll(listing, { timeout: 30_000, interval: 300 }).toEqual(['backend.log.gz', 'builder-live.log.gz']);
    // The plain name still answers, with the .gz text.
    const live = await (await fetch(`${dir}/builder-live.log`)).text();
    expect(live).toContain('error: srpmfail-marker spec refused');
    // The gzipped copy the monitor's url_build_log names once the build ended (served with
    // Content-Encoding: gzip, as Copr's results host does, so fetch reads it as text).
    const liveGz = await fetch(`${dir}/builder-live.log.gz`);
    expect(liveGz.headers.get('content-encoding')).toBe('gzip');
    expect(await liveGz.text()).toBe(live);
    const backend = await (await fetch(`${dir}/backend.log`)).text();
    expect(backend).toContain('Worker finished the task: failed\n');
    expect(backend).toMatch(/Reason: building the SRPM from the spec failed \(exit 1\): .*srpmfail-marker spec refused/);
  }, 200_000);

  it('get-package --with-all-builds lists the package with its builds', async () => {
    const r = await alice.run(['get-package', 'demo', '--name', 'hello-cli', '--with-all-builds', '--with-latest-build']);
    expect(r.code, r.stderr).toBe(0);
    const pkg = JSON.parse(r.stdout) as { name: string; builds: Array<{ id: number; state: string }>; latest_build: { id: number } };
    expect(pkg.name).toBe('hello-cli');
    expect(pkg.builds.map((b) => [b.id, b.state])).toEqual([[helloId, 'succeeded']]);
    expect(pkg.latest_build.id).toBe(helloId);
  });

  it('the SRPM task view names the upload as its source', async () => {
    const res = await fetch(`${env.url}/backend/get-srpm-build-task/${helloId}/`);
    expect(res.status).toBe(200);
    const task = (await res.json()) as Record<string, unknown>;
    expect(task).toMatchObject({
      task_id: String(helloId),
      build_id: helloId,
      project_owner: 'alice',
      project_name: 'demo',
      project_dirname: 'demo',
      submitter: 'alice',
      chroot: null,
      source_type: 2,
      repos: [],
      distributions_in_project: ['fedora-44'],
    });
    expect(JSON.parse(String(task.source_json))).toMatchObject({ pkg: 'hello-cli-1.0-1.src.rpm' });
  });
});

describe('repositories for mirroring tools', () => {
  it('lftp mirror copies a chroot repository: repodata matching repomd.xml and the build dir', async () => {
    const base = `${env.url}/results/alice/demo/`;
    // The publish follows the build's success; wait until the repository lists the package.
    await expect
      .poll(async () => (await (await fetch(`${base}${CHROOT}/repodata/repomd.xml`)).text()).includes('primary'), { timeout: 60_000, interval: 500 })
      .toBe(true);
    const mirror = join(work, 'lftp-mirror');
    const pkgs = async () => {
      await rm(mirror, { recursive: true, force: true });
      // As a mirroring script runs it: the whole chroot dir, then repodata/ alone.
      await run('lftp', ['-c', `set net:max-retries 2; set net:timeout 20; mirror --parallel=2 --no-perms ${base}${CHROOT}/ ${mirror}/chroot; mirror ${base}${CHROOT}/repodata/ ${mirror}/repodata-only`], { timeout: 60_000 });
      return repoPackages(join(mirror, 'chroot', 'repodata'));
    };
    await expect.poll(pkgs, { timeout: 60_000, interval: 1000 }).toEqual(['hello-cli-1.0-1.fc44.noarch.rpm', 'hello-cli-1.0-1.fc44.src.rpm']);
    // Every file repomd.xml names is there, byte for byte as served, in both mirrors.
    const repomd = await readFile(join(mirror, 'chroot', 'repodata', 'repomd.xml'), 'utf8');
    const hrefs = [...repomd.matchAll(/<location href="repodata\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(hrefs.length).toBeGreaterThanOrEqual(3);
    for (const href of hrefs) {
      const served = Buffer.from(await (await fetch(`${base}${CHROOT}/repodata/${href}`)).arrayBuffer());
      expect((await readFile(join(mirror, 'chroot', 'repodata', href))).equals(served), href).toBe(true);
      expect((await readFile(join(mirror, 'repodata-only', href))).equals(served), href).toBe(true);
    }
    expect(await readdir(join(mirror, 'repodata-only'))).toEqual(expect.arrayContaining(['repomd.xml', 'repomd.xml.asc']));
    // The build's result dir came along, with the RPM the primary names.
    const buildDir = `${String(helloId).padStart(8, '0')}-hello-cli`;
    expect(await readdir(join(mirror, 'chroot', buildDir))).toEqual(expect.arrayContaining(['hello-cli-1.0-1.fc44.noarch.rpm', 'backend.log.gz']));
  }, 150_000);
});

/** Package file names a published repository lists, read over HTTP as dnf would; [] before a publish. */
async function servedPackages(repoUrl: string): Promise<string[]> {
  const repomd = await fetch(`${repoUrl}repodata/repomd.xml`);
  if (repomd.status !== 200) return [];
  const primary = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(await repomd.text())?.[1];
  if (!primary) return [];
  const xml = gunzipSync(Buffer.from(await (await fetch(`${repoUrl}${primary}`)).arrayBuffer())).toString('utf8');
  return [...xml.matchAll(/<location\b[^>]*?\shref="([^"]+)"/g)].map((m) => (m[1] ?? '').split('/').pop() ?? '').sort();
}

describe('manual createrepo (devel mode) with copr-cli', () => {
  it('builds land in devel/ only; modify --disable_createrepo false publishes them promptly', async () => {
    const created = await alice.run(['create', 'develproj', '--chroot', CHROOT, '--disable_createrepo', 'true']);
    expect(created.code, created.stderr).toBe(0);
    const build = await alice.run(['build', 'develproj', await makeSrpm(work, 'devel-cli'), '--nowait']);
    expect(build.code, build.stderr).toBe(0);
    const id = createdBuildId(build.stdout);
    expect(await waitForCliStatus(alice, id, 180_000)).toBe('succeeded');
    const repo = `${env.url}/results/alice/develproj/${CHROOT}/`;
    const expected = ['devel-cli-1.0-1.fc44.noarch.rpm', 'devel-cli-1.0-1.fc44.src.rpm'];
    await expect.poll(() => servedPackages(`${repo}devel/`), { timeout: 60_000, interval: 500 }).toEqual(expected);
    expect(await servedPackages(repo)).toEqual([]);

    const switched = Date.now();
    const modified = await alice.run(['modify', 'develproj', '--disable_createrepo', 'false']);
    expect(modified.code, modified.stderr).toBe(0);
    // Promptly: one publish run after the edit, no waiting for a timer or a new build.
    await expect.poll(() => servedPackages(repo), { timeout: 60_000, interval: 500 }).toEqual(expected);
    console.log(`devel mode off → main repository lists the build after ${Date.now() - switched} ms`);
  }, 300_000);
});

describe('SCM builds with --method tito, then the package\'s builds', () => {
  it('builds the latest tito tag; get-package --with-all-builds lists it next to a failed build', async () => {
    // The repository over dumb HTTP, as a forge would serve it.
    const www = join(work, 'www-tito');
    await mkdir(www, { recursive: true });
    const src = makeTitoRepo(join(work, 'tito-src'));
    await run('git', ['clone', '-q', '--bare', src, join(www, 'hello-tito.git')]);
    await run('git', ['-C', join(www, 'hello-tito.git'), 'update-server-info']);
    const server = await startServer(www);
    try {
      const url = `${server.url}/hello-tito.git`;
      const added = await alice.run(['add-package-scm', 'demo', '--name', 'hello-tito', '--clone-url', url, '--method', 'tito']);
      expect(added.code, added.stderr).toBe(0);
      const ok = await alice.run(['build-package', 'demo', '--name', 'hello-tito', '--nowait', '-r', CHROOT]);
      expect(ok.code, ok.stderr).toBe(0);
      const okId = createdBuildId(ok.stdout);
      const okState = await waitForCliStatus(alice, okId, 240_000);
      const why = await (await fetch(`${env.url}/results/alice/demo/srpm-builds/${String(okId).padStart(8, '0')}/backend.log`)).text();
      expect(okState, why).toBe('succeeded');
      const built = await alice.api.get<{ source_package: { name: string; version: string } }>(`build/${okId}`);
      expect(built.body.source_package).toMatchObject({ name: 'hello-tito', version: '1.2-1' });
      // A build that fails: the same package from a subdirectory the repository lacks.
      const edited = await alice.run(['edit-package-scm', 'demo', '--name', 'hello-tito', '--clone-url', url, '--method', 'tito', '--subdir', 'nothere']);
      expect(edited.code, edited.stderr).toBe(0);
      const bad = await alice.run(['build-package', 'demo', '--name', 'hello-tito', '--nowait', '-r', CHROOT]);
      expect(bad.code, bad.stderr).toBe(0);
      const badId = createdBuildId(bad.stdout);
      expect(await waitForCliStatus(alice, badId, 240_000)).toBe('failed');
      const r = await alice.run(['get-package', 'demo', '--name', 'hello-tito', '--with-all-builds']);
      expect(r.code, r.stderr).toBe(0);
      const pkg = JSON.parse(r.stdout) as { builds: Array<{ id: number; state: string }> };
      expect(pkg.builds.map((b) => [b.id, b.state]).sort()).toEqual([[okId, 'succeeded'], [badId, 'failed']].sort());
    } finally {
      await server.close();
    }
  }, 600_000);
});

describe('build options are visible after submit', () => {
  it('a URL build: source URL, timeout, network and isolation in the build and its task', async () => {
    const url = 'https://example.invalid/pkgs/neverthere-1.0-1.src.rpm';
    const r = await alice.run(['build', 'demo', url, '--nowait', '-r', CHROOT, '--timeout', '4000', '--enable-net', 'on', '--isolation', 'simple']);
    expect(r.code, r.stderr).toBe(0);
    const id = createdBuildId(r.stdout);
    const build = await alice.api.get(`build/${id}`);
    expect(build.body.source_package).toEqual({ name: null, version: null, url });

    const res = await fetch(`${env.url}/backend/get-build-task/${id}-${CHROOT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('copr-fe-be-api-version')).toBe('9');
    const task = (await res.json()) as Record<string, unknown>;
    expect(task).toMatchObject({
      task_id: `${id}-${CHROOT}`,
      build_id: id,
      chroot: CHROOT,
      timeout: 4000,
      enable_net: true,
      isolation: 'simple',
      memory_reqs: 2048,
      buildroot_pkgs: [],
      with_opts: [],
      without_opts: [],
      sandbox: 'alice/demo--alice',
      storage: 0,
      // Upstream's dist-git keys; no SRPM yet, so no stand-in URL either (as before an import).
      git_repo: null,
      git_hash: null,
    });
    expect(task).not.toHaveProperty('bootstrap');
    expect(task).not.toHaveProperty('srpm_url');
    expect(task.repos).toEqual([
      { id: 'copr_base', name: 'Copr repository', baseurl: `${env.url}/results/alice/demo/${CHROOT}/`, priority: null, module_hotfixes: null, repo_gpgcheck: false },
    ]);
    // The URL cannot be fetched here: the SRPM stage fails, the views stay readable.
    expect(await waitForCliStatus(alice, id, 60_000)).toBe('failed');
    expect((await fetch(`${env.url}/backend/get-build-task/${id}-${CHROOT}`)).status).toBe(200);
  }, 90_000);

  it('a built task names the SRPM it was built from as git_repo, where upstream names its dist-git import', async () => {
    expect(await waitForCliStatus(alice, helloId, 180_000)).toBe('succeeded');
    const task = (await (await fetch(`${env.url}/backend/get-build-task/${helloId}-${CHROOT}`)).json()) as Record<string, unknown>;
    const srpm = `${env.url}/results/alice/demo/srpm-builds/${String(helloId).padStart(8, '0')}/hello-cli-1.0-1.src.rpm`;
    expect(task).toMatchObject({ git_repo: srpm, git_hash: null, package_name: 'hello-cli', package_version: '1.0-1' });
    expect((await fetch(srpm)).status).toBe(200);
  }, 200_000);

  it('unknown tasks: 404 with the backend protocol\'s message', async () => {
    for (const path of ['get-build-task/999999-fedora-44-x86_64', 'get-build-task/nonsense', `get-build-task/${helloId}-epel-9-x86_64`, 'get-srpm-build-task/999999']) {
      const res = await fetch(`${env.url}/backend/${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ msg: 'Specified task ID not found' });
    }
  });
});

describe('package defaults as upstream shows them', () => {
  it('custom: builddeps and resultdir null when not given; distgit: the default instance', async () => {
    const script = join(work, 'gen.sh');
    await writeFile(script, '#!/bin/sh\necho generating\n');
    expect((await alice.run(['add-package-custom', 'demo', '--name', 'gen', '--script', script])).code).toBe(0);
    const custom = await alice.run(['get-package', 'demo', '--name', 'gen']);
    expect(custom.code, custom.stderr).toBe(0);
    expect(JSON.parse(custom.stdout).source_dict).toMatchObject({ script: '#!/bin/sh\necho generating\n', builddeps: null, resultdir: null });

    expect((await alice.run(['add-package-distgit', 'demo', '--name', 'tar'])).code).toBe(0);
    const dg = await alice.run(['get-package', 'demo', '--name', 'tar']);
    expect(dg.code, dg.stderr).toBe(0);
    expect(JSON.parse(dg.stdout)).toMatchObject({ source_type: 'distgit', source_dict: { distgit: 'fedora', clone_url: 'https://src.fedoraproject.org/rpms/tar' } });
  });
});

describe('server-rendered pages for clients without JavaScript', () => {
  const page = async (path: string) => {
    const res = await fetch(`${env.url}${path}`, { redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  };

  it('/coprs/ lists the projects, escaped, inside the dashboard shell', async () => {
    const edit = await alice.run(['modify', 'demo', '--description', 'Demo <script>alert("x")</script> & more']);
    expect(edit.code, edit.stderr).toBe(0);
    const { status, html } = await page('/coprs/');
    expect(status).toBe(200);
    expect(html).toContain('<div id="app"></div>');
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
    expect(html).toContain('<a href="/coprs/alice/demo/">alice/demo</a>');
    expect(html).toContain('Demo &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(html).not.toContain('<script>alert');
  });

  it('the project page: description, chroots with repo files, builds with states', async () => {
    const { status, html } = await page('/coprs/alice/demo/');
    expect(status, html).toBe(200);
    expect(html).toContain('<h1>alice/demo</h1>');
    expect(html).toContain(`<td>${CHROOT}</td>`);
    expect(html).toContain('href="/coprs/alice/demo/repo/fedora-44/alice-demo-fedora-44.repo"');
    expect(html).toMatch(new RegExp(`<a href="/coprs/alice/demo/build/${helloId}/">${helloId}</a></td><td>hello-cli</td><td>1\\.0-1</td><td><span class="state">succeeded</span>`));
    // The linked repo file is real.
    const repo = await fetch(`${env.url}/coprs/alice/demo/repo/fedora-44/alice-demo-fedora-44.repo`);
    expect(repo.status).toBe(200);
  });

  it('the build page: state, package and per-chroot results; copr-cli\'s /coprs/build/<id> link redirects there', async () => {
    const { status, html } = await page(`/coprs/alice/demo/build/${helloId}/`);
    expect(status).toBe(200);
    expect(html).toContain(`<h1>Build ${helloId}</h1>`);
    expect(html).toContain('<dt>State</dt><dd><span class="state">succeeded</span></dd>');
    expect(html).toContain('<dt>Package</dt><dd>hello-cli</dd>');
    expect(html).toContain(`<td>${CHROOT}</td><td><span class="state">succeeded</span></td>`);
    expect(html).toContain(`href="${env.url}/results/alice/demo/${CHROOT}/${String(helloId).padStart(8, '0')}-hello-cli/"`);
    const short = await page(`/coprs/build/${helloId}/`);
    expect(short.status).toBe(302);
    expect(short.location).toBe(`/coprs/alice/demo/build/${helloId}/`);
  });

  it('missing projects and builds answer 404, still with the shell', async () => {
    for (const path of ['/coprs/alice/nothing/', `/coprs/bob/demo/build/${helloId}/`, '/coprs/alice/demo/build/99999/', '/coprs/build/99999/']) {
      const r = await page(path);
      expect(r.status, path).toBe(404);
      expect(r.html, path).toContain('<div id="app"></div>');
    }
  });
});

describe('copr-cli fork of a project with builds', () => {
  it('lists the forked build, serves its RPMs, and signs with its own key', async () => {
    const bob = await env.user('bob');
    const fork = await bob.run(['fork', 'alice/demo', 'demo-fork']);
    expect(fork.code, fork.stderr).toBe(0);
    // The results are copied by a queued action; poll until the copy is published.
    const deadline = Date.now() + 90_000;
    let rows: Array<{ id: number; name: string; state: string }> = [];
    let rpm = 0;
    for (;;) {
      const r = await bob.run(['list-builds', 'demo-fork', '--output-format', 'json']);
      rows = r.code === 0 ? (JSON.parse(r.stdout) as typeof rows) : [];
      const forked = rows.find((b) => b.name === 'hello-cli');
      if (forked) {
        const chroots = await bob.api.get<{ items: Array<{ result_url: string | null }> }>('build-chroot/list', { build_id: forked.id });
        const url = chroots.body.items[0]?.result_url;
        rpm = url ? (await fetch(`${url}hello-cli-1.0-1.fc44.noarch.rpm`)).status : 0;
        // Published: the fork's repository has its own public key next to it.
        if (rpm === 200 && (await fetch(`${env.url}/results/bob/demo-fork/pubkey.gpg`)).status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`fork not copied and published in time: ${JSON.stringify(rows)} rpm ${rpm}`);
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    expect(rows.map((b) => [b.name, b.state])).toContainEqual(['hello-cli', 'forked']);
    const keyOf = async (project: string) => {
      const res = await fetch(`${env.url}/results/${project}/pubkey.gpg`);
      return res.status === 200 ? await res.text() : `missing ${res.status}`;
    };
    const source = await keyOf('alice/demo');
    const copy = await keyOf('bob/demo-fork');
    expect(source).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(copy).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(copy).not.toBe(source);

    // dnf installs the forked package through the fork's own .repo file (gpgcheck with the fork's key).
    const reposdir = join(work, 'repos-fork');
    await mkdir(reposdir, { recursive: true });
    const repoFile = await fetch(`${env.url}/coprs/bob/demo-fork/repo/fedora-44/bob-demo-fork-fedora-44.repo`);
    expect(repoFile.status).toBe(200);
    await writeFile(join(reposdir, 'bob-demo-fork.repo'), await repoFile.text());
    const dnf = dnfIn(join(work, 'dnf-fork'));
    const res = await dnf(reposdir, ['install', 'hello-cli']);
    expect(res.ok, res.out).toBe(true);
  }, 200_000);
});
