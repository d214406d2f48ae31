import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user('alice', { groups: ['devs'] });
  bob = await t.user('bob');
});
afterAll(() => t.stop());

describe('general endpoints', () => {
  it('answers the API root and auth-check', async () => {
    expect((await t.anon.get('/')).body).toEqual({ version: 3 });
    const me = await alice.send('GET', 'auth-check', { auth: true });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'alice' });
  });

  it('rejects a bad token with 401 and the Copr message', async () => {
    const bad = new (alice.constructor as typeof CoprClient)(t.service.url, { login: alice.creds!.login, token: 'wrong' });
    const res = await bad.send('GET', 'auth-check', { auth: true });
    expect(res.status).toBe(401);
    expect(String(res.body.error)).toMatch(/^Login invalid\/expired/);
  });

  it('new-api-token rotates: the old token stops working at once', async () => {
    const carol = await t.user('carol');
    const res = await carol.send('POST', 'api-token');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ api_login: expect.stringMatching(/^[a-z]{20}$/), expiration: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect((await carol.send('GET', 'auth-check', { auth: true })).status).toBe(401);
    const fresh = new (carol.constructor as typeof CoprClient)(t.service.url, {
      login: String(res.body.api_login),
      token: String(res.body.api_token),
    });
    expect((await fresh.send('GET', 'auth-check', { auth: true })).body).toMatchObject({ name: 'carol' });
  });

  it('unknown endpoints get the Copr 404, wrong methods a JSON 405', async () => {
    const res = await t.anon.get('no/such/thing');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("Such API endpoint doesn't exist");
    const wrong = await alice.send('DELETE', 'project/list');
    expect(wrong.status).toBe(405);
    expect(wrong.body.error).toBeTypeOf('string');
  });
});

describe('projects', () => {
  it('creates a project exactly as copr-cli sends it and reads it back', async () => {
    // A copr:// repo must name an existing project.
    const dave = await t.user('dave');
    expect((await createProject(dave, 'dave', 'other')).status).toBe(200);
    const res = await createProject(alice, 'alice', 'hello', {
      chroots: ['fedora-44-x86_64', 'epel-10-aarch64'],
      description: 'A description',
      instructions: 'dnf install hello',
      additional_repos: ['https://example.com/repo/', 'copr://dave/other'],
    });
    expect(res.status).toBe(200);
    expect(res.body.error).toBeUndefined();
    const got = await t.anon.get('project', { ownername: 'alice', projectname: 'hello' });
    expect(got.body).toEqual({
      id: expect.any(Number),
      name: 'hello',
      ownername: 'alice',
      full_name: 'alice/hello',
      description: 'A description',
      instructions: 'dnf install hello',
      homepage: null,
      contact: null,
      devel_mode: false,
      persistent: false,
      unlisted_on_hp: false,
      auto_prune: true,
      enable_net: false,
      bootstrap: 'default',
      isolation: 'default',
      module_hotfixes: false,
      appstream: false,
      follow_fedora_branching: true,
      additional_repos: ['https://example.com/repo/', 'copr://dave/other'],
      chroot_repos: {
        'epel-10-aarch64': `${t.service.url}/results/alice/hello/epel-10-aarch64/`,
        'fedora-44-x86_64': `${t.service.url}/results/alice/hello/fedora-44-x86_64/`,
      },
      packit_forge_projects_allowed: [],
      repo_priority: null,
      storage: 'backend',
    });
  });

  it('accepts the trailing slash and ignores duplicated query params', async () => {
    const res = await fetch(`${t.service.url}/api_3/project/?ownername=alice&projectname=hello&ownername=x`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('hello');
  });

  it('refuses a duplicate name with 400, and exist_ok=True returns the existing one', async () => {
    const dup = await createProject(alice, 'alice', 'hello');
    expect(dup.status).toBe(400);
    expect(dup.body.error).toBe("name: You already have a project named 'hello'.");
    const ok = await alice.send('POST', 'project/add/alice', {
      query: { ownername: 'alice', exist_ok: true },
      json: { name: 'hello', chroots: ['fedora-44-x86_64'] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('hello');
  });

  it('creates group projects for members only', async () => {
    const res = await createProject(alice, '@devs', 'tools');
    expect(res.status).toBe(200);
    expect(res.body.full_name).toBe('@devs/tools');
    const denied = await createProject(bob, '@devs', 'tools2');
    expect(denied.status).toBe(403);
    const missing = await createProject(alice, '@nogroup', 'x');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('Group nogroup does not exist.');
  });

  it('rejects bad input with 4xx and changes nothing', async () => {
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ name: 'x1', chroots: ['fedora-1-x86_64'] }, 400, /^chroots: 'fedora-1-x86_64' is not a valid choice for this field\.$/],
      [{ name: 'x2', chroots: [] }, 400, /At least one chroot must be selected/],
      [{ name: '../x' }, 400, /name/],
      [{ name: 'a/b' }, 400, /name/],
      [{ name: '1234' }, 400, /name/],
      [{ name: 'x3', description: 'd'.repeat(200_000) }, 400, /description/],
      [{ name: 'x4', enable_net: 'maybe' }, 400, /enable_net/],
      [{ name: 'x5', additional_repos: ['file:///etc/passwd'] }, 400, /^repos: /],
      [{ name: 'x6', persistent: true }, 403, /admin/],
      [{ name: 'x7', storage: 'pulp' }, 403, /Non-admin cannot set storage/],
    ];
    for (const [over, status, msg] of cases) {
      const res = await createProject(alice, 'alice', String(over.name), over);
      expect(res.status, JSON.stringify(over).slice(0, 80)).toBe(status);
      expect(String(res.body.error)).toMatch(msg);
    }
    const list = await t.anon.get<{ items: Array<{ name: string }> }>('project/list', { ownername: 'alice' });
    expect(list.body.items.map((p) => p.name)).toEqual(['hello']);
  });

  it('needs auth to create and refuses other users\' namespaces', async () => {
    const anon = await createProject(t.anon, 'alice', 'sneaky');
    expect(anon.status).toBe(401);
    const other = await createProject(bob, 'alice', 'sneaky');
    expect(other.status).toBe(403);
  });

  it('modify: PUT edit with repos, only by the owner', async () => {
    const body = { description: 'new text', repos: ['https://example.org/r/'], bootstrap: 'default', enable_net: null };
    const denied = await bob.send('PUT', 'project/edit/alice/hello', { query: { ownername: 'alice', projectname: 'hello' }, json: body });
    expect(denied.status).toBe(403);
    const res = await alice.send('PUT', 'project/edit/alice/hello', { query: { ownername: 'alice', projectname: 'hello' }, json: body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ description: 'new text', additional_repos: ['https://example.org/r/'], instructions: 'dnf install hello' });
  });

  it('lists and paginates like the client expects', async () => {
    for (const n of ['p1', 'p2', 'p3']) expect((await createProject(bob, 'bob', n)).status).toBe(200);
    const page1 = await t.anon.get<{ items: Array<{ name: string }>; meta: Record<string, unknown> }>('project/list', {
      ownername: 'bob',
      limit: 2,
    });
    expect(page1.body.items.map((p) => p.name)).toEqual(['p1', 'p2']);
    expect(page1.body.meta).toEqual({ limit: 2, offset: 0, order: 'id', order_type: 'ASC' });
    const page3 = await t.anon.get<{ items: unknown[] }>('project/list', { ownername: 'bob', limit: 2, offset: 4 });
    expect(page3.status).toBe(200);
    expect(page3.body.items).toEqual([]);
    const bad = await t.anon.get('project/list', { ownername: 'bob', order: 'nonsense' });
    expect(bad.status).toBe(500);
    expect(bad.body.error).toBe("Cannot order by nonsense, Copr doesn't have such property");
  });

  it('searches by words of owner, name and description', async () => {
    const res = await t.anon.get<{ items: Array<{ full_name: string }> }>('project/search', { query: 'new text' });
    expect(res.body.items.map((p) => p.full_name)).toEqual(['alice/hello']);
    const none = await t.anon.get<{ items: unknown[] }>('project/search', { query: 'zzzz' });
    expect(none.body.items).toEqual([]);
    expect((await t.anon.get('project/search')).status).toBe(400);
  });

  it('delete: DELETE with a JSON body returns the project as it was', async () => {
    await createProject(bob, 'bob', 'gone');
    const res = await bob.send('DELETE', 'project/delete/bob/gone', { query: { ownername: 'bob', projectname: 'gone' }, json: { verify: true } });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('gone');
    const after = await t.anon.get('project', { ownername: 'bob', projectname: 'gone' });
    expect(after.status).toBe(404);
    expect(after.body.error).toBe('Project bob/gone does not exist.');
  });
});
