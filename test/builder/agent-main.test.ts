// The agent process against a fake builder API: the CLI end to end, heartbeat cancel,
// retries of the task fetch, and refusal on a bad credential.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, type LiveLogShipper } from '../../builder-ami/agent/agent.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { startFakeApi, type FakeApi } from './fake-builder-api.js';
import { makeSrpm, removeDir, tempDir } from './helpers.js';

const TOKEN = 'task-credential-123';
const REPO_ROOT = join(import.meta.dirname, '..', '..');

function rpmTask(api: FakeApi, srpm: string): TaskInput {
  return {
    kind: 'rpm',
    task_id: '31-fedora-41-x86_64',
    build_id: 31,
    project_owner: 'jdoe',
    project_name: 'demo',
    project_dirname: 'demo',
    timeout: 60,
    enable_net: false,
    package_name: 'hello-noarch',
    chroot: 'fedora-41-x86_64',
    srpm_url: `${api.url}/srpms/${srpm}`,
  };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('builder agent process', () => {
  let root: string;
  let api: FakeApi;

  beforeAll(() => {
    root = tempDir('agent');
    makeSrpm('hello-noarch.spec', join(root, 'srpms'), ['hello.sh']);
    makeSrpm('sleepy.spec', join(root, 'srpms'));
    makeSrpm('chatty.spec', join(root, 'srpms'));
  });
  afterEach(async () => {
    await api.close();
  });
  afterAll(() => removeDir(root));

  it('runs a task from the CLI and reports it (main.ts)', async () => {
    // Prepare
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(rpmTask(api, 'hello-noarch-1.0-1.src.rpm'));
    const credentialFile = join(root, 'credential');
    writeFileSync(credentialFile, `${TOKEN}\n`);
    // Act
    const child = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['builder-ami/agent/main.ts', '--api', api.url, '--task', '31-fedora-41-x86_64', '--credential-file', credentialFile],
      { cwd: REPO_ROOT, env: { ...process.env, COPR_HEARTBEAT_SECONDS: '0.2', COPR_WORK_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // Assess
    expect(stderr).toContain('task 31-fedora-41-x86_64 succeeded');
    expect(code).toBe(0);
    expect(api.calls[0]).toBe('GET /backend/builder/task');
    expect(api.calls[1]).toBe('POST /backend/builder/started');
    expect(api.calls.at(-1)).toBe('POST /backend/builder/finished');
    expect(api.finishedBody).toEqual({
      status: 'succeeded',
      srpm_filename: 'hello-noarch-1.0-1.fc41.src.rpm',
      results: {
        packages: expect.arrayContaining([
          { name: 'hello-noarch', epoch: null, version: '1.0', release: '1.fc41', arch: 'noarch' },
          { name: 'hello-noarch', epoch: null, version: '1.0', release: '1.fc41', arch: 'src' },
        ]),
      },
    });
    expect([...api.uploads.keys()].sort()).toEqual(
      ['build.log.gz', 'root.log.gz', 'state.log.gz', 'hw_info.log.gz', 'installed_pkgs.log', 'configs.tar.gz', 'builder-live.log', 'hello-noarch-1.0-1.fc41.noarch.rpm', 'hello-noarch-1.0-1.fc41.src.rpm', 'hello-noarch.spec', 'results.json', 'success'].sort(),
    );
    expect(api.putOrder.at(-1)).toBe('success');
    expect(api.uploads.get('builder-live.log')?.toString()).toContain('Build succeeded');
  });

  it('cancels the build when a heartbeat says so, with the live log readable meanwhile', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(rpmTask(api, 'sleepy-1.0-1.src.rpm'));
    const running = runAgent({
      apiUrl: api.url,
      taskId: '31-fedora-41-x86_64',
      credential: TOKEN,
      sandbox: createBwrapSandbox(),
      heartbeatSeconds: 0.2,
      workRoot: root,
      report: () => undefined,
    });
    // The live log reaches the server while %build sleeps.
    await waitFor(() => api.liveLog.toString().includes('going to sleep'), 'live log chunks');
    const cancelAt = Date.now();
    api.setCancel(true);
    const outcome = await running;
    expect(Date.now() - cancelAt).toBeLessThan(3000);
    expect(outcome.status).toBe('canceled');
    expect(api.finishedBody).toEqual({ status: 'canceled', fail_reason: 'build canceled' });
    expect(api.uploads.has('success')).toBe(false);
    expect(api.uploads.get('builder-live.log')?.toString()).toContain('Build canceled');
  });

  it('ships only the new bytes of the live log on each beat, its lines whole per stream', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask({ ...rpmTask(api, 'chatty-1.0-1.src.rpm'), package_name: 'chatty' });
    let shipper: LiveLogShipper | undefined;
    const outcome = await runAgent({
      apiUrl: api.url,
      taskId: '31-fedora-41-x86_64',
      credential: TOKEN,
      sandbox: createBwrapSandbox(),
      heartbeatSeconds: 0.2,
      workRoot: root,
      report: () => undefined,
      onLiveLog: (s) => (shipper = s),
    });
    expect(outcome.status).toBe('succeeded');
    const chunkCalls = api.calls.filter((c) => c.startsWith('PUT /backend/builder/live-log/'));
    // The log grew over several beats, and each beat sent what was new since the last one.
    expect(chunkCalls.length).toBeGreaterThanOrEqual(3);
    const offsets = chunkCalls.map((c) => Number(c.split('/').pop()));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    const final = api.uploads.get('builder-live.log');
    expect(final?.toString()).toContain('Build succeeded');
    // Every byte went once: the chunks add up to what the server has, a prefix of the final log.
    expect(shipper?.bytesSent).toBe(api.liveLogBytesReceived);
    expect(api.liveLogBytesReceived).toBe(api.liveLog.length);
    expect(api.liveLog.length).toBeGreaterThan(0);
    expect(api.liveLog.length).toBeLessThanOrEqual(final?.length ?? 0);
    expect(final?.subarray(0, api.liveLog.length).equals(api.liveLog)).toBe(true);
    // stdout and stderr are merged by whole lines: the half stdout line is not cut by stderr.
    const lines = (final?.toString() ?? '').split('\n');
    expect(lines).toContain('glued-together');
    expect(lines).toContain('a line on stderr');
    expect(lines).toContain('step 8 on stdout');
    expect(lines).toContain('step 8 on stderr');
  });

  it('retries the task fetch on 5xx', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(rpmTask(api, 'hello-noarch-1.0-1.src.rpm'));
    api.failTaskFetches(2);
    const outcome = await runAgent({
      apiUrl: api.url,
      taskId: '31-fedora-41-x86_64',
      credential: TOKEN,
      sandbox: createBwrapSandbox(),
      heartbeatSeconds: 0.2,
      workRoot: root,
      retry: { baseDelayMs: 10 },
      report: () => undefined,
    });
    expect(outcome.status).toBe('succeeded');
    expect(api.calls.filter((c) => c === 'GET /backend/builder/task')).toHaveLength(3);
  });

  it('refuses to start with a malformed COPR_DISTGIT_LOOKASIDE, naming the problem', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    const credentialFile = join(root, 'credential-lookaside');
    writeFileSync(credentialFile, `${TOKEN}\n`);
    const bad = JSON.stringify([{ name: 'x', clone_hostnames: ['h'], lookaside_location: 'https://h', lookaside_uri_pattern: '{nme}/{filename}' }]);
    const child = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['builder-ami/agent/main.ts', '--api', api.url, '--task', '31-fedora-41-x86_64', '--credential-file', credentialFile],
      { cwd: REPO_ROOT, env: { ...process.env, COPR_WORK_ROOT: root, COPR_DISTGIT_LOOKASIDE: bad }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad environment: .*COPR_DISTGIT_LOOKASIDE: .*unknown placeholder in lookaside_uri_pattern/s);
    // It never asked for its task.
    expect(api.calls).toEqual([]);
  });

  it('fails at once on a 4xx (bad credential) without starting the build', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(rpmTask(api, 'hello-noarch-1.0-1.src.rpm'));
    const run = runAgent({
      apiUrl: api.url,
      taskId: '31-fedora-41-x86_64',
      credential: 'wrong',
      sandbox: createBwrapSandbox(),
      retry: { baseDelayMs: 10 },
      report: () => undefined,
    });
    await expect(run).rejects.toThrow(/GET task: HTTP 401/);
    expect(api.calls).toEqual(['GET /backend/builder/task']);
  });
});
