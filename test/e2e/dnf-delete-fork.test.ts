import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableNames, repoPackages, run, startDnfEnv, waitFor, type DnfEnv } from './dnf-support.js';

/** What Debian's real dnf sees after deleting a build and after forking the project. */
let env: DnfEnv;
let helloId: number;

beforeAll(async () => {
  env = await startDnfEnv();
  // Two builders: both builds run at once.
  [helloId] = await Promise.all([env.buildAndPublish('hello-dnf'), env.buildAndPublish('bye-dnf')]);
}, 90_000);

afterAll(async () => {
  await env?.stop();
});

describe('what dnf sees after deleting a build and after forking', () => {
  it('a deleted build leaves the repository; the others stay', async () => {
    const reposdir = await env.reposdirFor('demo');
    expect(await availableNames(env.dnf, reposdir)).toEqual(['bye-dnf-1.0-noarch', 'bye-dnf-1.0-src', 'hello-dnf-1.0-noarch', 'hello-dnf-1.0-src']);

    const del = await env.alice.send('DELETE', `build/delete/${helloId}`, { query: { build_id: helloId } });
    expect(del.status).toBe(200);
    await env.sys.publisher.idle(); // the delete queued its publishing run before answering
    expect(await repoPackages(env.repodata('demo'))).toEqual(['bye-dnf-1.0-1.fc44.noarch.rpm', 'bye-dnf-1.0-1.fc44.src.rpm']);
    expect(await availableNames(env.dnf, reposdir)).toEqual(['bye-dnf-1.0-noarch', 'bye-dnf-1.0-src']);
  });

  it('a fork serves exactly the source packages, re-signed with its own key', async () => {
    const res = await env.alice.send('POST', 'project/fork/alice/demo', {
      query: { ownername: 'alice', projectname: 'demo' },
      json: { name: 'copy', ownername: 'alice', confirm: false },
    });
    expect(res.status).toBe(200);
    const action = await waitFor('fork action', async () => {
      const list = await env.alice.get<{ items: Array<{ action_type: string; state: string; error: string | null }> }>('project/actions/alice/copy');
      return list.body.items.find((a) => a.action_type === 'fork' && ['succeeded', 'failed'].includes(a.state));
    });
    expect(action).toMatchObject({ state: 'succeeded', error: null });
    await waitFor('the fork repository', async () => (await repoPackages(env.repodata('copy'))).some((f) => f.startsWith('bye-dnf')));
    await env.sys.publisher.idle();
    expect(await repoPackages(env.repodata('copy'))).toEqual(['bye-dnf-1.0-1.fc44.noarch.rpm', 'bye-dnf-1.0-1.fc44.src.rpm']);

    const results = env.t.service.config.RESULTS_BASE_URL;
    const srcKey = await (await fetch(`${results}/alice/demo/pubkey.gpg`)).text();
    const dstKey = await (await fetch(`${results}/alice/copy/pubkey.gpg`)).text();
    expect(dstKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(dstKey).not.toBe(srcKey);

    // gpgcheck=1 with only the fork's key: installs only if the copy was re-signed.
    const reposdir = await env.reposdirFor('copy');
    expect(await availableNames(env.dnf, reposdir)).toEqual(['bye-dnf-1.0-noarch', 'bye-dnf-1.0-src']);
    const install = await env.dnf(reposdir, ['install', 'bye-dnf']);
    expect(install.ok, install.out).toBe(true);
    const { stdout } = await run('sh', [join(install.root, 'usr', 'bin', 'bye-dnf')]);
    expect(stdout.trim()).toBe('hello from bye-dnf');
  });
});
