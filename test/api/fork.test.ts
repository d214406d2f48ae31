import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProjectChroot } from '../../functions/core/projects.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
let root: CoprClient;
/** The build copies queued so far: `fork` actions, as `source->destination`. */
async function copied(): Promise<string[]> {
  const out: string[] = [];
  for (const p of await t.service.ctx.store.listAllProjects()) {
    for (const a of await t.service.app.actions.list(p.ownername, p.name)) {
      if (a.data.kind === 'fork') out.push(`${a.data.source_owner}/${a.data.source_project}->${a.ownername}/${a.projectname}`);
    }
  }
  return out;
}

const COMPS = '<comps><group><id>x</id></group></comps>\n';

/** `copr-cli fork alice/src DST`: first GET /project for the destination, then POST fork. */
async function cliFork(c: CoprClient, src: string, dstOwner: string, dstName: string, confirm = false) {
  const [o, p] = src.split('/') as [string, string];
  await c.get('project', { ownername: dstOwner, projectname: dstName });
  return c.send('POST', `project/fork/${o}/${p}`, {
    query: { ownername: o, projectname: p },
    json: { name: dstName, ownername: dstOwner, confirm },
  });
}

async function projectNames(owner: string): Promise<string[]> {
  return (await t.service.ctx.store.listProjectsByOwner(owner)).map((p) => p.name).sort();
}

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user('alice');
  bob = await t.user('bob', { groups: ['team'] });
  root = await t.user('root', { admin: true });
  const created = await createProject(alice, 'alice', 'src', {
    chroots: ['fedora-44-x86_64', 'epel-10-aarch64'],
    description: 'Source project',
    instructions: 'dnf copr enable alice/src',
    additional_repos: ['https://example.com/repo/'],
    enable_net: true,
    module_hotfixes: true,
  });
  expect(created.status).toBe(200);
  const edit = await alice.send('PUT', 'project-chroot/edit/alice/src/fedora-44-x86_64', {
    raw: multipart(
      [{ field: 'upload_comps', filename: 'comps.xml', contentType: 'application/text', data: Buffer.from(COMPS) }],
      { additional_packages: 'gcc make', with_opts: 'tests', additional_modules: null, delete_comps: false },
    ),
  });
  expect(edit.status).toBe(200);
  const store = t.service.ctx.store;
  // An EOL chroot the source still has: forks get active chroots only.
  await store.putProjectChroot(newProjectChroot('alice', 'src', 'fedora-42-x86_64'));
  await store.createPackage({
    id: await store.nextId('package'),
    name: 'hello',
    ownername: 'alice',
    projectname: 'src',
    source_type: 'scm',
    source_dict: { clone_url: 'https://example.com/hello.git', committish: '', subdirectory: '', spec: '', type: 'git', srpm_build_method: 'rpkg' },
    auto_rebuild: false,
    max_builds: null,
    timeout: null,
    chroot_denylist: [],
  });
});
afterAll(() => t.stop());

describe('fork', () => {
  it('creates the destination with the settings, active chroots and packages of the source', async () => {
    const res = await cliFork(bob, 'alice/src', 'bob', 'mine');
    expect(res.status).toBe(200);
    const url = `${t.service.url}/results/bob/mine`;
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'mine',
      ownername: 'bob',
      full_name: 'bob/mine',
      description: 'Source project',
      instructions: 'dnf copr enable alice/src',
      homepage: null,
      contact: null,
      devel_mode: false,
      persistent: false,
      unlisted_on_hp: false,
      auto_prune: true,
      enable_net: true,
      bootstrap: 'default',
      isolation: 'default',
      module_hotfixes: true,
      appstream: false,
      follow_fedora_branching: true,
      additional_repos: ['https://example.com/repo/'],
      chroot_repos: { 'epel-10-aarch64': `${url}/epel-10-aarch64/`, 'fedora-44-x86_64': `${url}/fedora-44-x86_64/` },
      packit_forge_projects_allowed: [],
      repo_priority: null,
      storage: 'backend',
    });
    const chroot = await bob.get('project-chroot', { ownername: 'bob', projectname: 'mine', chrootname: 'fedora-44-x86_64' });
    expect(chroot.body).toMatchObject({ ownername: 'bob', projectname: 'mine', additional_packages: ['gcc', 'make'], with_opts: ['tests'], comps_name: 'comps.xml' });
    expect(await t.service.ctx.store.getComps('bob', 'mine', 'fedora-44-x86_64')).toEqual({ name: 'comps.xml', content: COMPS });
    const pkgs = await t.service.ctx.store.listPackages('bob', 'mine');
    expect(pkgs.map((p) => [p.name, p.ownername, p.projectname, p.source_type, p.source_dict.clone_url])).toEqual([
      ['hello', 'bob', 'mine', 'scm', 'https://example.com/hello.git'],
    ]);
    expect(await copied()).toEqual(['alice/src->bob/mine']);
    // The source is untouched.
    expect((await t.service.ctx.store.listPackages('alice', 'src')).map((p) => p.ownername)).toEqual(['alice']);
  });

  it('asks for --confirm before forking into an existing project, then adds nothing twice', async () => {
    const res = await cliFork(bob, 'alice/src', 'bob', 'mine');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('You are about to fork into existing project: bob/mine\nPlease use --confirm if you really want to do this');
    const ok = await cliFork(bob, 'alice/src', 'bob', 'mine', true);
    expect(ok.status).toBe(200);
    expect(ok.body.full_name).toBe('bob/mine');
    expect((await t.service.ctx.store.listPackages('bob', 'mine')).length).toBe(1);
  });

  it('forks into a group the caller is in; admins fork for anyone', async () => {
    const group = await cliFork(bob, 'alice/src', '@team', 'shared');
    expect(group.status).toBe(200);
    expect(group.body.full_name).toBe('@team/shared');
    const admin = await cliFork(root, 'alice/src', 'bob', 'by-admin');
    expect(admin.status).toBe(200);
    expect(admin.body.full_name).toBe('bob/by-admin');
  });

  it('rejects bad input with a 4xx Copr error and creates nothing', async () => {
    const before = { alice: await projectNames('alice'), bob: await projectNames('bob'), team: await projectNames('@team') };
    const post = (c: CoprClient, path: string, json: unknown) => c.send('POST', `project/fork/${path}`, { json });
    const cases: Array<[string, () => ReturnType<typeof post>, number, RegExp]> = [
      ['anonymous', () => post(t.anon, 'alice/src', { name: 'x1', ownername: 'bob', confirm: false }), 401, /Login invalid/],
      ['another user as owner', () => post(bob, 'alice/src', { name: 'x2', ownername: 'alice', confirm: false }), 403, /alice/],
      ['group not a member', () => post(alice, 'alice/src', { name: 'x3', ownername: '@team', confirm: false }), 403, /team/],
      ['traversal name', () => post(bob, 'alice/src', { name: '../x', ownername: 'bob', confirm: false }), 400, /name/],
      ['slash in name', () => post(bob, 'alice/src', { name: 'a/b', ownername: 'bob', confirm: false }), 400, /name/],
      ['missing name', () => post(bob, 'alice/src', { ownername: 'bob', confirm: false }), 400, /^name: /],
      ['oversize name', () => post(bob, 'alice/src', { name: 'n'.repeat(500), ownername: 'bob', confirm: false }), 400, /^name: /],
      ['wrong type', () => post(bob, 'alice/src', { name: 'x4', ownername: 'bob', confirm: 'perhaps' }), 400, /^confirm: /],
      ['bad owner', () => post(bob, 'alice/src', { name: 'x5', ownername: '../bob', confirm: false }), 400, /owner/],
      ['unknown source', () => post(bob, 'alice/none', { name: 'x6', ownername: 'bob', confirm: false }), 404, /^Project alice\/none does not exist\.$/],
      ['traversal source', () => post(bob, 'alice/..%2Fsrc', { name: 'x7', ownername: 'bob', confirm: false }), 404, /does not exist/],
      ['into itself', () => post(alice, 'alice/src', { name: 'src', ownername: 'alice', confirm: true }), 400, /itself/],
    ];
    for (const [what, run, status, msg] of cases) {
      const res = await run();
      expect(res.status, what).toBe(status);
      expect(String(res.body.error), what).toMatch(msg);
    }
    expect({ alice: await projectNames('alice'), bob: await projectNames('bob'), team: await projectNames('@team') }).toEqual(before);
    expect(await t.service.ctx.store.listPackages('alice', 'src')).toHaveLength(1);
  });
});
