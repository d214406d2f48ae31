import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { makeSrpm, removeDir, tempDir } from '../builder/helpers.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Builders behind a throttle (API Gateway's 429s on AWS): a front between the real
 * builder agents and the real local service answers 429 (and once 503) to the first calls
 * of `started`, `heartbeat`, the live-log chunks and `finished`. The agents back off and
 * retry; the build succeeds on its first attempt and nothing is built twice.
 */
let t: TestService;
let alice: CoprClient;
let sys: LocalBuildSystem;
let work: string;
let front: ThrottlingFront;

interface ThrottlingFront {
  url: string;
  /** Where requests go once let through (the service's URL, known after it started). */
  target: string;
  /** Answers refused per route ("POST /backend/builder/started"). */
  refused: Map<string, number>;
  /** Requests let through per route. */
  passed: Map<string, number>;
  close(): Promise<void>;
}

/** The route a request counts under: live-log chunks share one, whatever their offset. */
const routeOf = (method: string, path: string) => `${method} ${path.replace(/\/live-log\/\d+$/, '/live-log')}`;

/** What the front refuses before letting a route through: two 429s each, and a 503 for `finished`. */
const PLAN: Record<string, number[]> = {
  'POST /backend/builder/started': [429, 429],
  'POST /backend/builder/heartbeat': [429, 429],
  'PUT /backend/builder/live-log': [429, 429],
  'POST /backend/builder/finished': [429, 503],
};

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function startFront(): Promise<ThrottlingFront> {
  const plan = new Map(Object.entries(PLAN).map(([k, v]) => [k, [...v]]));
  const f: Omit<ThrottlingFront, 'url' | 'close'> = { target: '', refused: new Map(), passed: new Map() };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const url = new URL(req.url ?? '/', 'http://front');
      const route = routeOf(req.method ?? 'GET', url.pathname);
      const status = plan.get(route)?.shift();
      if (status !== undefined) {
        bump(f.refused, route);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Too Many Requests' }));
        return;
      }
      bump(f.passed, route);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(`${f.target}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(out);
    })().catch((err: unknown) => {
      res.writeHead(502).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(f, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

beforeAll(async () => {
  process.env.COPR_QUIET = '1';
  work = tempDir('copr-throttle-');
  front = await startFront();
  t = await startTestService({
    plugins: [
      buildsPlugin({
        maxBuilders: 2,
        onReady: (s) => (sys = s),
        agentApiUrl: front.url,
        // Short beats so heartbeats and live-log chunks meet the throttle during the build.
        agentEnv: { COPR_HEARTBEAT_SECONDS: '0.5' },
      }),
    ],
  });
  front.target = t.service.url;
  alice = await t.user('alice');
  expect((await createProject(alice, 'alice', 'throttled', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
  await front?.close();
  if (work) removeDir(work);
});

describe('builder calls under a throttle', { timeout: 240_000 }, () => {
  it('a throttled builder call is retried and the build is not rerun', async () => {
    // Ten seconds of build output: live-log chunks are shipped (and throttled) during the build
    // whatever the machine's speed; a quick build could end before its first chunk.
    const srpm = makeSrpm('talkative.spec', work);
    const opts = { ownername: 'alice', projectname: 'throttled', project_dirname: 'throttled', timeout: null, chroots: null, background: false, isolation: 'unchanged' };
    const res = await alice.send<{ id: number }>('POST', 'build/create/upload', {
      raw: multipart([{ field: 'pkgs', filename: 'talkative-1.0-1.src.rpm', contentType: 'application/x-rpm', data: readFileSync(srpm) }], opts),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.body.id;

    await expect
      .poll(async () => (await t.anon.get<{ state: string }>(`build/${id}`)).body.state, { timeout: 200_000, interval: 500 })
      .toBe('succeeded');

    // Every planned refusal was served, and the calls then went through.
    for (const [route, statuses] of Object.entries(PLAN)) {
      expect(front.refused.get(route), route).toBe(statuses.length);
      expect(front.passed.get(route) ?? 0, route).toBeGreaterThanOrEqual(1);
    }
    // Not rerun: each task ran once (no requeue), one builder per task, one report each. The
    // build shows its outcome a moment before its last task is closed (closeTask's order).
    const tasks = async () => {
      const build = await sys.ports.builds.getBuild(id);
      const list = build ? await sys.ports.builds.listBuildTasks(build, ['fedora-44-x86_64']) : [];
      return list.map((x) => [x.task_id, x.state, x.outcome, x.attempts]);
    };
    await expect
      .poll(tasks, { timeout: 30_000, interval: 200 })
      .toEqual([
        [String(id), 'finished', 'succeeded', 0],
        [`${id}-fedora-44-x86_64`, 'finished', 'succeeded', 0],
      ]);
    expect(front.passed.get('POST /backend/builder/started')).toBe(2);
    expect(front.passed.get('POST /backend/builder/finished')).toBe(2);
    // The live log went in chunks through the throttle and ended complete in the result dir
    // (gzipped there once the task closed, as Copr keeps it).
    const dir = join(sys.results.root, `alice/throttled/fedora-44-x86_64/${String(id).padStart(8, '0')}-talkative`);
    expect(existsSync(join(dir, 'success'))).toBe(true);
    expect(gunzipSync(readFileSync(join(dir, 'builder-live.log.gz'))).toString('utf8')).toContain('talking, line 20');
  });
});
