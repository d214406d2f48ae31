// The clone of an scm/distgit source runs on the host. A clone URL naming the host's own disk
// (a path, file://) would let any user build — and publish — any git repository the agent can
// read; git's ext:: transport would run a command. Both are refused unless the agent is
// configured for local repositories (tests and development only).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { localPorts, removeDir, tempDir } from '../builder/helpers.js';
import { specWithBuild, srpmTask } from './sandbox-helpers.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

describe('clone URLs of scm and distgit sources', { timeout: 120_000 }, () => {
  let root: string;
  let privateRepo: string;

  beforeAll(() => {
    root = tempDir('git-source');
    // Someone else's repository on the builder host's disk.
    privateRepo = join(root, 'private');
    mkdirSync(privateRepo);
    writeFileSync(join(privateRepo, 'secret.spec'), specWithBuild('secret', 'true'));
    git(privateRepo, 'init', '-q', '-b', 'main');
    git(privateRepo, 'add', '-A');
    git(privateRepo, 'commit', '-q', '-m', 'private');
  });
  afterAll(() => removeDir(root));

  /** Ports with the production default: no local repositories. */
  function productionPorts(name: string) {
    const ports = localPorts(join(root, name));
    return { ...ports, deps: { ...ports.deps, config: { allowLocalGitSources: false } } };
  }

  it.each([
    ['a plain path', () => privateRepo],
    ['a file:// URL', () => `file://${privateRepo}`],
  ])('refuses %s by default (scm)', async (_what, url) => {
    const ports = productionPorts(`scm-${_what.replaceAll(/\W/g, '')}`);
    const outcome = await runTask(srpmTask('scm', { type: 'git', clone_url: url(), srpm_build_method: 'rpkg' }), ports.deps);
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: `git clone of ${url()} refused: clone URLs must be remote (http, https, git or ssh)` });
    expect(existsSync(join(root, `scm-${_what.replaceAll(/\W/g, '')}`, 'work', 'build', 'scm'))).toBe(false);
  });

  it('refuses a local distgit repository by default', async () => {
    const ports = productionPorts('distgit');
    const outcome = await runTask(srpmTask('distgit', { clone_url: privateRepo }), ports.deps);
    expect(outcome.fail_reason).toBe(`git clone of ${privateRepo} refused: clone URLs must be remote (http, https, git or ssh)`);
  });

  it('never runs git\'s ext:: transport, even with local repositories allowed', async () => {
    const marker = join(root, 'ext-ran');
    const ports = localPorts(join(root, 'ext'));
    const url = `ext::sh -c touch% ${marker}`;
    const outcome = await runTask(srpmTask('scm', { type: 'git', clone_url: url, srpm_build_method: 'rpkg' }), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toMatch(/^git clone of .* failed/);
    expect(existsSync(marker)).toBe(false);
  });
});
