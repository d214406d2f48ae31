import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSrpm, repoPackages, run, startDnfEnv, uploadBuild, waitFor, waitForBuild, type DnfEnv } from './dnf-support.js';

/**
 * A project's repositories exist, empty and signed, from the moment the project (or a
 * chroot) is created, as on Copr: Debian's real `dnf copr enable` against this server,
 * then `dnf makecache` and an install transaction with nothing to do, before any build.
 * Switching devel mode (`--disable_createrepo`) back off republishes the main repository.
 */
let env: DnfEnv;

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  env = await startDnfEnv();
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('a new project before its first build', () => {
  it('has signed empty repodata and pubkey.gpg', async () => {
    // Created by startDnfEnv: alice/demo with fedora-44-x86_64, no builds.
    const repodata = env.repodata('demo');
    await waitFor('the empty repository', () => exists(join(repodata, 'repomd.xml')));
    await env.sys.publisher.idle();
    expect(await repoPackages(repodata)).toEqual([]);
    expect(await exists(join(repodata, 'repomd.xml.asc'))).toBe(true);
    const results = env.t.service.config.RESULTS_BASE_URL;
    const key = await fetch(`${results}/alice/demo/pubkey.gpg`);
    expect(key.status).toBe(200);
    const armored = await key.text();
    expect(armored).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    // The repository's metadata signature verifies with that key.
    const gnupg = join(env.work, 'gnupg-demo');
    await mkdir(gnupg, { recursive: true, mode: 0o700 });
    const keyFile = join(env.work, 'demo-pubkey.gpg');
    await writeFile(keyFile, armored);
    await run('gpg', ['--homedir', gnupg, '--batch', '--import', keyFile]);
    await run('gpg', ['--homedir', gnupg, '--batch', '--verify', join(repodata, 'repomd.xml.asc'), join(repodata, 'repomd.xml')]);
  });

  it('`dnf copr enable` then makecache and an install transaction succeed', async () => {
    const reposdir = join(env.work, 'copr-enable');
    await mkdir(reposdir, { recursive: true });
    const enable = await env.dnf(reposdir, ['copr', 'enable', '--hub', env.t.service.url, 'alice/demo', env.chroot]);
    expect(enable.ok, enable.out).toBe(true);
    const files = await readdir(reposdir);
    expect(files).toHaveLength(1);
    const repoFile = await readFile(join(reposdir, files[0]!), 'utf8');
    expect(repoFile).toContain(`baseurl=${env.t.service.config.RESULTS_BASE_URL}/alice/demo/fedora-$releasever-$basearch/`);
    expect(repoFile).toContain('repo_gpgcheck=1');

    // Copr's repo file says skip_if_unavailable=True; override it so a missing or badly
    // signed repomd.xml (repo_gpgcheck=1) fails the command instead of being skipped.
    const strict = ['--setopt=*.skip_if_unavailable=False'];
    const cache = await env.dnf(reposdir, ['makecache'], strict);
    expect(cache.ok, cache.out).toBe(true);
    // \b404\b: a key fingerprint printed there may hold the digits 404 (e.g. 4046).
    expect(cache.out).not.toMatch(/Cannot download|Errors during downloading|\b404\b|Ignoring repositories/);
    // Nothing to install yet: the transaction resolves against the empty repository.
    const upgrade = await env.dnf(reposdir, ['upgrade'], strict);
    expect(upgrade.ok, upgrade.out).toBe(true);
    expect(upgrade.out).toMatch(/Nothing to do/);
  });

  it('a chroot added later gets its empty repository too', async () => {
    const res = await env.alice.send('POST', 'project/edit/alice/demo', {
      query: { ownername: 'alice', projectname: 'demo' },
      json: { chroots: [env.chroot, 'fedora-44-aarch64'] },
    });
    expect(res.status).toBe(200);
    const added = join(env.sys.results.root, 'alice', 'demo', 'fedora-44-aarch64', 'repodata');
    await waitFor('the new chroot repository', () => exists(join(added, 'repomd.xml')));
    await env.sys.publisher.idle();
    expect(await exists(join(added, 'repomd.xml.asc'))).toBe(true);
    expect(await repoPackages(added)).toEqual([]);
  });
});

describe('devel mode (--disable_createrepo) switched back off', () => {
  it('republishes the main repository with the builds made meanwhile', async () => {
    const edit = (devel: boolean) =>
      env.alice.send('POST', 'project/edit/alice/demo', { query: { ownername: 'alice', projectname: 'demo' }, json: { devel_mode: devel } });
    expect((await edit(true)).status).toBe(200);
    const id = await uploadBuild(env.alice, 'alice', 'demo', await makeSrpm(env.work, 'devel-only'));
    expect(await waitForBuild(env.alice, id)).toBe('succeeded');
    const develRepodata = join(env.sys.results.root, 'alice', 'demo', env.chroot, 'devel', 'repodata');
    await waitFor('the devel repository', async () => (await repoPackages(develRepodata)).some((f) => f.startsWith('devel-only-')));
    await env.sys.publisher.idle();
    expect(await repoPackages(env.repodata('demo'))).toEqual([]);

    expect((await edit(false)).status).toBe(200);
    await waitFor('the main repository', async () => (await repoPackages(env.repodata('demo'))).some((f) => f.startsWith('devel-only-')));
    await env.sys.publisher.idle();
    expect(await repoPackages(env.repodata('demo'))).toEqual(['devel-only-1.0-1.fc44.noarch.rpm', 'devel-only-1.0-1.fc44.src.rpm']);
  });
});
