import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
let carol: CoprClient;

const q = { ownername: 'alice', projectname: 'perm' };

/** `copr-cli edit-permissions alice/perm --admin bob=approved ...` */
function setPerms(c: CoprClient, body: unknown) {
  return c.send('PUT', 'project/permissions/set/alice/perm', { query: q, json: body });
}
/** `copr-cli request-permissions alice/perm --builder` */
function requestPerms(c: CoprClient, body: unknown) {
  return c.send('PUT', 'project/permissions/request/alice/perm', { query: q, json: body });
}
/** `copr-cli list-permissions alice/perm` (the library marks it authenticated). */
function getPerms(c: CoprClient) {
  return c.send('GET', 'project/permissions/get/alice/perm', { query: q, auth: true });
}
function canBuildIn(c: CoprClient, who: string) {
  return c.send('GET', `project/permissions/can_build_in/${who}/alice/perm`, { query: { who, ...q }, auth: true });
}
async function stored() {
  const perms = await t.service.ctx.store.listPermissions('alice', 'perm');
  return perms.map((p) => [p.username, p.admin, p.builder]).sort();
}

beforeAll(async () => {
  t = await startTestService();
  alice = await t.user('alice');
  bob = await t.user('bob');
  carol = await t.user('carol');
  expect((await createProject(alice, 'alice', 'perm')).status).toBe(200);
});
afterAll(() => t.stop());

describe('permissions', () => {
  it('get answers 404 while no permissions exist', async () => {
    const res = await getPerms(alice);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('No permissions set on alice/perm project');
  });

  it('request: true asks for a role, the owner sees it, false withdraws it', async () => {
    const res = await requestPerms(bob, { builder: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ updated: true });
    expect((await requestPerms(bob, { builder: true })).body).toEqual({ updated: false });
    const list = await getPerms(alice);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ permissions: { bob: { admin: 'nothing', builder: 'request' } } });
    expect((await canBuildIn(bob, 'bob')).body).toEqual({ who: 'bob', ownername: 'alice', projectname: 'perm', can_build_in: false });
  });

  it('set: the owner approves, the response lists only users whose state changed', async () => {
    const res = await setPerms(alice, { bob: { builder: 'approved' }, carol: { admin: 'nothing' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ updated: ['bob'] });
    expect(await stored()).toEqual([['bob', 'nothing', 'approved']]);
    const can = await canBuildIn(t.anon, 'bob');
    expect(can.status).toBe(200);
    expect(can.body).toEqual({ who: 'bob', ownername: 'alice', projectname: 'perm', can_build_in: true });
    expect((await canBuildIn(t.anon, 'carol')).body.can_build_in).toBe(false);
    expect((await canBuildIn(t.anon, 'alice')).body.can_build_in).toBe(true);
  });

  it('an approved admin may list and set permissions; a builder may not', async () => {
    expect((await getPerms(bob)).status).toBe(403);
    expect((await setPerms(bob, { carol: { builder: 'approved' } })).status).toBe(403);
    expect((await setPerms(alice, { carol: { admin: 'approved' } })).body).toEqual({ updated: ['carol'] });
    const list = await getPerms(carol);
    expect(list.body).toEqual({
      permissions: { bob: { admin: 'nothing', builder: 'approved' }, carol: { admin: 'approved', builder: 'nothing' } },
    });
    expect((await setPerms(carol, { bob: { admin: 'request' } })).body).toEqual({ updated: ['bob'] });
  });

  it('refuses to request a role already held, and refuses the owner', async () => {
    const held = await requestPerms(bob, { builder: true });
    expect(held.status).toBe(400);
    expect(held.body.error).toBe("You already are 'builder' in alice/perm");
    const owner = await requestPerms(alice, { admin: true });
    expect(owner.status).toBe(400);
    expect(String(owner.body.error)).toMatch(/owner/);
  });

  it('rejects bad input with a 4xx Copr error and changes nothing', async () => {
    const before = await stored();
    const cases: Array<[string, () => ReturnType<typeof setPerms>, number, RegExp]> = [
      ['anonymous set', () => setPerms(t.anon, { bob: { admin: 'approved' } }), 401, /Login invalid/],
      ['anonymous get', () => getPerms(t.anon), 401, /Login invalid/],
      ['anonymous request', () => requestPerms(t.anon, { admin: true }), 401, /Login invalid/],
      ['unknown user, all-or-nothing', () => setPerms(alice, { bob: { admin: 'approved' }, nobody: { admin: 'approved' } }), 400, /User 'nobody' does not exist/],
      ['traversal user', () => setPerms(alice, { '../bob': { admin: 'approved' } }), 400, /does not exist/],
      ['owner as target', () => setPerms(alice, { alice: { admin: 'approved' } }), 400, /owner/],
      ['bad value', () => setPerms(alice, { bob: { admin: 'yes' } }), 400, /^bob\.admin: /],
      ['unknown role', () => setPerms(alice, { bob: { owner: 'approved' } }), 400, /bob/],
      ['not a dict', () => setPerms(alice, ['bob']), 400, /JSON object/],
      ['empty body', () => setPerms(alice, {}), 400, /No permission change/],
      ['empty request', () => requestPerms(carol, {}), 400, /No permission requested/],
      ['request wrong type', () => requestPerms(carol, { builder: 'request' }), 400, /^builder: /],
      ['oversize user name', () => setPerms(alice, { ['u'.repeat(300)]: { admin: 'approved' } }), 400, /./],
      ['unknown project', () => alice.send('PUT', 'project/permissions/set/alice/nope', { json: { bob: { admin: 'approved' } } }), 404, /does not exist/],
      ['traversal project', () => alice.send('PUT', 'project/permissions/set/alice/..%2Fperm', { json: { bob: { admin: 'approved' } } }), 404, /does not exist/],
      ['another owner, no such project', () => carol.send('PUT', 'project/permissions/set/bob/perm', { json: { bob: { admin: 'approved' } } }), 404, /does not exist/],
      ['can_build_in unknown user', () => canBuildIn(t.anon, 'nobody'), 404, /User nobody does not exist/],
    ];
    for (const [what, run, status, msg] of cases) {
      const res = await run();
      expect(res.status, what).toBe(status);
      expect(String(res.body.error), what).toMatch(msg);
    }
    expect(await stored()).toEqual(before);
  });

  it('someone without a role cannot set permissions in another user\'s project', async () => {
    expect((await createProject(bob, 'bob', 'own')).status).toBe(200);
    const res = await carol.send('PUT', 'project/permissions/set/bob/own', { json: { carol: { admin: 'approved' } } });
    expect(res.status).toBe(403);
    expect(await t.service.ctx.store.listPermissions('bob', 'own')).toEqual([]);
  });
});
