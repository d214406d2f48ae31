import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockChroot } from '../../functions/core/mock-chroots.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/** The `.repo` files dnf's copr plugin downloads and the dnf5 plugin's rpmrepo JSON. */
let t: TestService;
let alice: CoprClient;
let bob: CoprClient;

const get = (path: string) => fetch(`${t.service.url}${path}`);

beforeAll(async () => {
  t = await startTestService();
  // An i386 counterpart, so the multilib section has something to point at.
  await t.service.ctx.store.putMockChroot(mockChroot('fedora-44-i386'));
  alice = await t.user('alice');
  bob = await t.user('bob', { groups: ['team'] });
  expect((await createProject(alice, 'alice', 'demo', { chroots: ['fedora-44-x86_64', 'epel-10-x86_64'] })).status).toBe(200);
  expect((await createProject(alice, 'alice', 'dep', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
  const ml = await createProject(alice, 'alice', 'ml', {
    chroots: ['fedora-44-x86_64', 'fedora-44-i386'],
    multilib: true,
    module_hotfixes: true,
    repo_priority: 5,
    runtime_dependencies: ['copr://alice/dep', 'copr://alice/gone', 'https://example.com/$distname/repo/?priority=3'],
  });
  expect(ml.status).toBe(200);
  expect((await createProject(bob, '@team', 'gp', { chroots: ['epel-10-x86_64'] })).status).toBe(200);
});
afterAll(() => t.stop());

describe('GET /coprs/<owner>/<dirname>/repo/<name_release>/<anything>', () => {
  it('serves the .repo file with gpgcheck and repo_gpgcheck, as text/plain with a filename', async () => {
    const res = await get('/coprs/alice/demo/repo/fedora-44/alice-demo-fedora-44.repo');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('content-disposition')).toBe('filename=alice-demo.repo');
    const repo = `${t.service.config.RESULTS_BASE_URL}/alice/demo`;
    expect(await res.text()).toBe(
      [
        '[copr:127.0.0.1:alice:demo]',
        'name=Copr repo for demo owned by alice',
        `baseurl=${repo}/fedora-$releasever-$basearch/`,
        'type=rpm-md',
        'skip_if_unavailable=True',
        'gpgcheck=1',
        `gpgkey=${repo}/pubkey.gpg`,
        'repo_gpgcheck=1',
        'enabled=1',
        'enabled_metadata=1',
        '',
      ].join('\n'),
    );
    // The last segment is free, or absent; EPEL keeps its literal version.
    const epel = await get('/coprs/alice/demo/repo/epel-10');
    expect(epel.status).toBe(200);
    expect(await epel.text()).toContain(`baseurl=${repo}/epel-10-$basearch/`);
  });

  it('what dnf copr enable asks for: ?arch on a multilib project adds the :ml section; dependencies follow', async () => {
    const res = await get('/coprs/alice/ml/repo/fedora-44/dnf.repo?arch=x86_64');
    expect(res.status).toBe(200);
    const body = await res.text();
    const ids = [...body.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]);
    expect(ids).toEqual(['copr:127.0.0.1:alice:ml', 'copr:127.0.0.1:alice:ml:ml', 'coprdep:127.0.0.1:alice:dep', 'coprdep:https_example_com_distname_repo_priority_3']);
    expect(body).toContain(`baseurl=${t.service.config.RESULTS_BASE_URL}/alice/ml/fedora-$releasever-i386/\n`);
    expect(body).toContain('cost=1100');
    expect(body).toContain('module_hotfixes=1');
    expect(body).toContain('priority=5');
    expect(body).toContain('baseurl=https://example.com/fedora/repo/\n');
    expect(body).toContain("runtime dependency on a Copr project alice/gone but that doesn't exist");
    // Without ?arch there is no multilib section.
    const plain = await (await get('/coprs/alice/ml/repo/fedora-44/')).text();
    expect(plain).not.toContain('[copr:127.0.0.1:alice:ml:ml]');
  });

  it('an unknown name_release is a 404 whose Copr-Error-Data lists the available chroots', async () => {
    const res = await get('/coprs/alice/demo/repo/fedora-45/dnf.repo?arch=x86_64');
    expect(res.status).toBe(404);
    const data = res.headers.get('copr-error-data');
    expect(data).not.toBeNull();
    expect(Buffer.from(data!, 'base64').toString('utf8')).toBe('{"available chroots": ["epel-10-x86_64", "fedora-44-x86_64"]}');
    expect(await res.text()).toContain('Chroot fedora-45-x86_64 does not exist in alice/demo.');
    // A wrong arch of an existing release, and nonsense in ?arch, are 404s too.
    expect((await get('/coprs/alice/demo/repo/fedora-44/dnf.repo?arch=aarch64')).status).toBe(404);
    expect((await get('/coprs/alice/demo/repo/fedora-44/dnf.repo?arch=..%2F')).status).toBe(404);
  });

  it('an unknown project is a 404 without Copr-Error-Data (dnf then says the project does not exist)', async () => {
    const res = await get('/coprs/alice/nope/repo/fedora-44/dnf.repo');
    expect(res.status).toBe(404);
    expect(res.headers.get('copr-error-data')).toBeNull();
  });

  it('serves group projects under /coprs/g/<group>/', async () => {
    const res = await get('/coprs/g/team/gp/repo/epel-10/dnf.repo?arch=x86_64');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body.split('\n')[0]).toBe('[copr:127.0.0.1:group_team:gp]');
    expect(body).toContain(`baseurl=${t.service.config.RESULTS_BASE_URL}/@team/gp/epel-10-$basearch/`);
    expect((await get('/coprs/g/nobody/gp/repo/epel-10/')).status).toBe(404);
  });
});

describe('GET /api_3/rpmrepo/<owner>/<dirname>/<name_release>', () => {
  it('describes every release, arch, multilib pair and dependency of the project', async () => {
    const res = await alice.get('rpmrepo/alice/ml/fedora-44');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      results_url: t.service.config.RESULTS_BASE_URL,
      repos: {
        'fedora-44': {
          arch: {
            i386: { opts: { module_hotfixes: '1' } },
            x86_64: { opts: { module_hotfixes: '1' }, multilib: { i386: { opts: { cost: '1100', module_hotfixes: '1' } } } },
          },
        },
      },
      directories: { ml: {} },
      dependencies: [
        { type: 'copr', opts: { id: 'coprdep:127.0.0.1:alice:dep', name: 'Copr 127.0.0.1/alice/ml runtime dependency #1 - alice/dep' }, data: { owner: 'alice', projectname: 'dep' } },
        {
          type: 'external_baseurl',
          opts: { id: 'coprdep:https_example_com_distname_repo_priority_3', name: 'Copr 127.0.0.1/alice/ml external runtime dependency #2 - https_example_com_distname_repo_priority_3' },
          data: { pattern: 'https://example.com/$distname/repo/?priority=3' },
        },
      ],
    });
    expect((await alice.get('rpmrepo/alice/nope/fedora-44')).status).toBe(404);
  });
});

describe('rpmrepo directories', () => {
  it('lists the directories builds were submitted to, recorded at submission (no build is read)', async () => {
    const submit = (dirname: string) =>
      alice.send('POST', 'build/create/url', {
        json: { ownername: 'alice', projectname: 'demo', project_dirname: dirname, timeout: null, chroots: null, background: false, isolation: 'unchanged', pkgs: ['https://example.com/x-1-1.src.rpm'] },
      });
    expect((await submit('demo:pr:3')).status).toBe(200);
    expect((await submit('demo:pr:3')).status).toBe(200);
    expect((await submit('demo:custom:1')).status).toBe(200);
    expect((await submit('demo')).status).toBe(200);
    const res = await alice.get<{ directories: Record<string, unknown> }>('rpmrepo/alice/demo/fedora-44');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.directories)).toEqual(['demo', 'demo:custom:1', 'demo:pr:3']);
    expect(Object.keys((await alice.get<{ directories: Record<string, unknown> }>('rpmrepo/alice/dep/fedora-44')).body.directories)).toEqual(['dep']);
  });
});
