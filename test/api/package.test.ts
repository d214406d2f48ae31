import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { submitBuild } from '../../functions/core/builds.js';
import { finishRpm, finishSrpm, newRecorder, recordingBuildsPlugin } from './build-support.js';

/**
 * Package endpoints against the real local server and DynamoDB Local, replaying
 * copr-cli 2.5's requests (spec: copr-cli-requests.md, copr-wire-contract.md §2.6, §5).
 */

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
let carol: CoprClient;
let dave: CoprClient;

const rec = newRecorder();

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  bob = await t.user('bob');
  carol = await t.user('carol');
  dave = await t.user('dave');
  expect((await createProject(alice, 'alice', 'pkgs', { chroots: ['fedora-44-x86_64', 'epel-10-aarch64'] })).status).toBe(200);
  await t.service.ctx.store.putPermissions([
    { ownername: 'alice', projectname: 'pkgs', username: 'carol', admin: 'approved', builder: 'nothing' },
    { ownername: 'alice', projectname: 'pkgs', username: 'dave', admin: 'nothing', builder: 'approved' },
  ]);
});
afterAll(() => t.stop());

type Pkg = {
  id: number;
  name: string;
  source_type: string;
  source_dict: Record<string, unknown>;
  auto_rebuild: boolean;
  builds: { latest: unknown; latest_succeeded: unknown };
};

/** `copr-cli add-package-<type>` / `edit-package-<type>`: path params repeated in the query. */
function packageWrite(c: CoprClient, verb: 'add' | 'edit', owner: string, project: string, name: string, type: string, data: Record<string, unknown>) {
  return c.send<Record<string, unknown>>('POST', `package/${verb}/${owner}/${project}/${name}/${type}`, {
    query: { ownername: owner, projectname: project, package_name: name, source_type_text: type },
    json: { package_name: decodeURIComponent(name), ...data },
  });
}

const COMMON = { max_builds: null, timeout: null, webhook_rebuild: null };

function scmBody(over: Record<string, unknown> = {}) {
  return {
    clone_url: 'https://example.com/x.git',
    committish: '',
    subdirectory: '',
    spec: '',
    scm_type: 'git',
    source_build_method: 'rpkg',
    ...COMMON,
    ...over,
  };
}

/** `copr-cli get-package`. */
function getPackage(name: string, flags = false, project = 'pkgs') {
  return t.anon.get<Pkg>('package', {
    ownername: 'alice',
    projectname: project,
    packagename: name,
    with_latest_build: flags,
    with_latest_succeeded_build: flags,
  });
}

/** `copr-cli list-packages`: limit=1000 (or `limit`), then offset loops until a page is empty. */
async function listAll(limit = 1000, flags = false, extra: Record<string, string> = {}): Promise<{ items: Pkg[]; requests: number }> {
  const items: Pkg[] = [];
  let offset: number | undefined;
  for (let requests = 1; requests < 50; requests++) {
    const res = await t.anon.get<{ items: Pkg[]; meta: { limit: number; offset: number } }>('package/list', {
      ownername: 'alice',
      projectname: 'pkgs',
      with_latest_build: flags,
      with_latest_succeeded_build: flags,
      limit,
      offset,
      ...extra,
    });
    expect(res.status).toBe(200);
    if (res.body.items.length === 0) return { items, requests };
    items.push(...res.body.items);
    offset = res.body.meta.offset + res.body.meta.limit;
  }
  throw new Error('pagination never ended');
}

describe('add-package-*', () => {
  it('add-package-scm: the exact copr-cli request creates the package; the response is a full Package', async () => {
    const res = await packageWrite(alice, 'add', 'alice', 'pkgs', 'hello-scm', 'scm', scmBody());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'hello-scm',
      ownername: 'alice',
      projectname: 'pkgs',
      source_type: 'scm',
      source_dict: {
        type: 'git',
        clone_url: 'https://example.com/x.git',
        committish: '',
        subdirectory: '',
        spec: '',
        source_build_method: 'rpkg',
      },
      auto_rebuild: false,
      builds: { latest: null, latest_succeeded: null },
    });
    const got = await getPackage('hello-scm');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it('add-package-pypi / -rubygems / -custom / -distgit store the builder keys', async () => {
    const pypi = await packageWrite(alice, 'add', 'alice', 'pkgs', 'python-foo', 'pypi', {
      pypi_package_name: 'foo',
      pypi_package_version: null,
      spec_generator: 'pyp2spec',
      spec_template: null,
      python_versions: [3, 2],
      ...COMMON,
    });
    expect(pypi.status).toBe(200);
    const gem = await packageWrite(alice, 'add', 'alice', 'pkgs', 'rubygem-rake', 'rubygems', { gem_name: 'rake', ...COMMON, webhook_rebuild: true });
    expect(gem.status).toBe(200);
    const custom = await packageWrite(alice, 'add', 'alice', 'pkgs', 'scripted', 'custom', {
      script: '#!/bin/sh\nexit 0',
      script_chroot: 'fedora-44-x86_64',
      script_builddeps: 'git make',
      script_resultdir: 'out',
      script_repos: 'https://example.com/repo',
      max_builds: 5,
      timeout: '3600',
      webhook_rebuild: null,
    });
    expect(custom.status).toBe(200);
    const distgit = await packageWrite(alice, 'add', 'alice', 'pkgs', 'tar', 'distgit', {
      distgit: 'fedora',
      namespace: null,
      committish: 'f44',
      ...COMMON,
    });
    expect(distgit.status).toBe(200);

    expect((await getPackage('python-foo')).body).toMatchObject({
      source_type: 'pypi',
      source_dict: { pypi_package_name: 'foo', pypi_package_version: null, spec_generator: 'pyp2spec', spec_template: '', python_versions: ['3', '2'] },
    });
    expect((await getPackage('rubygem-rake')).body).toMatchObject({ source_type: 'rubygems', source_dict: { gem_name: 'rake' }, auto_rebuild: true });
    expect((await getPackage('scripted')).body).toMatchObject({
      source_type: 'custom',
      source_dict: { script: '#!/bin/sh\nexit 0\n', chroot: 'fedora-44-x86_64', builddeps: 'git make', resultdir: 'out', repos: 'https://example.com/repo' },
    });
    const stored = await t.service.ctx.store.getPackage('alice', 'pkgs', 'scripted');
    expect(stored).toMatchObject({ max_builds: 5, timeout: 3600 });
    expect((await getPackage('tar')).body).toMatchObject({
      source_type: 'distgit',
      source_dict: { clone_url: 'https://src.fedoraproject.org/rpms/tar', distgit: 'fedora', committish: 'f44' },
    });
  });

  it('a project admin (permission) may add; ids are distinct', async () => {
    const res = await packageWrite(carol, 'add', 'alice', 'pkgs', 'by-carol', 'rubygems', { gem_name: 'carol', ...COMMON });
    expect(res.status).toBe(200);
    const ids = (await listAll()).items.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('chroot_denylist: patterns must match a project chroot and must not exclude all', async () => {
    const ok = await packageWrite(alice, 'add', 'alice', 'pkgs', 'deny-ok', 'rubygems', { gem_name: 'x', chroot_denylist: 'epel-*, epel-1?-aarch64' });
    expect(ok.status).toBe(200);
    expect((await t.service.ctx.store.getPackage('alice', 'pkgs', 'deny-ok'))?.chroot_denylist).toEqual(['epel-*', 'epel-1?-aarch64']);
    const none = await packageWrite(alice, 'add', 'alice', 'pkgs', 'deny-bad', 'rubygems', { gem_name: 'x', chroot_denylist: 'centos-*' });
    expect(none.status).toBe(400);
    expect(none.body.error).toBe("chroot_denylist: Pattern 'centos-*' does not match any chroot of this project");
    const all = await packageWrite(alice, 'add', 'alice', 'pkgs', 'deny-bad', 'rubygems', { gem_name: 'x', chroot_denylist: 'epel-*,fedora-*' });
    expect(all.status).toBe(400);
    expect(all.body.error).toMatch(/exclude every chroot/);
    expect((await getPackage('deny-bad')).status).toBe(404);
  });
});

describe('bad input changes nothing', () => {
  it('rejects invalid names, unknown types, oversize scripts, wrong types, duplicates', async () => {
    const before = (await listAll()).items;
    const add = (c: CoprClient, name: string, type: string, data: Record<string, unknown>) => packageWrite(c, 'add', 'alice', 'pkgs', name, type, data);
    const cases: Array<[string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp]> = [
      ['encoded ../x', add(alice, '..%2Fx', 'scm', scmBody()), 400, /^package_name: Please enter a valid package name/],
      ['encoded a/b', add(alice, 'a%2Fb', 'scm', scmBody()), 400, /^package_name:/],
      ['raw a/b', add(alice, 'a/b', 'scm', scmBody()), 404, /Such API endpoint doesn't exist/],
      ['space in name', add(alice, 'a%20b', 'scm', scmBody()), 400, /^package_name:/],
      ['body name mismatch', alice.send('POST', 'package/add/alice/pkgs/good/scm', { json: { package_name: 'other', ...scmBody() } }), 400, /^package_name:/],
      ['unknown source type', add(alice, 'y1', 'foo', scmBody()), 400, /^Unsupported package source type foo$/],
      ['link is not a package type', add(alice, 'y2', 'link', { url: 'https://e.com/x.src.rpm' }), 400, /^Unsupported package source type link$/],
      ['oversize script', add(alice, 'y3', 'custom', { script: 'x'.repeat(5000) }), 400, /^script:/],
      ['missing clone_url', add(alice, 'y4', 'scm', scmBody({ clone_url: null })), 400, /^clone_url: This field is required\.$/],
      ['file clone_url', add(alice, 'y5', 'scm', scmBody({ clone_url: 'file:///etc/passwd' })), 400, /^clone_url:/],
      ['clone_url wrong type', add(alice, 'y6', 'scm', scmBody({ clone_url: 5 })), 400, /^clone_url:/],
      ['max_builds wrong type', add(alice, 'y7', 'scm', scmBody({ max_builds: 'lots' })), 400, /^max_builds:/],
      ['max_builds too big', add(alice, 'y8', 'scm', scmBody({ max_builds: 101 })), 400, /^max_builds:/],
      ['webhook_rebuild not a bool', add(alice, 'y9', 'scm', scmBody({ webhook_rebuild: 'maybe' })), 400, /^webhook_rebuild:/],
      ['scm_type enum', add(alice, 'y10', 'scm', scmBody({ scm_type: 'hg' })), 400, /^scm_type:/],
      ['source_build_method enum', add(alice, 'y11', 'scm', scmBody({ source_build_method: 'sh' })), 400, /^source_build_method:/],
      ['spec_generator enum', add(alice, 'y12', 'pypi', { pypi_package_name: 'foo', spec_generator: 'x' }), 400, /^spec_generator:/],
      ['python_versions', add(alice, 'y13', 'pypi', { pypi_package_name: 'foo', python_versions: ['4'] }), 400, /^python_versions/],
      ['custom chroot unknown', add(alice, 'y14', 'custom', { script: 'x', script_chroot: 'fedora-1-x86_64' }), 400, /^script_chroot: Not a valid choice/],
      ['body not JSON object', alice.send('POST', 'package/add/alice/pkgs/y15/scm', { json: [1, 2] }), 400, /JSON object/],
      ['duplicate', add(alice, 'hello-scm', 'scm', scmBody()), 409, /already has a package 'hello-scm'/],
      ['no auth', add(t.anon, 'y16', 'scm', scmBody()), 401, /^Login invalid\/expired/],
      ['someone else\'s project', add(bob, 'y17', 'scm', scmBody()), 403, /^You are not allowed to add or edit packages in this copr\.$/],
      ['builder permission only', add(dave, 'y18', 'scm', scmBody()), 403, /^You are not allowed to add or edit packages in this copr\.$/],
      ['missing project', packageWrite(alice, 'add', 'alice', 'nope', 'y19', 'scm', scmBody()), 404, /^Project alice\/nope does not exist\.$/],
    ];
    for (const [label, pending, status, msg] of cases) {
      const res = await pending;
      expect(res.status, label).toBe(status);
      expect(String(res.body.error), label).toMatch(msg);
    }
    const after = (await listAll()).items;
    expect(after).toEqual(before);
  });

  it('edit, reset and delete by outsiders or with bad input change nothing', async () => {
    const before = (await getPackage('hello-scm')).body;
    const attempts = [
      packageWrite(bob, 'edit', 'alice', 'pkgs', 'hello-scm', 'scm', scmBody({ committish: 'evil' })),
      packageWrite(alice, 'edit', 'alice', 'pkgs', 'hello-scm', 'scm', { committish: '--upload-pack=x' }),
      packageWrite(alice, 'edit', 'alice', 'pkgs', 'hello-scm', 'upload', {}),
      bob.send('PUT', 'package/reset', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'hello-scm' } }),
      bob.send('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'hello-scm' } }),
      dave.send('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'hello-scm' } }),
      t.anon.send('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'hello-scm' } }),
      alice.send('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs' } }),
    ];
    const statuses = [];
    for (const p of attempts) {
      const res = await p;
      expect(res.body.error).toBeTypeOf('string');
      statuses.push(res.status);
    }
    expect(statuses).toEqual([403, 400, 400, 403, 403, 403, 401, 400]);
    expect((await getPackage('hello-scm')).body).toEqual(before);
  });
});

describe('edit-package-*', () => {
  it('merges: fields not sent keep their stored values', async () => {
    await packageWrite(alice, 'add', 'alice', 'pkgs', 'merge-me', 'scm', scmBody({ committish: 'main', spec: 'x.spec', source_build_method: 'tito' }));
    // copr-cli edit-package-scm with only --commit and --webhook-rebuild on: unset options are null.
    const res = await packageWrite(alice, 'edit', 'alice', 'pkgs', 'merge-me', 'scm', {
      clone_url: null,
      committish: 'dev',
      subdirectory: null,
      spec: null,
      scm_type: null,
      source_build_method: null,
      max_builds: null,
      timeout: null,
      webhook_rebuild: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      auto_rebuild: true,
      source_dict: { type: 'git', clone_url: 'https://example.com/x.git', committish: 'dev', spec: 'x.spec', source_build_method: 'tito' },
    });
    expect((await getPackage('merge-me')).body).toEqual(res.body);
  });

  it('edit without the source_type segment keeps the type; switching type replaces the source', async () => {
    const res = await alice.send<Pkg>('POST', 'package/edit/alice/pkgs/merge-me', { json: { package_name: 'merge-me', subdirectory: 'pkg' } });
    expect(res.status).toBe(200);
    expect(res.body.source_dict).toMatchObject({ committish: 'dev', subdirectory: 'pkg' });
    const switched = await packageWrite(alice, 'edit', 'alice', 'pkgs', 'merge-me', 'rubygems', { gem_name: 'now-a-gem', ...COMMON });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ source_type: 'rubygems', source_dict: { gem_name: 'now-a-gem' }, auto_rebuild: true });
  });

  it('edit of a missing package is 404 with the Copr message', async () => {
    const res = await packageWrite(alice, 'edit', 'alice', 'pkgs', 'ghost', 'scm', scmBody());
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('No package with name ghost in copr pkgs');
    expect((await getPackage('ghost')).status).toBe(404);
  });
});

describe('list-packages, list-package-names, get-package', () => {
  it('pages like copr-cli: limit=1000 then an empty page; small limits walk every page', async () => {
    const big = await listAll();
    expect(big.requests).toBe(2);
    const names = big.items.map((p) => p.name);
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const p of big.items) expect(p.builds).toEqual({ latest: null, latest_succeeded: null });
    const small = await listAll(3);
    expect(small.items.map((p) => p.name)).toEqual(names);
    expect(small.requests).toBe(Math.ceil(names.length / 3) + 1);
    const byName = await listAll(1000, false, { order: 'name', order_type: 'DESC' });
    expect(byName.items.map((p) => p.name)).toEqual([...names].sort().reverse());
  });

  it('with_latest_build=True fills builds from the builds view; False leaves nulls', async () => {
    // One succeeded build of hello-scm, through the real lifecycle (no builder runs).
    const deps = rec.deps!;
    const user = (await t.service.ctx.store.getUser('alice'))!;
    const sub = { ownername: 'alice', projectname: 'pkgs', source_type: 'scm' as const, source_dict: {}, package_name: 'hello-scm', options: { chroots: ['fedora-44-x86_64'] } };
    const built = await submitBuild(deps, { user }, sub);
    await finishSrpm(deps, built, 'hello-scm');
    await finishRpm(deps, built.id, 'fedora-44-x86_64', 'succeeded');
    const FAKE_BUILD = (await t.anon.get(`build/${built.id}`)).body;
    expect(FAKE_BUILD).toMatchObject({ id: built.id, state: 'succeeded' });
    const withBuilds = await listAll(1000, true);
    const hello = withBuilds.items.find((p) => p.name === 'hello-scm');
    expect(hello?.builds).toEqual({ latest: FAKE_BUILD, latest_succeeded: FAKE_BUILD });
    expect(withBuilds.items.find((p) => p.name === 'tar')?.builds).toEqual({ latest: null, latest_succeeded: null });
    expect((await getPackage('hello-scm', true)).body.builds).toEqual({ latest: FAKE_BUILD, latest_succeeded: FAKE_BUILD });
    expect((await getPackage('hello-scm', false)).body.builds).toEqual({ latest: null, latest_succeeded: null });
  });

  it('answers Copr errors for missing arguments, projects and packages, and bad order columns', async () => {
    expect((await t.anon.get('package', { ownername: 'alice', projectname: 'pkgs' })).status).toBe(400);
    const missing = await t.anon.get('package', { ownername: 'alice', projectname: 'pkgs', packagename: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('No package with name nope in copr pkgs');
    expect((await t.anon.get('package/list', { ownername: 'alice', projectname: 'nope' })).status).toBe(404);
    const bad = await t.anon.get('package/list', { ownername: 'alice', projectname: 'pkgs', order: 'source_json' });
    expect(bad.status).toBe(500);
    expect(bad.body.error).toBe("Cannot order by source_json, Package doesn't have such property");
  });
});

describe('reset-package, delete-package', () => {
  it('reset clears the source to unset and keeps the package settings', async () => {
    const res = await alice.send<Pkg>('PUT', 'package/reset', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'rubygem-rake' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'rubygem-rake', source_type: 'unset', source_dict: {}, auto_rebuild: true });
    expect((await getPackage('rubygem-rake')).body).toEqual(res.body);
    // A reset package has no type to edit without naming one.
    const edit = await alice.send('POST', 'package/edit/alice/pkgs/rubygem-rake', { json: { package_name: 'rubygem-rake' } });
    expect(edit.status).toBe(400);
    expect(edit.body.error).toBe('Unsupported package source type unset');
  });

  it('delete: DELETE with a JSON body returns the package as it was, then it is gone', async () => {
    const before = (await getPackage('python-foo')).body;
    const res = await alice.send<Pkg>('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'python-foo' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(before);
    expect((await getPackage('python-foo')).status).toBe(404);
    const again = await alice.send('DELETE', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'python-foo' } });
    expect(again.status).toBe(404);
    expect((await listAll()).items.map((p) => p.name)).not.toContain('python-foo');
  });

  it('older clients POST to reset and delete', async () => {
    const res = await carol.send<Pkg>('POST', 'package/delete', { json: { ownername: 'alice', projectname: 'pkgs', package_name: 'by-carol' } });
    expect(res.status).toBe(200);
    expect((await getPackage('by-carol')).status).toBe(404);
  });
});
