// The agent's HTTP calls against real local HTTP servers: throttling (429), a restarting
// service (503), a hung service and a dead port. Every builder call must ride these out
// within its budget, or give up cleanly with a reason once the budget is spent.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../builder-ami/agent/agent.js';
import { backoffMs, DEFAULT_RETRY_POLICY, fetchWithRetry, HttpCallError, type RetryPolicy } from '../../builder-ami/agent/http-retry.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { startFakeApi, type FakeApi } from './fake-builder-api.js';
import { makeSrpm, removeDir, tempDir } from './helpers.js';

const FAST: RetryPolicy = { ...DEFAULT_RETRY_POLICY, attemptTimeoutMs: 2_000, baseDelayMs: 5, maxDelayMs: 50, totalBudgetMs: 10_000 };

interface Scripted {
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}

/** A server that answers its n-th request with statuses[n] (200 "ok" after the list), or never answers when hang is set. */
async function scriptedServer(statuses: number[], hang = false): Promise<Scripted> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    const status = statuses[hits] ?? 200;
    hits++;
    if (hang) return; // keep the socket open, answer nothing
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `status ${status}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`,
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fetchWithRetry', () => {
  let server: Scripted | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('retries 429 and 503 until the 200', async () => {
    server = await scriptedServer([429, 503, 502]);
    const res = await fetchWithRetry(fetch, server.url, { method: 'POST', body: '{}' }, { what: 'POST x', policy: FAST });
    expect(res).toEqual({ status: 200, body: 'ok', attempts: 4 });
    expect(server.hits()).toBe(4);
  });

  it('fails at once on a 4xx that retrying cannot fix', async () => {
    server = await scriptedServer([403]);
    const err = await fetchWithRetry(fetch, server.url, {}, { what: 'GET x', policy: FAST }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpCallError);
    expect((err as HttpCallError).message).toBe('GET x: HTTP 403 status 403');
    expect((err as HttpCallError).attempts).toBe(1);
    expect(server.hits()).toBe(1);
  });

  it('times out an attempt that gets no answer, and gives up once the budget is spent', async () => {
    server = await scriptedServer([], true);
    const policy = { ...FAST, attemptTimeoutMs: 150, totalBudgetMs: 600 };
    const started = Date.now();
    const err = await fetchWithRetry(fetch, server.url, {}, { what: 'POST heartbeat', policy }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpCallError);
    expect((err as HttpCallError).message).toMatch(/^POST heartbeat: gave up after \d+ attempts in \d+ s: no answer within 150 ms$/);
    expect((err as HttpCallError).attempts).toBeGreaterThanOrEqual(2);
    expect(server.hits()).toBe((err as HttpCallError).attempts);
    // Bounded: the budget plus at most one attempt's timeout (and a loaded machine's slack).
    expect(Date.now() - started).toBeLessThan(600 + 150 + 5_000);
  });

  it('retries a refused connection and then gives up with the network error', async () => {
    const url = `http://127.0.0.1:${await deadPort()}/x`;
    const err = await fetchWithRetry(fetch, url, {}, { what: 'POST finished', policy: { ...FAST, totalBudgetMs: 300 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpCallError);
    expect((err as HttpCallError).message).toMatch(/^POST finished: gave up after \d+ attempts .*ECONNREFUSED/);
    expect((err as HttpCallError).attempts).toBeGreaterThanOrEqual(2);
  });

  it('backs off exponentially, with jitter, up to the cap', () => {
    const at = (random: number, attempt: number) => backoffMs(attempt, { ...DEFAULT_RETRY_POLICY, random: () => random });
    expect([at(0, 1), at(0, 2), at(0, 3)]).toEqual([500, 1000, 2000]);
    expect([at(0.999, 1), at(0.5, 2)]).toEqual([999.5, 1500]);
    expect(at(0.5, 20)).toBe(22_500);
  });
});

describe('builder agent against a throttled, flapping service', { timeout: 120_000 }, () => {
  const TOKEN = 'task-credential-retry';
  let root: string;
  let api: FakeApi;

  beforeAll(() => {
    root = tempDir('retry');
    makeSrpm('hello-noarch.spec', join(root, 'srpms'), ['hello.sh']);
  });
  afterEach(async () => {
    await api.close();
  });
  afterAll(() => removeDir(root));

  function task(): TaskInput {
    return {
      kind: 'rpm',
      task_id: '41-fedora-41-x86_64',
      build_id: 41,
      project_owner: 'jdoe',
      project_name: 'demo',
      project_dirname: 'demo',
      timeout: 60,
      chroot: 'fedora-41-x86_64',
      srpm_url: `${api.url}/srpms/hello-noarch-1.0-1.src.rpm`,
    };
  }

  it('rides out 429 and 503 on every builder call and reports one outcome', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(task());
    for (const route of ['GET /backend/builder/task', 'POST /backend/builder/started', 'POST /backend/builder/heartbeat', 'PUT /backend/builder/live-log', 'POST /backend/builder/upload-url', 'PUT /put', 'POST /backend/builder/finished']) {
      api.failNext(route, [429, 503]);
    }
    const outcome = await runAgent({
      apiUrl: api.url,
      taskId: '41-fedora-41-x86_64',
      credential: TOKEN,
      sandbox: createBwrapSandbox(),
      heartbeatSeconds: 0.1,
      workRoot: root,
      retry: FAST,
      report: () => undefined,
    });
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const count = (call: string) => api.calls.filter((c) => c === call).length;
    expect(count('GET /backend/builder/task')).toBe(3);
    expect(count('POST /backend/builder/started')).toBe(3);
    expect(count('POST /backend/builder/finished')).toBe(3);
    expect(count('POST /backend/builder/heartbeat')).toBeGreaterThanOrEqual(3);
    expect(api.finishedBody).toMatchObject({ status: 'succeeded' });
    // The live log chunks that got through after the throttled ones built the start of the final log.
    const final = api.uploads.get('builder-live.log') ?? Buffer.alloc(0);
    expect(final.subarray(0, api.liveLog.length).equals(api.liveLog)).toBe(true);
    // Every result file arrived despite the throttled first upload.
    expect([...api.uploads.keys()]).toEqual(expect.arrayContaining(['build.log.gz', 'builder-live.log', 'results.json', 'success']));
  });

  it('gives up cleanly when the service stays down past the budget', async () => {
    api = await startFakeApi(TOKEN, join(root, 'srpms'));
    api.setTask(task());
    api.failNext('POST /backend/builder/started', Array.from({ length: 1000 }, () => 503));
    const run = runAgent({
      apiUrl: api.url,
      taskId: '41-fedora-41-x86_64',
      credential: TOKEN,
      sandbox: createBwrapSandbox(),
      workRoot: root,
      retry: { ...FAST, totalBudgetMs: 400 },
      report: () => undefined,
    });
    await expect(run).rejects.toThrow(/^POST started: gave up after \d+ attempts in \d+ s: HTTP 503/);
    expect(api.calls.filter((c) => c === 'POST /backend/builder/finished')).toHaveLength(0);
  });
});
