import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build, BuildChroot } from '../../functions/core/build-model.js';
import { newBuild } from '../../functions/core/builds.js';
import { deleteBuildsOf, removeChrootData, removeProjectData, withChroots } from '../../functions/core/cleanup.js';
import type { Project } from '../../functions/core/model.js';
import { coreHarness, type CoreHarness } from './app-support.js';

/**
 * The one cleanup module (functions/core/cleanup.ts) that build deletion, project
 * actions and maintenance share, against DynamoDB Local and the local results
 * store: what goes at once, what goes through the publisher, and that rows go last
 * so a run that fails midway is finished by the next.
 */
const F = 'fedora-44-x86_64';
const E = 'epel-10-x86_64';
let h: CoreHarness;
let project: Project;

const dirOf = (id: number) => `${String(id).padStart(8, '0')}-hello`;

/** A finished build of `hello` in alice/p (or its `dirname`), with files in the results store. */
async function finished(id: number, states: Record<string, BuildChroot['state']>, dirname = 'p', over: Partial<Build> = {}): Promise<Build> {
  const b = newBuild(id, 'alice', 'p', { project_dirname: dirname, package_name: 'hello', source_type: 'scm', source_status: 'succeeded', submitter: 'alice', submitted_on: 1, timeout: 3600, ...over });
  const chroots = Object.entries(states).map(([name, state]): BuildChroot => ({ build_id: id, name, state, started_on: 1, ended_on: 2, result_dir: dirOf(id), fail_reason: null, packages: [] }));
  await h.ports.builds.createBuild(b, chroots, [], null);
  await h.ports.results.put(`alice/${dirname}/srpm-builds/${String(id).padStart(8, '0')}/hello.src.rpm`, 'srpm');
  for (const name of Object.keys(states)) await h.ports.results.put(`alice/${dirname}/${name}/${dirOf(id)}/hello.rpm`, 'rpm');
  return b;
}

const files = (prefix: string) => h.ports.results.list(prefix);

beforeAll(async () => {
  h = await coreHarness();
  const p = await h.ports.store.getProject('alice', 'p');
  if (!p) throw new Error('the harness project is missing');
  project = p;
});
afterAll(() => h.close());

describe('cleanup', () => {
  it('deleteBuildsOf: one republish per repository naming every dropped dir; unpublished dirs go at once; rows last', async () => {
    const a = await finished(101, { [F]: 'succeeded', [E]: 'failed' });
    const b = await finished(102, { [F]: 'forked' });
    const stays = await finished(103, { [F]: 'succeeded', [E]: 'succeeded' });
    h.published.length = 0;
    const whole = await withChroots(h.ports, [a, b]);
    const staysE = (await h.ports.builds.listBuildChroots(stays.id)).filter((c) => c.name === E);
    await deleteBuildsOf(h.ports, project, whole, staysE.map((chroot) => ({ build: stays, chroot })));

    expect(h.published.map((r) => ({ chroot: r.chroot, deletes: r.deletes })).sort((x, y) => x.chroot.localeCompare(y.chroot))).toEqual([
      { chroot: E, deletes: [dirOf(101), dirOf(103)] },
      { chroot: F, deletes: [dirOf(101), dirOf(102)] },
    ]);
    // Published dirs wait for the publisher; the failed one is gone already.
    expect(await files(`alice/p/${E}/${dirOf(101)}/`)).toEqual([]);
    expect(await files(`alice/p/${F}/${dirOf(101)}/`)).toEqual([`alice/p/${F}/${dirOf(101)}/hello.rpm`]);
    expect(await files(`alice/p/${E}/${dirOf(103)}/`)).toEqual([`alice/p/${E}/${dirOf(103)}/hello.rpm`]);
    expect(await files('alice/p/srpm-builds/00000101/')).toEqual([]);
    expect(await files('alice/p/srpm-builds/00000103/')).toHaveLength(1);
    expect(await h.ports.builds.getBuild(101)).toBeNull();
    expect(await h.ports.builds.getBuild(102)).toBeNull();
    expect(await h.ports.builds.getBuild(103)).not.toBeNull();
  });

  it('a run whose republish fails leaves the rows, so a repeat finds the build and finishes', async () => {
    const b = await finished(111, { [F]: 'succeeded' });
    const failing = { ...h.ports, publish: async () => Promise.reject(new Error('publisher down')) };
    await expect(deleteBuildsOf(failing, project, await withChroots(h.ports, [b]))).rejects.toThrow('publisher down');
    expect(await h.ports.builds.getBuild(111)).not.toBeNull();

    const again = await h.ports.builds.getBuild(111);
    if (!again) throw new Error('unreachable');
    h.published.length = 0;
    await deleteBuildsOf(h.ports, project, await withChroots(h.ports, [again]));
    expect(h.published.map((r) => r.deletes)).toEqual([[dirOf(111)]]);
    expect(await h.ports.builds.getBuild(111)).toBeNull();
  });

  it('removeProjectData removes every dir of the project and its uploads, not a neighbour sharing the name prefix', async () => {
    const tmp = '0123abcd-0123-4567-89ab-0123456789ab';
    const main = await finished(121, { [F]: 'succeeded' }, 'gone', { source_type: 'upload', source_dict: { tmp, pkg: 'hello.src.rpm' } });
    const pr = await finished(122, { [F]: 'failed' }, 'gone:pr:3');
    await h.ports.results.put(`_uploads/${tmp}/hello.src.rpm`, 'upload');
    await h.ports.results.put('alice/gone-too/keep.txt', 'neighbour');
    h.published.length = 0;

    expect(await removeProjectData(h.ports, 'alice', 'gone', [main, pr])).toEqual(['gone', 'gone:pr:3']);
    expect(await files('alice/gone/')).toEqual([]);
    expect(await files('alice/gone:pr:3/')).toEqual([]);
    expect(await files(`_uploads/${tmp}/`)).toEqual([]);
    expect(await files('alice/gone-too/')).toEqual(['alice/gone-too/keep.txt']);
    expect(await h.ports.builds.getBuild(121)).toBeNull();
    expect(await h.ports.builds.getBuild(122)).toBeNull();
    // Whole dirs: no repository of theirs is served, nothing to republish.
    expect(h.published).toEqual([]);
  });

  it('removeChrootData removes one chroot in every dir builds were made in', async () => {
    await finished(131, { [F]: 'succeeded', [E]: 'succeeded' }, 'p:pr:9');
    expect(await removeChrootData(h.ports, 'alice', 'p', E)).toEqual(['alice/p/epel-10-x86_64', 'alice/p:pr:9/epel-10-x86_64']);
    expect(await files(`alice/p:pr:9/${E}/`)).toEqual([]);
    expect(await files(`alice/p/${E}/`)).toEqual([]);
    expect(await files(`alice/p:pr:9/${F}/`)).toHaveLength(1);
  });
});
