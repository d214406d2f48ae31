// Reproduction: parsing a user's spec runs its %(...) shell macros. The agent used to run
// `rpmspec -q` on the host (SRPM stage, SCM spec queries), so any SRPM executed code as the
// agent's user, on the host. Now every spec query runs inside the sandbox: the macro still
// runs (the build needs its value) but cannot touch the host.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { localPorts, removeDir, startServer, tempDir, type TestServer } from '../builder/helpers.js';
import { MAKING_SRPM_ENV, specWithBuild, srpmFromSpecText, srpmTask } from './sandbox-helpers.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

/** Every file below `dir` whose name starts with `prefix`. */
function findNamed(dir: string, prefix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.name.startsWith(prefix))
    .map((e) => join(e.parentPath, e.name));
}

describe('spec parsing runs in the sandbox', { timeout: 120_000 }, () => {
  let root: string;
  let server: TestServer;
  const id = `${process.pid}-${Date.now()}`;
  const hostProof = `/tmp/copr-proof-${id}`;
  let hostDirProof: string;

  /**
   * A spec whose %global runs at parse time: it writes proof files into the host's /tmp and
   * into a host dir, and (when its cwd is inside the test's dirs) a "ran" marker.
   */
  function hostileSpec(name: string): string {
    const macro =
      `%global pwn %(if [ -z "$${MAKING_SRPM_ENV}" ]; then touch ${hostProof} ${hostDirProof} 2>/dev/null; ` +
      `case "$PWD" in (${root}*) touch "$PWD/ran-${id}" ;; esac; fi; echo 1)\n`;
    return specWithBuild(name, 'echo building', macro);
  }

  beforeAll(async () => {
    root = tempDir('spec-parse');
    hostDirProof = join(root, `proof-${id}`);
    const files = join(root, 'files');
    mkdirSync(files);
    srpmFromSpecText('evil-parse', hostileSpec('evil-parse'), files);
    server = await startServer(files);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('an SRPM whose spec runs %(touch ...) at parse time leaves no trace on the host (SRPM stage)', async () => {
    const ports = localPorts(join(root, 'link'));
    const outcome = await runTask(srpmTask('link', { url: `${server.url}/evil-parse-1-1.src.rpm` }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(existsSync(hostProof)).toBe(false);
    expect(existsSync(hostDirProof)).toBe(false);
    // The macro did run, with the sandbox's view: its cwd was the task's build dir.
    const ran = findNamed(join(root, 'link', 'work'), `ran-${id}`);
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((p) => p.startsWith(join(root, 'link', 'work', 'build')))).toBe(true);
  });

  it('the same spec in a git repository (scm/rpkg spec queries) leaves no trace on the host', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'evil-scm.spec'), hostileSpec('evil-scm'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'spec');
    const ports = localPorts(join(root, 'scm'));
    const outcome = await runTask(srpmTask('scm', { type: 'git', clone_url: repo, srpm_build_method: 'rpkg' }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('evil-scm-1-1.src.rpm');
    expect(existsSync(hostProof)).toBe(false);
    expect(existsSync(hostDirProof)).toBe(false);
    expect(findNamed(join(root, 'scm', 'work'), `ran-${id}`).length).toBeGreaterThan(0);
  });
});
