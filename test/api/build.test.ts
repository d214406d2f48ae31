import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { completeRpm, completeSrpm, finishRpm, finishSrpm, newRecorder, recordingBuildsPlugin, startTask, type Recorder } from './build-support.js';

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
const rec: Recorder = newRecorder();
const CHROOTS = ['fedora-44-x86_64', 'fedora-45-x86_64', 'epel-10-aarch64'];

/** The build options copr-cli sends with every `copr build` (copr-cli-requests.md). */
function cliOptions(project: string, over: Record<string, unknown> = {}) {
  return { ownername: 'alice', projectname: project, project_dirname: project, timeout: null, chroots: null, background: false, isolation: 'unchanged', ...over };
}

const deps = () => rec.deps!;
const buildCount = async (project: string) => (await deps().builds.listProjectBuilds('alice', project)).length;
const createUrl = (c: CoprClient, project: string, over: Record<string, unknown> = {}) =>
  c.send('POST', 'build/create/url', { json: { ...cliOptions(project), pkgs: ['https://example.com/hello-1.0-1.src.rpm'], ...over } });

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  bob = await t.user('bob');
  for (const p of ['p1', 'p2', 'plist', 'pdel']) expect((await createProject(alice, 'alice', p, { chroots: CHROOTS })).status).toBe(200);
  // Only site admins may set `persistent`; the test sets it in the store directly.
  expect((await createProject(alice, 'alice', 'keep', { chroots: CHROOTS })).status).toBe(200);
  const keep = (await t.service.ctx.store.getProject('alice', 'keep'))!;
  await t.service.ctx.store.updateProject({ ...keep, persistent: true });
});
afterAll(() => t.stop());

describe('submitting builds', () => {
  it('check-before-build accepts the copr-cli request and writes nothing', async () => {
    const wakes = rec.wakes;
    const res = await alice.send('POST', 'build/check-before-build', { json: cliOptions('p1') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'It should be safe to submit a build like this' });
    expect(await buildCount('p1')).toBe(0);
    expect(rec.wakes).toBe(wakes);
  });

  it('create/url answers a list wrapper with one Build per URL', async () => {
    const wakes = rec.wakes;
    const res = await createUrl(alice, 'p1', { timeout: '3600', progress_callback: null });
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ limit: null, offset: null, order: null, order_type: null });
    const items = res.body.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toEqual({
      id: expect.any(Number),
      state: 'pending',
      ownername: 'alice',
      projectname: 'p1',
      project_dirname: 'p1',
      repo_url: `${t.service.url}/results/alice/p1`,
      // A URL build names its URL from submit on (upstream).
      source_package: { name: null, version: null, url: 'https://example.com/hello-1.0-1.src.rpm' },
      submitted_on: expect.any(Number),
      started_on: null,
      ended_on: null,
      submitter: 'alice',
      chroots: [],
      is_background: false,
    });
    expect(rec.wakes).toBe(wakes + 1);
    const got = await t.anon.get(`build/${items[0]!.id}`);
    expect(got.body).toEqual(items[0]);
    const cfg = await t.anon.get(`build/source-build-config/${items[0]!.id}`);
    expect(cfg.body).toEqual({
      source_type: 'link',
      source_dict: { url: 'https://example.com/hello-1.0-1.src.rpm' },
      memory_limit: 2048,
      timeout: 3600,
      is_background: false,
    });

    const two = await createUrl(alice, 'p1', { pkgs: 'https://example.com/a-1-1.src.rpm  http://example.com/b.spec' });
    expect((two.body.items as unknown[]).length).toBe(2);
  });

  it('resolves chroot patterns and exclusions into build chroots at once', async () => {
    const res = await createUrl(alice, 'p1', { chroots: ['fedora-*-x86_64', 'epel-10-aarch64'], exclude_chroots: ['fedora-45-*'], background: true });
    const b = (res.body.items as Array<Record<string, unknown>>)[0]!;
    expect(b.chroots).toEqual(['epel-10-aarch64', 'fedora-44-x86_64']);
    expect(b.is_background).toBe(true);
    const chroots = await t.anon.get('build-chroot/list', { build_id: Number(b.id) });
    expect((chroots.body.items as Array<{ state: string }>).map((c) => c.state)).toEqual(['waiting', 'waiting']);
  });

  it('create/upload takes the multipart request (file first, json last) and stores the file', async () => {
    const data = Buffer.from('SRPMDATA');
    const form = multipart([{ field: 'pkgs', filename: 'tiny.src.rpm', contentType: 'application/x-rpm', data }], cliOptions('p1'));
    const res = await alice.send('POST', 'build/create/upload', { raw: form });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ projectname: 'p1', state: 'pending' });
    const cfg = await t.anon.get(`build/source-build-config/${res.body.id}`);
    const dict = cfg.body.source_dict as { url: string; pkg: string; tmp: string };
    expect(cfg.body.source_type).toBe('upload');
    expect(dict.pkg).toBe('tiny.src.rpm');
    expect(dict.tmp).toMatch(/^[0-9a-f-]{36}$/);
    expect(dict.url).toBe(`${t.service.url}/results/_uploads/${dict.tmp}/tiny.src.rpm`);
    expect(await rec.results!.get(`_uploads/${dict.tmp}/tiny.src.rpm`)).toEqual(data);
  });

  it('create/scm takes the exact copr-cli body (progress_callback included)', async () => {
    const res = await alice.send('POST', 'build/create/scm', {
      json: {
        ownername: 'alice',
        projectname: 'p1',
        clone_url: 'https://example.com/x.git',
        committish: '',
        subdirectory: '',
        spec: '',
        scm_type: 'git',
        source_build_method: 'rpkg',
        project_dirname: 'p1',
        timeout: null,
        chroots: null,
        background: false,
        progress_callback: null,
        isolation: 'unchanged',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toBeUndefined();
    const cfg = await t.anon.get(`build/source-build-config/${res.body.id}`);
    expect(cfg.body).toMatchObject({
      source_type: 'scm',
      source_dict: { type: 'git', clone_url: 'https://example.com/x.git', committish: '', subdirectory: '', spec: '', source_build_method: 'rpkg' },
      timeout: 18000,
    });
  });

  it('create/pypi, rubygems, custom and distgit store their source', async () => {
    const pypi = await alice.send('POST', 'build/create/pypi', {
      json: { ownername: 'alice', projectname: 'p1', pypi_package_name: 'foo', pypi_package_version: null, spec_generator: 'pyp2spec', spec_template: null, python_versions: [3, 2], project_dirname: 'p1', timeout: null, chroots: null, background: false, progress_callback: null, isolation: 'unchanged' },
    });
    expect(pypi.status).toBe(200);
    const gem = await alice.send('POST', 'build/create/rubygems', { json: { ...cliOptions('p1'), gem_name: 'rake' } });
    const custom = await alice.send('POST', 'build/create/custom', { json: { ...cliOptions('p1'), script: 'echo hi', chroot: 'fedora-44-x86_64', builddeps: ['git'], resultdir: null, repos: null } });
    const distgit = await alice.send('POST', 'build/create/distgit', { json: { ...cliOptions('p1'), package_name: 'hello', distgit: null, namespace: null, committish: 'f44' } });
    const dicts = await Promise.all([pypi, gem, custom, distgit].map(async (r) => (await t.anon.get(`build/source-build-config/${r.body.id}`)).body));
    expect(dicts.map((d) => d.source_type)).toEqual(['pypi', 'rubygems', 'custom', 'distgit']);
    expect(dicts[0]!.source_dict).toMatchObject({ pypi_package_name: 'foo', python_versions: ['3', '2'] });
    expect(dicts[1]!.source_dict).toEqual({ gem_name: 'rake' });
    expect(dicts[2]!.source_dict).toMatchObject({ script: 'echo hi\n', chroot: 'fedora-44-x86_64', builddeps: 'git' });
    expect(dicts[3]!.source_dict).toEqual({ clone_url: 'https://src.fedoraproject.org/rpms/hello', distgit: 'fedora', committish: 'f44' });
  });

  it('accepts pr and custom directories', async () => {
    const res = await createUrl(alice, 'p1', { project_dirname: 'p1:pr:12' });
    expect((res.body.items as Array<Record<string, unknown>>)[0]).toMatchObject({ project_dirname: 'p1:pr:12', repo_url: `${t.service.url}/results/alice/p1` });
  });
});

describe('bad submissions: 4xx and nothing written', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp]> = [
    ['unknown chroot', () => createUrl(alice, 'p2', { chroots: ['fedora-99-x86_64'] }), 400, /^chroots: 'fedora-99-x86_64' is not a valid choice for this field\.$/],
    ['bad dirname', () => createUrl(alice, 'p2', { project_dirname: 'other:pr:1' }), 400, /project_dirname/],
    ['non-numeric timeout', () => createUrl(alice, 'p2', { timeout: 'soon' }), 400, /^timeout: /],
    ['timeout out of range', () => createUrl(alice, 'p2', { timeout: '200000' }), 400, /^timeout: /],
    ['both batch options', () => createUrl(alice, 'p2', { after_build_id: '1', with_build_id: '1' }), 400, /Only one batch option/],
    ['missing auth', () => t.anon.send('POST', 'build/create/url', { json: { ...cliOptions('p2'), pkgs: ['https://e.com/x.src.rpm'] } }), 401, /Login invalid/],
    ["other user's project", () => createUrl(bob, 'p2'), 403, /permissions to build/],
    ['ftp URL', () => createUrl(alice, 'p2', { pkgs: ['ftp://example.com/x.src.rpm'] }), 400, /^pkgs: Invalid URL/],
    ['not an SRPM URL', () => createUrl(alice, 'p2', { pkgs: ['https://example.com/x.tar.gz'] }), 400, /Invalid URL/],
    ['no URL', () => createUrl(alice, 'p2', { pkgs: '' }), 400, /^pkgs: /],
    ['unknown project', () => createUrl(alice, 'nope'), 404, /Project alice\/nope does not exist/],
    ['scm without clone_url', () => alice.send('POST', 'build/create/scm', { json: cliOptions('p2') }), 400, /clone_url: This field is required/],
    ['check-before-build, bad chroot', () => alice.send('POST', 'build/check-before-build', { json: cliOptions('p2', { chroots: ['nope-1-x'] }) }), 400, /chroots/],
  ];
  for (const [name, send, status, message] of cases) {
    it(name, async () => {
      const wakes = rec.wakes;
      const res = await send();
      expect(res.status).toBe(status);
      expect(String(res.body.error)).toMatch(message);
      expect(await buildCount('p2')).toBe(0);
      expect(rec.wakes).toBe(wakes);
    });
  }

  it('refuses unsafe or wrong upload file names and stores nothing', async () => {
    for (const filename of ['evil name.src.rpm', '-rf.src.rpm', '.src.rpm', 'x.tar.gz', 'x.src.rpm;rm']) {
      const form = multipart([{ field: 'pkgs', filename, contentType: 'application/x-rpm', data: Buffer.from('x') }], cliOptions('p2'));
      const res = await alice.send('POST', 'build/create/upload', { raw: form });
      expect(res.status, filename).toBe(400);
      expect(String(res.body.error)).toMatch(/^pkgs: Invalid file name/);
    }
    // A path in the file name never reaches the store as a path: the multipart parser keeps only the basename.
    const sneaky = multipart([{ field: 'pkgs', filename: '../x.src.rpm', contentType: 'application/x-rpm', data: Buffer.from('x') }], cliOptions('p2', { chroots: ['nope-1-x'] }));
    expect((await alice.send('POST', 'build/create/upload', { raw: sneaky })).status).toBe(400);
    const badOptions = multipart([{ field: 'pkgs', filename: 'ok.src.rpm', contentType: 'application/x-rpm', data: Buffer.from('x') }], cliOptions('p2', { timeout: 'x' }));
    expect((await alice.send('POST', 'build/create/upload', { raw: badOptions })).status).toBe(400);
    expect(await buildCount('p2')).toBe(0);
    expect(await rec.results!.list('_uploads/')).not.toContainEqual(expect.stringMatching(/\/(ok|x)\.src\.rpm$/));
  });
});

describe('state through the lifecycle', () => {
  it('derives state, times, packages and result URLs from the tasks', async () => {
    const res = await createUrl(alice, 'p1', { chroots: ['fedora-44-x86_64', 'epel-10-aarch64'] });
    const id = Number((res.body.items as Array<Record<string, unknown>>)[0]!.id);
    const state = async () => (await t.anon.get(`build/${id}`)).body.state;
    expect(await state()).toBe('pending');
    expect((await t.anon.get(`build/source-chroot/${id}`)).body).toEqual({ state: 'pending', result_url: null });

    const srpm = await startTask(deps(), String(id));
    expect(await state()).toBe('running');
    expect((await t.anon.get(`build/source-chroot/${id}`)).body).toEqual({
      state: 'running',
      result_url: `${t.service.url}/results/alice/p1/srpm-builds/${String(id).padStart(8, '0')}/`,
    });
    await completeSrpm(deps(), srpm, 'hello', '1.0', '3');
    expect(await state()).toBe('pending');

    const rpm = await startTask(deps(), `${id}-fedora-44-x86_64`);
    expect(await state()).toBe('running');
    const nevra = { name: 'hello', epoch: null, version: '1.0', release: '3', arch: 'x86_64' };
    await completeRpm(deps(), rpm, 'succeeded', [nevra]);
    expect(await state()).toBe('pending');
    await finishRpm(deps(), id, 'epel-10-aarch64', 'failed');
    const b = (await t.anon.get(`build/${id}`)).body;
    expect(b).toMatchObject({
      state: 'failed',
      source_package: { name: 'hello', version: '1.0-3', url: `${t.service.url}/results/alice/p1/srpm-builds/${String(id).padStart(8, '0')}/hello-1.0-3.src.rpm` },
      chroots: ['epel-10-aarch64', 'fedora-44-x86_64'],
    });
    expect(b.started_on).toEqual(expect.any(Number));
    expect(b.ended_on).toEqual(expect.any(Number));
    expect((await t.anon.get(`build/built-packages/${id}`)).body).toEqual({
      'epel-10-aarch64': { packages: [] },
      'fedora-44-x86_64': { packages: [nevra] },
    });
    expect(rec.published).toContainEqual({ owner: 'alice', dirname: 'p1', chroot: 'fedora-44-x86_64', adds: [`${String(id).padStart(8, '0')}-hello`], devel: false });
  });
});

describe('cancel', () => {
  it('cancels a pending build at once and finishes its task; a second cancel is 409', async () => {
    const res = await createUrl(alice, 'p1');
    const id = Number((res.body.items as Array<Record<string, unknown>>)[0]!.id);
    expect((await bob.send('PUT', `build/cancel/${id}`)).status).toBe(403);
    const canceled = await alice.send('PUT', `build/cancel/${id}`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id, state: 'canceled' });
    expect((await t.anon.get(`build/${id}`)).body.state).toBe('canceled');
    expect(await deps().builds.getTask(String(id))).toMatchObject({ state: 'finished', outcome: 'canceled' });
    const again = await alice.send('PUT', `build/cancel/${id}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe(`Cannot cancel build ${id}`);
  });

  it('answers 404 for unknown builds', async () => {
    const res = await t.anon.get('build/99999999');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('Build 99999999 does not exist.');
    expect((await t.anon.get('build/abc')).status).toBe(404);
  });
});

describe('build list', () => {
  it('pages with offsets until an empty page and filters status before paging', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(Number(((await createUrl(alice, 'plist')).body.items as Array<{ id: number }>)[0]!.id));
    await alice.send('PUT', `build/cancel/${ids[1]}`);
    await alice.send('PUT', `build/cancel/${ids[3]}`);
    const seen: number[] = [];
    let offset = 0;
    for (let guard = 0; guard < 10; guard++) {
      const page = await t.anon.get('build/list', { ownername: 'alice', projectname: 'plist', limit: 2, offset: offset || undefined });
      expect(page.body.meta).toMatchObject({ limit: 2, offset });
      const items = page.body.items as Array<{ id: number }>;
      if (items.length === 0) break;
      seen.push(...items.map((b) => b.id));
      offset += 2;
    }
    expect(seen).toEqual(ids);
    const canceled = await t.anon.get('build/list', { ownername: 'alice', projectname: 'plist', status: 'canceled', limit: 1, offset: 1 });
    expect((canceled.body.items as Array<{ id: number }>).map((b) => b.id)).toEqual([ids[3]]);
    const desc = await t.anon.get('build/list', { ownername: 'alice', projectname: 'plist', order_type: 'DESC', limit: 1 });
    expect((desc.body.items as Array<{ id: number }>)[0]!.id).toBe(ids[4]);
    expect((await t.anon.get('build/list', { ownername: 'alice', projectname: 'plist', status: 'bogus' })).status).toBe(400);
    expect((await t.anon.get('build/list', { ownername: 'alice', projectname: 'nope' })).status).toBe(404);
  });
});

describe('package builds and resubmit', () => {
  it('rebuilds a package from its stored source with its denylist; no source → 400', async () => {
    const add = await alice.send('POST', 'package/add/alice/p1/rebuildme/scm', {
      query: { ownername: 'alice', projectname: 'p1', package_name: 'rebuildme', source_type_text: 'scm' },
      json: { package_name: 'rebuildme', clone_url: 'https://example.com/hello.git', committish: '', subdirectory: '', spec: '', scm_type: 'git', source_build_method: 'rpkg', max_builds: null, timeout: '1200', webhook_rebuild: null, chroot_denylist: 'epel-*' },
    });
    expect(add.status).toBe(200);
    const res = await alice.send('POST', 'package/build', {
      json: { ownername: 'alice', projectname: 'p1', package_name: 'rebuildme', project_dirname: 'p1', timeout: null, chroots: null, background: false, progress_callback: null, isolation: 'unchanged' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ chroots: ['fedora-44-x86_64', 'fedora-45-x86_64'], source_package: { name: 'rebuildme' }, state: 'pending' });
    const cfg = await t.anon.get(`build/source-build-config/${res.body.id}`);
    expect(cfg.body).toMatchObject({ source_type: 'scm', timeout: 1200, source_dict: { clone_url: 'https://example.com/hello.git' } });
    const pkg = await t.anon.get('package', { ownername: 'alice', projectname: 'p1', packagename: 'rebuildme', with_latest_build: true });
    expect((pkg.body.builds as { latest: { id: number } }).latest.id).toBe(res.body.id);

    await alice.send('PUT', 'package/reset', { json: { ownername: 'alice', projectname: 'p1', package_name: 'rebuildme' } });
    const before = await buildCount('p1');
    const none = await alice.send('POST', 'package/build', { json: { ownername: 'alice', projectname: 'p1', package_name: 'rebuildme' } });
    expect(none.status).toBe(400);
    expect(await buildCount('p1')).toBe(before);
    expect((await alice.send('POST', 'package/build', { json: { ownername: 'alice', projectname: 'p1', package_name: 'ghost' } })).status).toBe(404);
  });

  it('resubmits a build with the same source and options', async () => {
    const first = (await createUrl(alice, 'p1', { chroots: ['fedora-45-x86_64'], timeout: 600 })).body.items as Array<{ id: number }>;
    const res = await alice.send('POST', `build/resubmit/${first[0]!.id}`);
    expect(res.status).toBe(200);
    expect(res.body.id).not.toBe(first[0]!.id);
    expect(res.body.chroots).toEqual(['fedora-45-x86_64']);
    const cfg = await t.anon.get(`build/source-build-config/${res.body.id}`);
    expect(cfg.body).toMatchObject({ source_type: 'link', timeout: 600, source_dict: { url: 'https://example.com/hello-1.0-1.src.rpm' } });
    expect((await bob.send('POST', `build/resubmit/${first[0]!.id}`)).status).toBe(403);
  });
});

describe('delete', () => {
  async function finishedBuild(project: string): Promise<number> {
    const res = await createUrl(alice, project, { chroots: ['fedora-44-x86_64', 'fedora-45-x86_64'] });
    const id = Number((res.body.items as Array<{ id: number }>)[0]!.id);
    await finishSrpm(deps(), (await deps().builds.getBuild(id))!, 'hello');
    await finishRpm(deps(), id, 'fedora-44-x86_64', 'succeeded');
    await finishRpm(deps(), id, 'fedora-45-x86_64', 'failed');
    return id;
  }

  it('deletes a finished build: snapshot answer, rows, results and a republish', async () => {
    const id = await finishedBuild('pdel');
    const dir = `${String(id).padStart(8, '0')}-hello`;
    const before = (await t.anon.get(`build/${id}`)).body;
    expect((await bob.send('DELETE', `build/delete/${id}`)).status).toBe(403);
    const res = await alice.send('DELETE', `build/delete/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(before);
    expect((await t.anon.get(`build/${id}`)).status).toBe(404);
    expect(await deps().builds.getTask(String(id))).toBeNull();
    expect(await rec.results!.list(`alice/pdel/srpm-builds/${String(id).padStart(8, '0')}/`)).toEqual([]);
    // Never published: removed at once. Published: left to the publisher, after new metadata.
    expect(await rec.results!.list(`alice/pdel/fedora-45-x86_64/${dir}/`)).toEqual([]);
    expect(await rec.results!.exists(`alice/pdel/fedora-44-x86_64/${dir}/success`)).toBe(true);
    for (const chroot of ['fedora-44-x86_64', 'fedora-45-x86_64']) {
      expect(rec.published).toContainEqual({ owner: 'alice', dirname: 'pdel', chroot, adds: [], deletes: [dir], devel: false });
    }
  });

  it('refuses unfinished builds (500, as upstream) and persistent projects (403)', async () => {
    const pending = Number(((await createUrl(alice, 'pdel')).body.items as Array<{ id: number }>)[0]!.id);
    const res = await alice.send('DELETE', `build/delete/${pending}`);
    expect(res.status).toBe(500);
    expect(String(res.body.error)).toMatch(/not finished/);
    const kept = await finishedBuild('keep');
    expect((await alice.send('DELETE', `build/delete/${kept}`)).status).toBe(403);
    expect((await t.anon.get(`build/${pending}`)).status).toBe(200);
    expect((await t.anon.get(`build/${kept}`)).status).toBe(200);
  });

  it('delete/list is all or nothing: 400 naming ids per reason, else an echo', async () => {
    const a = await finishedBuild('pdel');
    const b = await finishedBuild('pdel');
    const pending = Number(((await createUrl(alice, 'pdel')).body.items as Array<{ id: number }>)[0]!.id);
    const bad = await alice.send('DELETE', 'build/delete/list', { json: { builds: [a, pending, 99999998] } });
    expect(bad.status).toBe(400);
    expect(String(bad.body.error).split('\n').sort()).toEqual([`Builds that are not finished yet: ${pending}`, 'Builds that do not exist: 99999998']);
    expect((await t.anon.get(`build/${a}`)).status).toBe(200);
    const ok = await alice.send('DELETE', 'build/delete/list', { json: { builds: [a, b] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ builds: [a, b] });
    expect((await t.anon.get(`build/${a}`)).status).toBe(404);
    expect((await t.anon.get(`build/${b}`)).status).toBe(404);
  });
});

describe('recent builds (ours, for the dashboard)', () => {
  it('lists the newest builds of all projects, newest first, and checks the limit', async () => {
    // Two fresh builds in two projects: they are the newest of all.
    const first = (await createUrl(alice, 'p1')).body as { items: Array<{ id: number }> };
    const second = (await createUrl(alice, 'p2')).body as { items: Array<{ id: number }> };
    const newest = [second.items[0]!.id, first.items[0]!.id];
    const res = await t.anon.get<{ items: Array<{ id: number }>; meta: Record<string, unknown> }>('build/recent', { limit: 2 });
    expect(res.status).toBe(200);
    expect(res.body.items.map((b) => b.id)).toEqual(newest);
    expect(res.body.meta).toMatchObject({ limit: 2, order_type: 'DESC' });
    expect((await t.anon.get('build/recent', { limit: 0 })).status).toBe(400);
    expect((await t.anon.get('build/recent', { limit: 'x' })).status).toBe(400);
  });
});
