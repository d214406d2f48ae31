import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { COPR_CLI, createdBuildId, startCliEnv, waitForCliStatus, type CliEnv, type CliUser } from '../support/copr-cli.js';

/**
 * The rest of the copr-cli command table (README), with the REAL copr-cli: tokens,
 * webhook secrets, permissions, packages, cancel/delete of builds, monitor,
 * regenerate-repos, delete. Builders are held at zero, so submitted builds stay
 * queued and cancel never races a builder.
 */
// Each copr-cli run is a Python start-up (~1 s, several on a loaded 2-core box).
vi.setConfig({ testTimeout: 120_000 });
const CHROOT = 'fedora-44-x86_64';
let env: CliEnv;
let alice: CliUser;
let bob: CliUser;

beforeAll(async () => {
  env = await startCliEnv({ builds: true, maxBuilders: 0 });
  alice = await env.user('alice');
  bob = await env.user('bob');
  const created = await alice.run(['create', 'tools', '--chroot', CHROOT, '--description', 'Tools']);
  if (created.code !== 0) throw new Error(`copr-cli create failed: ${created.stderr}`);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('tokens and secrets', () => {
  it('new-api-token rewrites the config; the new token works, the old one does not', async () => {
    const before = await readFile(alice.configPath, 'utf8');
    const r = await alice.run(['new-api-token']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`New API token was updated in ${alice.configPath}`);
    const after = await readFile(alice.configPath, 'utf8');
    expect(after).not.toBe(before);
    expect((await alice.run(['modify', 'tools', '--description', 'With the new token'])).code).toBe(0);
    // The old credentials (still in alice.api) are refused: copr-cli retries a 401, then exit 1.
    const old = await alice.api.send('PUT', 'project/edit/alice/tools', { json: { description: 'x' } });
    expect(old.status).toBe(401);
  });

  it('new-webhook-secret asks, then prints a new secret', async () => {
    // It reads the answer from stdin.
    const r = await new Promise<{ code: number; out: string }>((ok) => {
      const p = spawn(COPR_CLI, ['--config', alice.configPath, 'new-webhook-secret', 'tools'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: env.work, LANG: 'C.UTF-8' },
      });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => ok({ code: code ?? -1, out }));
      p.stdin.end('y\n');
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Generated new token: [0-9a-f-]{36}/);
  });
});

describe('permissions', () => {
  it('request, edit and list roles', async () => {
    const none = await alice.run(['list-permissions', 'tools']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('No permissions set on alice/tools project');
    const req = await bob.run(['request-permissions', 'alice/tools', '--builder']);
    expect(req.code, req.stderr).toBe(0);
    expect((await alice.run(['list-permissions', 'tools'])).stdout).toBe('bob:\n  admin: nothing\n  builder: request\n');
    const edit = await alice.run(['edit-permissions', 'tools', '--builder', 'bob=approved', '--admin', 'bob']);
    expect(edit.code, edit.stderr).toBe(0);
    expect((await alice.run(['list-permissions', 'tools'])).stdout).toBe('bob:\n  admin: approved\n  builder: approved\n');
    // Not an editor: the 403 becomes copr-cli's authentication error, exit 7.
    const denied = await env.user('carol').then((c) => c.run(['edit-permissions', 'alice/tools', '--builder', 'carol=approved']));
    expect(denied.code).toBe(7);
  });
});

describe('packages', () => {
  it('add, edit, list, reset and delete', async () => {
    expect((await alice.run(['add-package-scm', 'tools', '--name', 'hello', '--clone-url', 'https://example.com/hello.git'])).code).toBe(0);
    expect((await alice.run(['edit-package-scm', 'tools', '--name', 'hello', '--clone-url', 'https://example.com/hello2.git', '--method', 'make_srpm'])).code).toBe(0);
    expect((await alice.run(['add-package-pypi', 'tools', '--name', 'python-foo', '--packagename', 'foo'])).code).toBe(0);
    expect((await alice.run(['add-package-rubygems', 'tools', '--name', 'rubygem-rake', '--gem', 'rake'])).code).toBe(0);
    const dup = await alice.run(['add-package-rubygems', 'tools', '--name', 'rubygem-rake', '--gem', 'rake']);
    expect(dup.code).toBe(1);

    const names = await alice.run(['list-package-names', 'tools']);
    expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual(['hello', 'python-foo', 'rubygem-rake']);
    const list = await alice.run(['list-packages', 'tools', '--with-latest-build']);
    expect(list.code, list.stderr).toBe(0);
    const hello = (JSON.parse(list.stdout) as Array<Record<string, unknown>>).find((p) => p.name === 'hello');
    expect(hello).toMatchObject({
      source_type: 'scm',
      source_dict: { clone_url: 'https://example.com/hello2.git', source_build_method: 'make_srpm', type: 'git' },
      latest_build: null,
    });

    expect((await alice.run(['reset-package', 'tools', '--name', 'hello'])).code).toBe(0);
    const reset = JSON.parse((await alice.run(['get-package', 'tools', '--name', 'hello'])).stdout) as Record<string, unknown>;
    expect(reset).toMatchObject({ source_type: 'unset', source_dict: {} });
    expect((await alice.run(['delete-package', 'tools', '--name', 'python-foo'])).code).toBe(0);
    const gone = await alice.run(['get-package', 'tools', '--name', 'python-foo']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('No package with name python-foo in copr tools');
  });
});

describe('builds that stay queued', () => {
  it('build-package, monitor, cancel, delete-build', async () => {
    const r = await alice.run(['build-package', 'tools', '--name', 'rubygem-rake', '--nowait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Build was added to tools:\n  ${env.url}/coprs/build/`);
    const id = createdBuildId(r.stdout);
    expect((await alice.run(['status', String(id)])).stdout).toBe('pending\n');

    const monitor = await alice.run(['monitor', 'tools']);
    expect(monitor.code, monitor.stderr).toBe(0);
    expect(JSON.parse(monitor.stdout)).toEqual([{ build_id: id, chroot: CHROOT, name: 'rubygem-rake', pkg_version: null, state: 'waiting' }]);

    const cancel = await alice.run(['cancel', String(id)]);
    expect(cancel).toMatchObject({ code: 0, stdout: 'canceled\n' });
    expect(await waitForCliStatus(alice, id, 30_000)).toBe('canceled');
    const again = await alice.run(['cancel', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Cannot cancel build ${id}`);

    const del = await alice.run(['delete-build', String(id)]);
    expect(del).toMatchObject({ code: 0, stdout: `Build(s) ${id} were deleted.\n` });
    const status = await alice.run(['status', String(id)]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`Build ${id} does not exist.`);
  });

  it('watch-build exits 4 for a canceled build', async () => {
    const r = await alice.run(['build-package', 'tools', '--name', 'rubygem-rake', '--nowait']);
    const id = createdBuildId(r.stdout);
    expect((await alice.run(['cancel', String(id)])).code).toBe(0);
    const watch = await alice.run(['watch-build', String(id)]);
    expect(watch.code).toBe(4);
    expect(watch.stderr).toContain(`Build(s) ${id} canceled.`);
  });
});

describe('project maintenance', () => {
  it('regenerate-repos, fork into a new name, delete', async () => {
    const regen = await alice.run(['regenerate-repos', 'tools']);
    expect(regen).toMatchObject({ code: 0, stdout: "Submitted action to regenerate repository metadata for the 'alice/tools' project.\n" });
    const fork = await bob.run(['fork', 'alice/tools', 'mytools']);
    expect(fork.code, fork.stderr).toBe(0);
    expect(fork.stdout).toContain('Forking project alice/tools for you into bob/mytools.');
    expect((await bob.run(['get', 'mytools'])).stdout).toContain('Name: mytools\n');
    const del = await bob.run(['delete', 'mytools']);
    expect(del).toMatchObject({ code: 0, stdout: 'Project mytools has been deleted.\n' });
    expect((await bob.run(['get', 'mytools'])).code).toBe(1);
  });

  it('group projects: create @group/name, list @group', async () => {
    const grp = await env.user('dan', { groups: ['devs'] });
    const r = await grp.run(['create', '@devs/shared', '--chroot', CHROOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`New project was successfully created: ${env.url}/coprs/g/devs/shared/`);
    const list = await grp.run(['list', '@devs']);
    expect(list.stdout).toContain('Name: shared\n');
  });
});
