// What leaves the builder: a full disk fails the build with a reason (and never crashes the
// agent), shipped logs show no host paths, and a symlink planted by the build is never
// followed by the agent when it uploads results.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { localPorts, readGzLog, removeDir, startServer, tempDir, type TestServer } from '../builder/helpers.js';
import { rpmTask, specWithBuild, srpmFromSpecText } from './sandbox-helpers.js';

describe('build results and logs', { timeout: 120_000 }, () => {
  let root: string;
  let server: TestServer;
  let small: string;
  const hostSecret = 'host-only-secret-7f3a';

  beforeAll(async () => {
    root = tempDir('results');
    const files = join(root, 'files');
    mkdirSync(files);
    srpmFromSpecText('fill-disk', specWithBuild('fill-disk', 'dd if=/dev/zero of=big bs=1M count=64'), files);
    srpmFromSpecText('show-paths', specWithBuild('show-paths', 'echo "cwd is $(pwd)"\necho "topdir is $RPM_BUILD_DIR"'), files);
    writeFileSync(join(root, 'host-secret'), hostSecret, { mode: 0o600 });
    srpmFromSpecText('plant-link', specWithBuild('plant-link', `ln -s ${join(root, 'host-secret')} ../../leak.log`), files);
    server = await startServer(files);
    // A small disk for the builder: a 24 MiB tmpfs the build can fill.
    small = join(root, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', small]);
  });
  afterAll(async () => {
    await server.close();
    execFileSync('umount', [small]);
    removeDir(root);
  });

  it('a full disk fails the build with a clear reason in the state and the log', async () => {
    const ports = localPorts(join(small, 'builder'));
    const outcome = await runTask(rpmTask(`${server.url}/fill-disk-1-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe('rpmbuild failed: no space left on device on the builder (disk full), see build.log');
    const live = readFileSync(join(ports.resultDir, 'builder-live.log'), 'utf8');
    expect(live).toContain('Build failed: rpmbuild failed: no space left on device on the builder (disk full)');
    expect(readGzLog(ports.resultDir, 'build.log')).toContain('No space left on device');
  });

  it('shipped logs show placeholders, not the builder\'s host paths', async () => {
    const ports = localPorts(join(root, 'paths'));
    const outcome = await runTask(rpmTask(`${server.url}/show-paths-1-1.src.rpm`), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    for (const text of [readGzLog(ports.resultDir, 'build.log'), readFileSync(join(ports.resultDir, 'builder-live.log'), 'utf8')]) {
      expect(text).toContain('cwd is <builddir>/out/rpmbuild/BUILD');
      expect(text).not.toContain(root);
    }
  });

  it('a symlink the build plants among its results is refused, not followed', async () => {
    const ports = localPorts(join(root, 'link'));
    const outcome = await runTask(rpmTask(`${server.url}/plant-link-1-1.src.rpm`), ports.deps);
    expect(outcome.status).toBe('failed');
    expect(outcome.fail_reason).toBe('refusing to upload leak.log: not a regular file');
    for (const name of readdirSync(ports.resultDir)) {
      expect(readFileSync(join(ports.resultDir, name), 'utf8')).not.toContain(hostSecret);
    }
  });
});
