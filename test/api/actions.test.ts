import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDeps } from '../../functions/core/action-ports.js';
import { runDueActions } from '../../functions/core/action-runner.js';
import { enqueueCreaterepo, executeAction } from '../../functions/core/actions.js';
import { buildState } from '../../functions/core/build-state.js';
import { submitBuild } from '../../functions/core/builds.js';
import { actionsPlugin } from '../../functions/local/actions-plugin.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoActionStore } from '../../functions/store/dynamo-action-store.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { finishRpm, finishSrpm, newRecorder, recordingBuildsPlugin } from './build-support.js';

/**
 * Project actions through the API: queued by the project routes, run by the
 * in-process runner, visible at /api_3/project/actions/. Builders are played by the
 * test (build-support.ts); publishing is recorded.
 */
let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
const rec = newRecorder();
const CHROOTS = ['fedora-44-x86_64', 'epel-10-x86_64'];

interface ApiAction {
  id: number;
  action_type: string;
  state: string;
  attempts: number;
  error: string | null;
  result: Record<string, unknown> | null;
  data: Record<string, unknown>;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function actionsOf(owner: string, project: string): Promise<ApiAction[]> {
  const res = await alice.get<{ items: ApiAction[]; meta: unknown }>(`project/actions/${owner}/${project}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

const finished = (owner: string, project: string, type: string) =>
  waitFor(`${type} action of ${owner}/${project}`, async () => (await actionsOf(owner, project)).find((a) => a.action_type === type && ['succeeded', 'failed'].includes(a.state)));

/** A build of `pkg` whose RPM stage ends as given per chroot; result dirs get a fake RPM. */
async function build(project: string, pkg: string, outcome: Record<string, 'succeeded' | 'failed'>): Promise<number> {
  const deps = rec.deps!;
  const user = (await t.service.ctx.store.getUser('alice'))!;
  const b = await submitBuild(deps, { user }, { ownername: 'alice', projectname: project, source_type: 'link', source_dict: { url: 'https://example.com/x.src.rpm' }, options: { chroots: Object.keys(outcome) } });
  await finishSrpm(deps, b, pkg);
  for (const [chroot, status] of Object.entries(outcome)) {
    const dir = `${String(b.id).padStart(8, '0')}-${pkg}`;
    await deps.results.put(`alice/${project}/${chroot}/${dir}/${pkg}-1.0-1.noarch.rpm`, `rpm of ${pkg} build ${b.id}`);
    await finishRpm(deps, b.id, chroot, status, [{ name: pkg, epoch: null, version: '1.0', release: '1', arch: 'noarch' }]);
  }
  return b.id;
}

function actionDeps(over: Partial<ActionDeps> = {}): ActionDeps {
  const d = rec.deps!;
  return {
    store: d.store,
    builds: d.builds,
    results: d.results,
    actions: new DynamoActionStore(documentClient(t.service.config.DYNAMODB_ENDPOINT), t.service.config.TABLE_NAME),
    clock: d.clock,
    resultsBaseUrl: t.service.config.RESULTS_BASE_URL,
    publish: d.publish,
    ...over,
  };
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec), actionsPlugin({ pollMs: 200 })] });
  alice = await t.user('alice');
  bob = await t.user('bob');
  for (const p of ['src', 'gone', 'regen']) expect((await createProject(alice, 'alice', p, { chroots: CHROOTS })).status).toBe(200);
});
afterAll(() => t.stop());

describe('fork copies builds and results (action `fork`)', () => {
  it('copies the latest successful build per package and chroot, as `forked`, and publishes the copies', async () => {
    const old = await build('src', 'hello', { 'fedora-44-x86_64': 'succeeded', 'epel-10-x86_64': 'succeeded' });
    const newer = await build('src', 'hello', { 'fedora-44-x86_64': 'succeeded', 'epel-10-x86_64': 'failed' });
    await build('src', 'broken', { 'fedora-44-x86_64': 'failed' });
    rec.published.length = 0;

    const res = await bob.send('POST', 'project/fork/alice/src', { query: { ownername: 'alice', projectname: 'src' }, json: { name: 'copy', ownername: 'bob', confirm: false } });
    expect(res.status).toBe(200);
    const action = await finished('bob', 'copy', 'fork');
    expect(action.state).toBe('succeeded');
    expect(action.data).toEqual({ source_owner: 'alice', source_project: 'src' });

    const deps = rec.deps!;
    const copies = (await deps.builds.listProjectBuilds('bob', 'copy')).sort((a, b) => a.id - b.id);
    expect(copies).toHaveLength(2);
    const byChroot = new Map<string, number>();
    for (const c of copies) {
      const chroots = await deps.builds.listBuildChroots(c.id);
      expect(buildState(c, chroots)).toBe('forked');
      expect(c.package_name).toBe('hello');
      for (const bc of chroots) {
        expect(bc.state).toBe('forked');
        expect(bc.result_dir).toBe(`${String(c.id).padStart(8, '0')}-hello`);
        byChroot.set(bc.name, c.id);
      }
    }
    // fedora-44 from the newer build, epel-10 from the old one (the newer failed there).
    const fedora = byChroot.get('fedora-44-x86_64')!;
    const epel = byChroot.get('epel-10-x86_64')!;
    const dir = (id: number) => `${String(id).padStart(8, '0')}-hello`;
    expect((await deps.results.get(`bob/copy/fedora-44-x86_64/${dir(fedora)}/hello-1.0-1.noarch.rpm`))?.toString()).toBe(`rpm of hello build ${newer}`);
    expect((await deps.results.get(`bob/copy/epel-10-x86_64/${dir(epel)}/hello-1.0-1.noarch.rpm`))?.toString()).toBe(`rpm of hello build ${old}`);
    expect(await deps.results.exists(`bob/copy/fedora-44-x86_64/${dir(fedora)}/success`)).toBe(true);
    expect(await deps.results.exists(`bob/copy/srpm-builds/${String(fedora).padStart(8, '0')}/hello-1.0-1.src.rpm`)).toBe(true);
    expect(copies.find((c) => c.id === fedora)?.srpm_url).toBe(`${t.service.config.RESULTS_BASE_URL}/bob/copy/srpm-builds/${String(fedora).padStart(8, '0')}/hello-1.0-1.src.rpm`);
    // The source is untouched.
    expect(await deps.results.get(`alice/src/fedora-44-x86_64/${String(newer).padStart(8, '0')}-hello/hello-1.0-1.noarch.rpm`)).not.toBeNull();
    const bobs = rec.published.filter((p) => p.owner === 'bob');
    // The new fork's empty repositories first (as for any new project), then the copies.
    expect(bobs.filter((p) => p.adds.length === 0).map((p) => [p.chroot, p.full])).toEqual([
      ['epel-10-x86_64', true],
      ['fedora-44-x86_64', true],
    ]);
    expect(bobs.filter((p) => p.adds.length > 0).map((p) => [p.chroot, p.adds])).toEqual([
      ['epel-10-x86_64', [dir(epel)]],
      ['fedora-44-x86_64', [dir(fedora)]],
    ]);

    // Delivered twice (at-least-once): the stored plan makes the repeat a no-op for rows.
    const stored = (await actionDeps().actions.listProjectActions('bob', 'copy')).find((a) => a.data.kind === 'fork')!;
    await executeAction(actionDeps(), stored);
    expect(await deps.builds.listProjectBuilds('bob', 'copy')).toHaveLength(2);
  });

  it('forking again into the same project with confirm copies the latest builds again, as Copr does', async () => {
    const before = (await rec.deps!.builds.listProjectBuilds('bob', 'copy')).map((b) => b.id);
    expect(before).toHaveLength(2);
    rec.published.length = 0;
    const res = await bob.send('POST', 'project/fork/alice/src', { query: { ownername: 'alice', projectname: 'src' }, json: { name: 'copy', ownername: 'bob', confirm: true } });
    expect(res.status).toBe(200);
    await waitFor('second fork action', async () => (await actionsOf('bob', 'copy')).filter((a) => a.action_type === 'fork' && a.state === 'succeeded').length === 2);
    const deps = rec.deps!;
    const again = (await deps.builds.listProjectBuilds('bob', 'copy')).filter((b) => !before.includes(b.id));
    expect(again).toHaveLength(2);
    const chroots: string[] = [];
    for (const b of again) {
      expect(b.package_name).toBe('hello');
      const bcs = await deps.builds.listBuildChroots(b.id);
      for (const c of bcs) {
        expect(c.state).toBe('forked');
        expect(await deps.results.exists(`bob/copy/${c.name}/${String(b.id).padStart(8, '0')}-hello/success`)).toBe(true);
        chroots.push(c.name);
      }
    }
    expect(chroots.sort()).toEqual(['epel-10-x86_64', 'fedora-44-x86_64']);
    // The new copies are published into the fork's repositories.
    expect(rec.published.filter((p) => p.owner === 'bob').map((p) => p.chroot).sort()).toEqual(['epel-10-x86_64', 'fedora-44-x86_64']);
  });
});

describe('project delete (action `delete-project`)', () => {
  it('removes the builds and the results after the project row is gone, visible through the API', async () => {
    const id = await build('gone', 'hello', { 'fedora-44-x86_64': 'succeeded' });
    const deps = rec.deps!;
    expect(await deps.results.exists(`alice/gone/fedora-44-x86_64/${String(id).padStart(8, '0')}-hello/success`)).toBe(true);
    const res = await alice.send('DELETE', 'project/delete/alice/gone', { json: { verify: true } });
    expect(res.status).toBe(200);
    const action = await finished('alice', 'gone', 'delete-project');
    expect(action.state).toBe('succeeded');
    expect(action.result).toEqual({ deleted_builds: 1, removed_dirs: ['gone'] });
    expect(await deps.builds.getBuild(id)).toBeNull();
    expect(await deps.results.list('alice/gone/')).toEqual([]);
  });
});

describe('regenerate-repos (action `createrepo`)', () => {
  it('queues a full createrepo of every chroot', async () => {
    rec.published.length = 0;
    const res = await alice.send('PUT', 'project/regenerate-repos/alice/regen', { query: { ownername: 'alice', projectname: 'regen' } });
    expect(res.status).toBe(200);
    expect((await finished('alice', 'regen', 'createrepo')).state).toBe('succeeded');
    expect(rec.published.map((p) => ({ chroot: p.chroot, full: (p as { full?: boolean }).full }))).toEqual([
      { chroot: 'epel-10-x86_64', full: true },
      { chroot: 'fedora-44-x86_64', full: true },
    ]);
  });
});

describe('chroot dropped from a project (action `remove-chroot`)', () => {
  it('keeps the data for a grace period, then removes it unless the chroot came back', async () => {
    expect((await createProject(alice, 'alice', 'dropc', { chroots: CHROOTS })).status).toBe(200);
    const key = 'alice/dropc/epel-10-x86_64/00000001-x/x-1.0-1.noarch.rpm';
    await rec.deps!.results.put(key, 'rpm');
    const edit = (chroots: string[]) =>
      alice.send('PUT', 'project/edit/alice/dropc', { query: { ownername: 'alice', projectname: 'dropc' }, json: { chroots } });
    expect((await edit(['fedora-44-x86_64'])).status).toBe(200);
    const [queued] = (await actionsOf('alice', 'dropc')).filter((a) => a.action_type === 'remove-chroot');
    expect(queued).toMatchObject({ state: 'pending', data: { chroot: 'epel-10-x86_64' } });
    const due = (queued as unknown as { due_on: number }).due_on;
    expect(due - Date.now() / 1000).toBeGreaterThan(6.9 * 86_400);
    // Not due yet: a runner pass leaves it alone and the data stays.
    await runDueActions(actionDeps());
    expect(await rec.deps!.results.exists(key)).toBe(true);
    // Once due, it removes the chroot's directory.
    const store = actionDeps().actions;
    const action = (await store.listProjectActions('alice', 'dropc')).find((a) => a.id === queued!.id)!;
    expect(await executeAction(actionDeps(), action)).toMatchObject({ removed: ['alice/dropc/epel-10-x86_64'] });
    expect(await rec.deps!.results.exists(key)).toBe(false);
    // Re-adding the chroot before the removal runs keeps its data.
    await rec.deps!.results.put('alice/dropc/fedora-44-x86_64/00000002-y/y.rpm', 'rpm');
    expect((await edit(['epel-10-x86_64'])).status).toBe(200);
    expect((await edit(['epel-10-x86_64', 'fedora-44-x86_64'])).status).toBe(200);
    const again = (await store.listProjectActions('alice', 'dropc')).find((a) => a.data.kind === 'remove-chroot' && a.id !== queued!.id)!;
    expect(await executeAction(actionDeps(), again)).toMatchObject({ skipped: 'fedora-44-x86_64 is enabled again' });
    expect(await rec.deps!.results.exists('alice/dropc/fedora-44-x86_64/00000002-y/y.rpm')).toBe(true);
  });
});

describe('the runner: retries, failures and lost runners', () => {
  it('retries a failing action with its error visible, then marks it failed', async () => {
    let now = 2_000_000_000_000; // far in the future: the plugin's own runner never sees these as due
    const clock = { now: () => now };
    const project = (await t.service.ctx.store.getProject('alice', 'regen'))!;
    const deps = actionDeps({ clock, publish: async () => Promise.reject(new Error('publisher down')) });
    const a = await enqueueCreaterepo({ store: deps.store, actions: deps.actions, clock, wake: async () => undefined }, project, ['fedora-44-x86_64']);
    const settings = { leaseMs: 60_000, maxAttempts: 2, backoffMs: () => 1_000, batch: 100 };

    const first = await runDueActions(deps, settings);
    expect(first.retried).toContain(a.id);
    let stored = (await deps.actions.getAction(a.id))!;
    expect([stored.state, stored.attempts, stored.error]).toEqual(['pending', 1, 'publisher down']);
    // Not due again before the backoff has passed.
    expect((await runDueActions(deps, settings)).retried).not.toContain(a.id);
    now += 1_000;
    expect((await runDueActions(deps, settings)).failed).toContain(a.id);
    stored = (await deps.actions.getAction(a.id))!;
    expect([stored.state, stored.attempts, stored.error, stored.due_at]).toEqual(['failed', 2, 'publisher down', null]);
    const listed = (await actionsOf('alice', 'regen')).find((x) => x.id === a.id)!;
    expect([listed.state, listed.error]).toEqual(['failed', 'publisher down']);
  });

  it('an action whose runner died is run again once its lease ends (at-least-once)', async () => {
    let now = 2_100_000_000_000;
    const clock = { now: () => now };
    const project = (await t.service.ctx.store.getProject('alice', 'regen'))!;
    const published: string[] = [];
    const deps = actionDeps({ clock, publish: async (r) => void published.push(r.chroot) });
    const a = await enqueueCreaterepo({ store: deps.store, actions: deps.actions, clock, wake: async () => undefined }, project, ['epel-10-x86_64']);
    // A runner claims it and vanishes.
    expect(await deps.actions.claimAction(a.id, a.due_at!, now + 5_000, Math.floor(now / 1000))).not.toBeNull();
    // A second claim of the same due time loses.
    expect(await deps.actions.claimAction(a.id, a.due_at!, now + 5_000, Math.floor(now / 1000))).toBeNull();
    const settings = { leaseMs: 5_000, maxAttempts: 3, backoffMs: () => 0, batch: 100 };
    expect((await runDueActions(deps, settings)).succeeded).not.toContain(a.id);
    now += 5_000;
    expect((await runDueActions(deps, settings)).succeeded).toContain(a.id);
    const stored = (await deps.actions.getAction(a.id))!;
    expect([stored.state, stored.attempts]).toEqual(['succeeded', 2]);
    expect(published).toEqual(['epel-10-x86_64']);
    // The dead runner's late report cannot overwrite the attempt that replaced it.
    expect(await deps.actions.finishAction(a.id, 1, { state: 'failed', endedOn: 0, error: 'late' })).toBe(false);
  });
});
