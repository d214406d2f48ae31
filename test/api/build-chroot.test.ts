import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { completeRpm, finishRpm, finishSrpm, newRecorder, recordingBuildsPlugin, startTask, type Recorder } from './build-support.js';

let t: TestService;
let alice: CoprClient;
const rec: Recorder = newRecorder();
const deps = () => rec.deps!;
const pad = (id: number) => String(id).padStart(8, '0');

async function submit(chroots: string[] | null, dirname = 'mon'): Promise<number> {
  const res = await alice.send('POST', 'build/create/url', {
    json: { ownername: 'alice', projectname: 'mon', project_dirname: dirname, timeout: null, chroots, background: false, isolation: 'unchanged', pkgs: ['https://example.com/x-1-1.src.rpm'] },
  });
  expect(res.status).toBe(200);
  return Number((res.body.items as Array<{ id: number }>)[0]!.id);
}

let done: number; // hello: f44 succeeded, f45 failed
let newer: number; // hello again: f44 running
let other: number; // world: f44 succeeded, in a pr directory

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec)] });
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'mon', { chroots: ['fedora-44-x86_64', 'fedora-45-x86_64'], additional_repos: ['https://example.com/extra/'] })).status).toBe(200);
  const nevra = { name: 'hello', epoch: 1, version: '2.0', release: '1', arch: 'x86_64' };
  done = await submit(['fedora-44-x86_64', 'fedora-45-x86_64']);
  await finishSrpm(deps(), (await deps().builds.getBuild(done))!, 'hello', '2.0', '1');
  await finishRpm(deps(), done, 'fedora-44-x86_64', 'succeeded', [nevra]);
  await finishRpm(deps(), done, 'fedora-45-x86_64', 'failed');
  newer = await submit(['fedora-44-x86_64']);
  await finishSrpm(deps(), (await deps().builds.getBuild(newer))!, 'hello', '2.1', '1');
  await startTask(deps(), `${newer}-fedora-44-x86_64`);
  other = await submit(['fedora-44-x86_64'], 'mon:pr:7');
  await finishSrpm(deps(), (await deps().builds.getBuild(other))!, 'world');
  await completeRpm(deps(), await startTask(deps(), `${other}-fedora-44-x86_64`), 'succeeded');
});
afterAll(() => t.stop());

describe('build-chroot', () => {
  it('answers a BuildChroot by query and by the legacy path', async () => {
    const expected = {
      name: 'fedora-44-x86_64',
      state: 'succeeded',
      started_on: expect.any(Number),
      ended_on: expect.any(Number),
      result_url: `${t.service.url}/results/alice/mon/fedora-44-x86_64/${pad(done)}-hello/`,
    };
    const q = await t.anon.get('build-chroot', { build_id: done, chrootname: 'fedora-44-x86_64' });
    expect(q.body).toEqual(expected);
    expect((await t.anon.get(`build-chroot/${done}/fedora-44-x86_64`, { build_id: done, chrootname: 'fedora-44-x86_64' })).body).toEqual(q.body);
    const missing = await t.anon.get('build-chroot', { build_id: done, chrootname: 'epel-9-x86_64' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe(`Build ${done} was not submitted to epel-9-x86_64 chroot.`);
    expect((await t.anon.get('build-chroot', { build_id: 99999999, chrootname: 'fedora-44-x86_64' })).status).toBe(404);
    expect((await t.anon.get('build-chroot', { chrootname: 'fedora-44-x86_64' })).status).toBe(400);
  });

  it('result_url stays null until a result dir exists', async () => {
    const fresh = await submit(['fedora-45-x86_64']);
    expect((await t.anon.get('build-chroot', { build_id: fresh, chrootname: 'fedora-45-x86_64' })).body).toMatchObject({ state: 'waiting', result_url: null });
    await alice.send('PUT', `build/cancel/${fresh}`);
  });

  it('lists build chroots with pagination and the legacy path', async () => {
    const all = await t.anon.get('build-chroot/list', { build_id: done });
    expect((all.body.items as Array<{ name: string }>).map((c) => c.name)).toEqual(['fedora-44-x86_64', 'fedora-45-x86_64']);
    expect(all.body.meta).toEqual({ limit: null, offset: 0, order: 'id', order_type: 'ASC' });
    const names: string[] = [];
    for (let offset = 0; ; offset += 1) {
      const page = await t.anon.get(`build-chroot/list/${done}`, { build_id: done, limit: 1, offset, order: 'name' });
      const items = page.body.items as Array<{ name: string }>;
      if (items.length === 0) break;
      names.push(...items.map((c) => c.name));
      if (offset > 5) throw new Error('pagination does not end');
    }
    expect(names).toEqual(['fedora-44-x86_64', 'fedora-45-x86_64']);
  });

  it('answers the build config of a build chroot, leaving out null keys', async () => {
    const cfg = await t.anon.get('build-chroot/build-config', { build_id: other, chrootname: 'fedora-44-x86_64' });
    expect(cfg.status).toBe(200);
    expect(cfg.body).toEqual({
      repos: [
        { id: 'copr_base', name: 'Copr repository', baseurl: `${t.service.url}/results/alice/mon/fedora-44-x86_64/`, repo_gpgcheck: false },
        { id: 'copr_coprdir', name: 'Copr repository for this directory', baseurl: `${t.service.url}/results/alice/mon:pr:7/fedora-44-x86_64/`, repo_gpgcheck: false },
        { id: 'https_example_com_extra', name: 'Additional repo https_example_com_extra', baseurl: 'https://example.com/extra/' },
      ],
      additional_repos: ['copr://alice/mon', 'https://example.com/extra/'],
      additional_packages: [],
      with_opts: [],
      without_opts: [],
      memory_limit: 2048,
      timeout: 18000,
      enable_net: false,
      is_background: false,
    });
    const legacy = await t.anon.get(`build-chroot/build-config/${other}/fedora-44-x86_64`);
    expect(legacy.body).toEqual(cfg.body);
  });

  it('answers built packages per chroot and per build', async () => {
    const nevra = { name: 'hello', epoch: 1, version: '2.0', release: '1', arch: 'x86_64' };
    expect((await t.anon.get('build-chroot/built-packages', { build_id: done, chrootname: 'fedora-44-x86_64' })).body).toEqual({ packages: [nevra] });
    expect((await t.anon.get(`build/built-packages/${done}`)).body).toEqual({
      'fedora-44-x86_64': { packages: [nevra] },
      'fedora-45-x86_64': { packages: [] },
    });
  });
});

describe('monitor', () => {
  it('shows per package and chroot the newest build of the directory', async () => {
    const res = await t.anon.get('monitor', { ownername: 'alice', projectname: 'mon', 'additional_fields[]': ['url_build_log', 'url_backend_log', 'url_build'] });
    expect(res.status).toBe(200);
    const base = `${t.service.url}/results/alice/mon`;
    expect(res.body).toEqual({
      output: 'ok',
      message: 'Project monitor request successful',
      packages: [
        {
          name: 'hello',
          chroots: {
            'fedora-44-x86_64': {
              build_id: newer,
              state: 'running',
              status: 3,
              pkg_version: '2.1-1',
              url_build_log: `${base}/fedora-44-x86_64/${pad(newer)}-hello/builder-live.log`,
              url_backend_log: `${base}/fedora-44-x86_64/${pad(newer)}-hello/backend.log`,
            },
            'fedora-45-x86_64': {
              build_id: done,
              state: 'failed',
              status: 0,
              pkg_version: '2.0-1',
              url_build_log: `${base}/fedora-45-x86_64/${pad(done)}-hello/builder-live.log.gz`,
              url_backend_log: `${base}/fedora-45-x86_64/${pad(done)}-hello/backend.log.gz`,
            },
          },
        },
      ],
    });
  });

  it('reads another directory, and refuses unknown directories and fields', async () => {
    const pr = await t.anon.get('monitor', { ownername: 'alice', projectname: 'mon', project_dirname: 'mon:pr:7' });
    expect(pr.body.packages).toEqual([
      { name: 'world', chroots: { 'fedora-44-x86_64': { build_id: other, state: 'succeeded', status: 1, pkg_version: '1.0-1' } } },
    ]);
    expect((await t.anon.get('monitor', { ownername: 'alice', projectname: 'mon', project_dirname: 'mon:pr:8' })).status).toBe(404);
    expect((await t.anon.get('monitor', { ownername: 'alice', projectname: 'mon', project_dirname: 'x:pr:8' })).status).toBe(400);
    const bad = await t.anon.get('monitor', { ownername: 'alice', projectname: 'mon', 'additional_fields[]': ['url_build', 'nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('Wrong additional_fields argument(s): nope');
    expect((await t.anon.get('monitor', { ownername: 'alice', projectname: 'ghost' })).status).toBe(404);
  });
});

describe('status/queue', () => {
  it('lists pending, starting and running tasks from the queue indexes', async () => {
    const queued = await submit(null);
    const starting = await submit(['fedora-45-x86_64']);
    await deps().builds.claimTask(String(starting), { builder_id: 'b1', credential_hash: 'ab', credential_expires: Date.now() + 60_000, now: Date.now() });
    const res = await t.anon.get('status/queue');
    expect(res.status).toBe(200);
    const item = (id: number, chroot: string) => ({ build_id: id, task_id: chroot === 'srpm-builds' ? String(id) : `${id}-${chroot}`, chroot, owner: 'alice', project: 'mon', arch: 'x86_64' });
    expect(res.body.pending).toContainEqual(item(queued, 'srpm-builds'));
    expect(res.body.starting).toContainEqual(item(starting, 'srpm-builds'));
    expect(res.body.running).toContainEqual(item(newer, 'fedora-44-x86_64'));
    expect(res.body.pending).not.toContainEqual(item(starting, 'srpm-builds'));
  });
});
