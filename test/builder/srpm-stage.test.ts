import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { SourceType, TaskInput } from '../../builder-ami/agent/task.js';
import { makeTitoRepo } from '../support/tito-repo.js';
import { FIXTURES, localPorts, makeSrpm, removeDir, startServer, tempDir, type TestServer } from './helpers.js';

function srpmTask(sourceType: SourceType, source: unknown, extra: Partial<TaskInput> = {}): TaskInput {
  return {
    kind: 'srpm',
    task_id: '12',
    build_id: 12,
    project_owner: 'jdoe',
    project_name: 'demo',
    project_dirname: 'demo',
    timeout: 60,
    enable_net: false,
    package_name: null,
    source_type: sourceType,
    source_json: JSON.stringify(source),
    chroot: null,
    distributions_in_build: ['fedora-41'],
    distributions_in_project: ['fedora-41', 'epel-9'],
    ...extra,
  } as TaskInput;
}

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

/** A git repo whose tag v1 holds `fixtureDir` below `subdir`; a later commit breaks it. */
function makeRepo(dir: string, fixtureDir: string, subdir = ''): string {
  mkdirSync(join(dir, subdir), { recursive: true });
  cpSync(fixtureDir, join(dir, subdir), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'package');
  git(dir, 'tag', 'v1');
  rmSync(join(dir, subdir, readdirSync(join(dir, subdir)).find((f) => f.endsWith('.spec')) ?? 'x'));
  git(dir, 'commit', '-q', '-a', '-m', 'remove the spec');
  return dir;
}

describe('SRPM stage', () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('srpm');
    const files = join(root, 'files');
    makeSrpm('hello-noarch.spec', files, ['hello.sh']);
    makeSrpm('exclusive.spec', files);
    cpSync(join(FIXTURES, 'hello-noarch.spec'), join(files, 'bare.spec'));
    cpSync(join(FIXTURES, 'broken.spec'), join(files, 'nosources.spec'));
    server = await startServer(files);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('takes a ready SRPM from a URL (link)', async () => {
    const ports = localPorts(join(root, 'link'));
    const outcome = await runTask(srpmTask('link', { url: `${server.url}/hello-noarch-1.0-1.src.rpm` }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome).toMatchObject({ status: 'succeeded', srpm_filename: 'hello-noarch-1.0-1.src.rpm' });
    expect(readdirSync(ports.resultDir).sort()).toEqual(
      ['builder-live.log', 'hello-noarch-1.0-1.src.rpm', 'hello-noarch.spec', 'results.json', 'success'].sort(),
    );
    const results = JSON.parse(readFileSync(join(ports.resultDir, 'results.json'), 'utf8'));
    expect(results).toEqual({
      name: 'hello-noarch',
      epoch: null,
      version: '1.0',
      release: '1',
      architecture_specific_tags: { 'fedora-41': { buildarch: ['noarch'] } },
    });
    expect(readFileSync(join(ports.resultDir, 'success'), 'utf8').trim()).toBe('done');
  });

  it('reports architecture tags per distribution (ExclusiveArch, Fedora-only ExcludeArch)', async () => {
    const ports = localPorts(join(root, 'arch'));
    const outcome = await runTask(
      srpmTask('link', { url: `${server.url}/exclusive-2.0-3.src.rpm` }, { distributions_in_build: ['fedora-41', 'epel-9'] }),
      ports.deps,
    );
    expect(outcome.status).toBe('succeeded');
    expect(JSON.parse(readFileSync(join(ports.resultDir, 'results.json'), 'utf8'))).toEqual({
      name: 'exclusive',
      epoch: 1,
      version: '2.0',
      release: '3',
      architecture_specific_tags: {
        'fedora-41': { exclusivearch: ['x86_64'], excludearch: ['i686'] },
        'epel-9': { exclusivearch: ['x86_64'] },
      },
    });
  });

  it('uses distributions_in_project when the build names none', async () => {
    const ports = localPorts(join(root, 'project-distros'));
    const outcome = await runTask(
      srpmTask('link', { url: `${server.url}/exclusive-2.0-3.src.rpm` }, { distributions_in_build: [] }),
      ports.deps,
    );
    expect(Object.keys((outcome.results as { architecture_specific_tags: object }).architecture_specific_tags)).toEqual([
      'fedora-41',
      'epel-9',
    ]);
  });

  it('builds an SRPM from a .spec URL', async () => {
    const ports = localPorts(join(root, 'spec-url-ok'));
    const outcome = await runTask(srpmTask('link', { url: `${server.url}/nosources.spec` }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('broken-1.0-1.src.rpm');
    expect(readdirSync(ports.resultDir)).toContain('nosources.spec');
  });

  it('fails a .spec URL whose local source is not next to it', async () => {
    // Spec URLs fetch only sources declared as URLs; a bare file name cannot be found.
    const ports = localPorts(join(root, 'spec-url'));
    const outcome = await runTask(srpmTask('link', { url: `${server.url}/bare.spec` }), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toMatch(/^building the SRPM from the spec failed/);
    expect(outcome.fail_reason).toContain('hello.sh');
  });

  it('rejects a URL that is not a source RPM', async () => {
    const ports = localPorts(join(root, 'not-srpm'));
    const outcome = await runTask(srpmTask('link', { url: `${server.url}/bare.spec.txt` }), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.fail_reason).toMatch(/download failed: HTTP 404/);
  });

  it('builds rpkg-style from a git subdirectory, making Source0 with git archive', async () => {
    const repo = makeRepo(join(root, 'repo-rpkg'), join(FIXTURES, 'rpkg'), 'pkg');
    const ports = localPorts(join(root, 'rpkg'));
    const source = { type: 'git', clone_url: repo, committish: 'v1', subdirectory: 'pkg', spec: '', srpm_build_method: 'rpkg' };
    const outcome = await runTask(srpmTask('scm', source), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('hello-scm-1.0-1.src.rpm');
    const listing = execFileSync('rpm', ['-qpl', '--nosignature', join(ports.resultDir, 'hello-scm-1.0-1.src.rpm')], { encoding: 'utf8' });
    expect(listing.split('\n').sort()).toEqual(['', 'hello-scm-1.0.tar.gz', 'hello-scm.spec']);
    // The generated tarball holds the subdirectory's files under name-version/.
    const tmp = join(root, 'rpkg-extract');
    mkdirSync(tmp);
    execFileSync('bash', ['-c', `rpm2cpio "$1" | cpio -idm --quiet && tar -tzf hello-scm-1.0.tar.gz`, '_', join(ports.resultDir, 'hello-scm-1.0-1.src.rpm')], { cwd: tmp });
    const tarList = execFileSync('tar', ['-tzf', join(tmp, 'hello-scm-1.0.tar.gz')], { encoding: 'utf8' });
    expect(tarList).toContain('hello-scm-1.0/hello.sh');
  });

  it('fails rpkg at a committish without a spec', async () => {
    const repo = makeRepo(join(root, 'repo-rpkg2'), join(FIXTURES, 'rpkg'));
    const ports = localPorts(join(root, 'rpkg-head'));
    const outcome = await runTask(srpmTask('scm', { clone_url: repo, committish: 'main', srpm_build_method: 'rpkg' }), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: 'scm: no .spec file found' });
  });

  it('builds with make_srpm inside the sandbox', async () => {
    const repo = makeRepo(join(root, 'repo-make'), join(FIXTURES, 'make-srpm'));
    const ports = localPorts(join(root, 'make'));
    const source = { type: 'git', clone_url: `file://${repo}`, committish: 'v1', spec: 'hello-noarch.spec', srpm_build_method: 'make_srpm' };
    const outcome = await runTask(srpmTask('scm', source), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('hello-noarch-1.0-1.src.rpm');
    expect(ports.liveLog()).toContain('make_srpm running in');
    expect(ports.liveLog()).toContain('bwrap');
  });

  it('builds with the real tito: the latest tag (tito) and the checked-out commit (tito_test)', async () => {
    const repo = makeTitoRepo(join(root, 'repo-tito'));
    const tagged = localPorts(join(root, 'tito'));
    const outcome = await runTask(srpmTask('scm', { clone_url: repo, srpm_build_method: 'tito' }), tagged.deps);
    expect(outcome.fail_reason).toBeUndefined();
    // The tag's release, with the tarball tito makes from the tagged tree.
    expect(outcome.srpm_filename).toBe('hello-tito-1.2-1.src.rpm');
    const listing = execFileSync('rpm', ['-qpl', '--nosignature', join(tagged.resultDir, 'hello-tito-1.2-1.src.rpm')], { encoding: 'utf8' });
    expect(listing.split('\n').sort()).toEqual(['', 'hello-tito-1.2.tar.gz', 'hello-tito.spec']);
    expect(tagged.liveLog()).toContain('bwrap');

    const head = git(repo, 'rev-parse', '--short=7', 'HEAD').trim();
    const test = localPorts(join(root, 'tito-test'));
    const built = await runTask(srpmTask('scm', { clone_url: repo, srpm_build_method: 'tito_test' }), test.deps);
    expect(built.fail_reason).toBeUndefined();
    expect(built.srpm_filename).toBe(`hello-tito-1.2-1.git.1.${head}.src.rpm`);
  });

  it('fails tito in a repository without .tito, with the reason', async () => {
    const repo = makeRepo(join(root, 'repo-notito'), join(FIXTURES, 'rpkg'));
    const ports = localPorts(join(root, 'notito'));
    const outcome = await runTask(srpmTask('scm', { clone_url: repo, committish: 'v1', srpm_build_method: 'tito' }), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: 'SCM method tito: the repository has no .tito directory (tito init)' });
  });

  it('runs a custom script that leaves a spec and sources', async () => {
    const ports = localPorts(join(root, 'custom'));
    // The script writes its files itself: inside the sandbox /tmp is a fresh tmpfs, so
    // host paths of the checkout (which may live under /tmp) are not visible.
    const heredoc = (name: string) => `cat > ${name} <<'COPR_EOF'\n${readFileSync(join(FIXTURES, name), 'utf8')}COPR_EOF\n`;
    const script = `#!/bin/sh\nset -e\necho "package=$COPR_PACKAGE"\n${heredoc('hello-noarch.spec')}${heredoc('hello.sh')}`;
    const outcome = await runTask(srpmTask('custom', { script, chroot: 'fedora-latest-x86_64' }, { package_name: 'hello-noarch' }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('hello-noarch-1.0-1.src.rpm');
    expect(ports.liveLog()).toContain('package=hello-noarch');
  });

  it('gives a custom script the webhook payload as hook_payload', async () => {
    const ports = localPorts(join(root, 'custom-hook'));
    const heredoc = (name: string) => `cat > ${name} <<'COPR_EOF'\n${readFileSync(join(FIXTURES, name), 'utf8')}COPR_EOF\n`;
    const script = `#!/bin/sh\nset -e\necho "payload: $(cat hook_payload)"\n${heredoc('hello-noarch.spec')}${heredoc('hello.sh')}`;
    const outcome = await runTask(srpmTask('custom', { script, hook_data: '{"ref":"v2"}' }, { package_name: 'hello-noarch' }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(ports.liveLog()).toContain('payload: {"ref":"v2"}');
  });

  it('fails a custom script that exits non-zero', async () => {
    const ports = localPorts(join(root, 'custom-fail'));
    const outcome = await runTask(srpmTask('custom', { script: 'echo oops; exit 3' }), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: 'custom script failed (exit 3), see builder-live.log' });
    expect(readFileSync(join(ports.resultDir, 'builder-live.log'), 'utf8')).toContain('oops');
  });

  it('builds distgit when every source is committed, and names lookaside sources no cache serves', async () => {
    const good = makeRepo(join(root, 'distgit-good'), join(FIXTURES, 'make-srpm'));
    const ports = localPorts(join(root, 'distgit'));
    const outcome = await runTask(srpmTask('distgit', { clone_url: good, committish: 'v1' }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();

    const bad = join(root, 'distgit-bad');
    mkdirSync(bad);
    cpSync(join(FIXTURES, 'hello-noarch.spec'), join(bad, 'hello-noarch.spec'));
    writeFileSync(join(bad, 'sources'), 'SHA512 (hello.sh) = 00\n');
    git(bad, 'init', '-q', '-b', 'main');
    git(bad, 'add', '-A');
    git(bad, 'commit', '-q', '-m', 'x');
    const ports2 = localPorts(join(root, 'distgit2'));
    const failed = await runTask(srpmTask('distgit', { clone_url: bad }), ports2.deps);
    expect(failed.status).toBe('failed');
    // A path clone URL is host `localhost`, which no default instance serves (srpm-lookaside.test.ts has the downloads).
    expect(failed.fail_reason).toBe(
      `distgit: lookaside: hello.sh is listed in sources but no lookaside cache is configured for ${bad} (COPR_DISTGIT_LOOKASIDE)`,
    );
  });

  it('reports bad source_json as the fail reason', async () => {
    const ports = localPorts(join(root, 'bad-json'));
    const outcome = await runTask(srpmTask('scm', { committish: 'x' }), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toMatch(/^invalid source_json: .*clone_url/s);
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
  });
});
