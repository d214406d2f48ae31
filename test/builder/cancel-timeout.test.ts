import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { localPorts, makeSrpm, removeDir, startServer, tempDir, type TestServer } from './helpers.js';

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('cancel and timeout', () => {
  let root: string;
  let server: TestServer;
  const task = (timeout: number): TaskInput => ({
    kind: 'rpm',
    task_id: '9-fedora-41-x86_64',
    build_id: 9,
    project_owner: 'jdoe',
    project_name: 'demo',
    project_dirname: 'demo',
    timeout,
    enable_net: false,
    package_name: 'sleepy',
    chroot: 'fedora-41-x86_64',
    srpm_url: `${server.url}/sleepy-1.0-1.src.rpm`,
  });

  beforeAll(async () => {
    root = tempDir('cancel');
    makeSrpm('sleepy.spec', join(root, 'srpms'));
    server = await startServer(join(root, 'srpms'));
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('stops a running rpmbuild within 2 s of the abort signal', async () => {
    const ports = localPorts(join(root, 'cancel'));
    const running = runTask(task(120), ports.deps);
    await waitFor(() => ports.liveLog().includes('going to sleep'), '%build to start');
    const abortedAt = Date.now();
    ports.controller.abort();
    const outcome = await running;
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    expect(outcome).toMatchObject({ status: 'canceled', fail_reason: 'build canceled' });
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
    expect(existsSync(join(ports.resultDir, 'builder-live.log'))).toBe(true);
  });

  it('fails the build when the task timeout elapses', async () => {
    const ports = localPorts(join(root, 'timeout'));
    const started = Date.now();
    const outcome = await runTask(task(2), ports.deps);
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: 'timeout after 2 s' });
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(5000);
    expect(ports.liveLog()).toContain('going to sleep');
    expect(existsSync(join(ports.resultDir, 'success'))).toBe(false);
  });
});
