import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { additionalRepo, sanitizeRepoId } from '../../functions/core/build-config.js';
import { createProject, multipart, type CoprClient, type FilePart } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
let results: string;

const CHROOT = 'fedora-44-x86_64';
const COMPS = '<?xml version="1.0" encoding="UTF-8"?>\n<comps><group><id>tools</id></group></comps>\n';

/** The `json` part exactly as `copr-cli edit-chroot` fills it (spec: copr-cli-requests.md). */
function cliEdit(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    additional_repos: null,
    additional_packages: null,
    additional_modules: null,
    delete_comps: false,
    with_opts: null,
    without_opts: null,
    bootstrap: null,
    bootstrap_image: null,
    isolation: null,
    reset_fields: null,
    ...over,
  };
}

function editChroot(c: CoprClient, owner: string, project: string, chroot: string, json: unknown, files: FilePart[] = []) {
  return c.send('PUT', `project-chroot/edit/${owner}/${project}/${chroot}`, {
    query: { ownername: owner, projectname: project, chrootname: chroot },
    raw: multipart(files, json),
  });
}

function getChroot(owner: string, project: string, chroot: string) {
  return t.anon.get('project-chroot', { ownername: owner, projectname: project, chrootname: chroot });
}

function compsFile(name: string, content: string): FilePart {
  return { field: 'upload_comps', filename: name, contentType: 'application/text', data: Buffer.from(content) };
}

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user('alice');
  bob = await t.user('bob');
  results = `${t.service.url}/results`;
  // bob/hotfix first: a copr:// repo must name an existing project.
  expect((await createProject(bob, 'bob', 'hotfix', { module_hotfixes: true })).status).toBe(200);
  expect(
    (
      await createProject(alice, 'alice', 'tools', {
        chroots: [CHROOT, 'epel-10-aarch64'],
        additional_repos: ['https://example.com/$distname/repo/?priority=5', 'copr://bob/hotfix'],
      })
    ).status,
  ).toBe(200);
});
afterAll(() => t.stop());

describe('GET project-chroot', () => {
  it('returns the ProjectChroot object with every key', async () => {
    const res = await getChroot('alice', 'tools', CHROOT);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      mock_chroot: CHROOT,
      ownername: 'alice',
      projectname: 'tools',
      comps_name: null,
      additional_repos: [],
      additional_packages: [],
      additional_modules: [],
      with_opts: [],
      without_opts: [],
      delete_after_days: null,
      isolation: 'unchanged',
    });
  });

  it('answers 404 for a chroot the project lacks, 400 for a missing argument', async () => {
    const res = await getChroot('alice', 'tools', 'fedora-45-x86_64');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('Chroot fedora-45-x86_64 does not exist in alice/tools');
    expect((await getChroot('alice', 'nope', CHROOT)).body.error).toBe('Project alice/nope does not exist.');
    const missing = await t.anon.get('project-chroot', { ownername: 'alice', projectname: 'tools' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('Missing argument chrootname');
  });
});

describe('edit-chroot', () => {
  it('applies the exact copr-cli multipart request, comps file first', async () => {
    const res = await editChroot(
      alice,
      'alice',
      'tools',
      CHROOT,
      cliEdit({ additional_packages: 'gcc make', with_opts: 'a b' }),
      [compsFile('comps.xml', COMPS)],
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ additional_packages: ['gcc', 'make'], with_opts: ['a', 'b'], comps_name: 'comps.xml' });
    const back = await getChroot('alice', 'tools', CHROOT);
    expect(back.body).toMatchObject({
      additional_packages: ['gcc', 'make'],
      with_opts: ['a', 'b'],
      without_opts: [],
      comps_name: 'comps.xml',
    });
    expect(await t.service.ctx.store.getComps('alice', 'tools', CHROOT)).toEqual({ name: 'comps.xml', content: COMPS });
  });

  it('takes comma-separated modules, repos, isolation and a custom bootstrap image', async () => {
    const res = await editChroot(
      alice,
      'alice',
      'tools',
      CHROOT,
      cliEdit({
        additional_modules: 'nodejs:20, !python:3.6',
        additional_repos: 'https://example.org/$chroot/ copr://bob/hotfix',
        without_opts: 'docs',
        isolation: 'simple',
        bootstrap: 'custom_image',
        bootstrap_image: 'registry.fedoraproject.org/fedora:44',
      }),
    );
    expect(res.status).toBe(200);
    const back = await getChroot('alice', 'tools', CHROOT);
    expect(back.body).toMatchObject({
      additional_modules: ['nodejs:20', '!python:3.6'],
      additional_repos: ['https://example.org/$chroot/', 'copr://bob/hotfix'],
      additional_packages: ['gcc', 'make'], // untouched: sent as null
      without_opts: ['docs'],
      isolation: 'simple',
      comps_name: 'comps.xml',
    });
    // Upstream's ProjectChroot shows no bootstrap keys; the setting is kept for builds.
    expect(back.body).not.toHaveProperty('bootstrap');
    const stored = await t.service.ctx.store.getProjectChroot('alice', 'tools', CHROOT);
    expect(stored).toMatchObject({ bootstrap: 'custom_image', bootstrap_image: 'registry.fedoraproject.org/fedora:44' });
  });

  it('rejects bad input with a 4xx Copr error and changes nothing', async () => {
    const before = (await getChroot('alice', 'tools', CHROOT)).body;
    const compsBefore = await t.service.ctx.store.getComps('alice', 'tools', CHROOT);
    const cases: Array<[string, () => ReturnType<typeof editChroot>, number, RegExp]> = [
      ['anonymous', () => editChroot(t.anon, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' })), 401, /Login invalid/],
      ['other user', () => editChroot(bob, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' })), 403, /owners and admins/],
      ['unknown chroot', () => editChroot(alice, 'alice', 'tools', 'fedora-45-x86_64', cliEdit({ with_opts: 'x' })), 404, /does not exist/],
      ['traversal chroot', () => editChroot(alice, 'alice', 'tools', '..%2F..%2Fetc', cliEdit({ with_opts: 'x' })), 404, /does not exist/],
      ['traversal project', () => editChroot(alice, 'alice', '..%2Ftools', CHROOT, cliEdit({ with_opts: 'x' })), 404, /does not exist/],
      ['unknown reset field', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ reset_fields: ['with_opts', 'owner'] })), 400, /reset an invalid attribute: owner/],
      ['wrong type', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 5 })), 400, /^with_opts: /],
      ['bad bootstrap', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ bootstrap: 'sometimes' })), 400, /^bootstrap: /],
      ['image missing', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ bootstrap: 'custom_image', reset_fields: ['bootstrap_image'] })), 400, /image is required/],
      ['bad module', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ additional_modules: 'nodejs' })), 400, /additional_modules/],
      ['bad repo scheme', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ additional_repos: 'file:///etc/passwd' })), 400, /additional_repos/],
      ['shell in package', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ additional_packages: 'gcc;rm' })), 400, /additional_packages/],
      ['oversize field', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ additional_packages: 'a'.repeat(70_000) })), 400, /additional_packages/],
      ['comps traversal', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' }), [compsFile('x/..', COMPS)]), 400, /upload_comps/],
      ['comps odd name', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' }), [compsFile('a;b.xml', COMPS)]), 400, /upload_comps/],
      ['comps binary', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' }), [compsFile('c.xml', 'a\u0000b')]), 400, /UTF-8 text/],
      ['second file', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit({ with_opts: 'x' }), [{ ...compsFile('c.xml', COMPS), field: 'pkgs' }]), 400, /Unexpected file part pkgs/],
      ['comps too big', () => editChroot(alice, 'alice', 'tools', CHROOT, cliEdit(), [compsFile('big.xml', 'x'.repeat(400 * 1024))]), 413, /too large/],
      ['not multipart', () => alice.send('PUT', `project-chroot/edit/alice/tools/${CHROOT}`, { json: cliEdit({ with_opts: 'x' }) }), 400, /multipart/],
    ];
    for (const [what, run, status, msg] of cases) {
      const res = await run();
      expect(res.status, what).toBe(status);
      expect(String(res.body.error), what).toMatch(msg);
    }
    expect((await getChroot('alice', 'tools', CHROOT)).body).toEqual(before);
    expect(await t.service.ctx.store.getComps('alice', 'tools', CHROOT)).toEqual(compsBefore);
  });

  it('reset_fields restores defaults and delete_comps drops the comps file', async () => {
    const res = await editChroot(
      alice,
      'alice',
      'tools',
      CHROOT,
      cliEdit({ reset_fields: ['additional_packages', 'with_opts', 'isolation', 'bootstrap'], delete_comps: true }),
    );
    expect(res.status).toBe(200);
    const back = await getChroot('alice', 'tools', CHROOT);
    expect(back.body).toMatchObject({
      additional_packages: [],
      with_opts: [],
      isolation: 'unchanged',
      comps_name: null,
      without_opts: ['docs'],
      additional_modules: ['nodejs:20', '!python:3.6'],
    });
    expect(await t.service.ctx.store.getComps('alice', 'tools', CHROOT)).toBeNull();
  });

  it('keeps only the base name of an uploaded comps path', async () => {
    const res = await editChroot(alice, 'alice', 'tools', 'epel-10-aarch64', cliEdit(), [compsFile('../../etc/group.xml', COMPS)]);
    expect(res.status).toBe(200);
    expect(res.body.comps_name).toBe('group.xml');
    expect((await t.service.ctx.store.getComps('alice', 'tools', 'epel-10-aarch64'))?.name).toBe('group.xml');
  });
});

describe('build-config', () => {
  it('lists copr_base, then project and chroot repos expanded for the chroot', async () => {
    const res = await t.anon.get('project-chroot/build-config', { ownername: 'alice', projectname: 'tools', chrootname: CHROOT });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      chroot: CHROOT,
      enable_net: false,
      repos: [
        {
          id: 'copr_base',
          name: 'Copr repository',
          baseurl: `${results}/alice/tools/${CHROOT}/`,
          priority: null,
          module_hotfixes: null,
          repo_gpgcheck: false,
        },
        {
          id: 'https_example_com_distname_repo_priority_5',
          name: 'Additional repo https_example_com_distname_repo_priority_5',
          baseurl: 'https://example.com/fedora-44/repo/',
          priority: 5,
          module_hotfixes: null,
          repo_gpgcheck: null,
        },
        {
          id: 'copr_bob_hotfix',
          name: 'Additional repo copr_bob_hotfix',
          baseurl: `${results}/bob/hotfix/${CHROOT}/`,
          priority: null,
          module_hotfixes: true,
          repo_gpgcheck: false,
        },
        {
          id: 'https_example_org_chroot',
          name: 'Additional repo https_example_org_chroot',
          baseurl: `https://example.org/${CHROOT}/`,
          priority: null,
          module_hotfixes: null,
          repo_gpgcheck: null,
        },
        {
          id: 'copr_bob_hotfix',
          name: 'Additional repo copr_bob_hotfix',
          baseurl: `${results}/bob/hotfix/${CHROOT}/`,
          priority: null,
          module_hotfixes: true,
          repo_gpgcheck: false,
        },
      ],
      additional_repos: [
        'copr://alice/tools',
        'https://example.org/$chroot/',
        'copr://bob/hotfix',
        'https://example.com/$distname/repo/?priority=5',
        'copr://bob/hotfix',
      ],
      additional_packages: [],
      additional_modules: ['nodejs:20', '!python:3.6'],
      with_opts: [],
      without_opts: ['docs'],
      isolation: 'unchanged',
    });
  });

  it('adds the devel repo and the project priority when the project asks for them', async () => {
    expect((await createProject(bob, 'bob', 'devel', { devel_mode: true, repo_priority: 10, isolation: 'nspawn' })).status).toBe(200);
    const res = await t.anon.get<{ repos: Array<Record<string, unknown>>; additional_repos: string[]; isolation: string }>(
      'project-chroot/build-config',
      { ownername: 'bob', projectname: 'devel', chrootname: CHROOT },
    );
    expect(res.body.repos.map((r) => [r.id, r.baseurl, r.priority])).toEqual([
      ['copr_base', `${results}/bob/devel/${CHROOT}/`, 10],
      ['copr_base_devel', `${results}/bob/devel/${CHROOT}/devel/`, 10],
    ]);
    expect(res.body.additional_repos).toEqual(['copr://bob/devel', 'copr://bob/devel/devel']);
    expect(res.body.isolation).toBe('nspawn');
    const missing = await t.anon.get('project-chroot/build-config', { ownername: 'bob', projectname: 'devel', chrootname: 'epel-9-x86_64' });
    expect(missing.status).toBe(404);
  });

  it('sanitises ids and keeps other query parameters of a repo URL', () => {
    expect(sanitizeRepoId('https://a.b/c//d?x=1')).toBe('https_a_b_c_d_x_1');
    const repo = additionalRepo('https://a.b/$distname/?x=1&priority=3&y=2', 'epel-10-aarch64', 'http://r');
    expect(repo).toMatchObject({ baseurl: 'https://a.b/epel-10/?x=1&y=2', priority: 3 });
    expect(additionalRepo('copr://@grp/p', 'epel-10-aarch64', 'http://r').baseurl).toBe('http://r/@grp/p/epel-10-aarch64/');
  });
});
