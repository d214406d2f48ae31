import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { taskIdOfCredential } from '../functions/core/dispatcher.js';
import { buildsPlugin, type LocalBuildSystem } from '../functions/local/builds-plugin.js';
import { eventFromRequest, readBody, writeResult } from '../functions/local/http-bridge.js';
import type { LocalPlugin, LocalService } from '../functions/local/service.js';
import { createProject, multipart, type CoprClient } from '../test/support/copr-client.js';
import { waitFor } from './harness.js';
import { startBenchStack, type BenchStack } from './local-stack.js';

/**
 * The full local build system for the build benchmarks: the service with the
 * builds plugin (in-process dispatcher, builder child processes, publishing),
 * one user and project, and an observer on the builder protocol that records
 * when each task's builder first fetches its task.
 */
export const FIXTURES = fileURLToPath(new URL('../test/fixtures/builder/', import.meta.url));
export const CHROOT = 'fedora-44-x86_64';
const OWNER = 'alice';
const PROJECT = 'bench';

export interface TaskFetch {
  /** performance.now() when the request reached the server, and when its answer was written. */
  arrivedAt: number;
  answeredAt: number;
  status: number;
}

/**
 * Serves `GET /backend/builder/task` itself (a mount is tried before the API) by
 * handing the request to the very same API handler, and notes the first fetch
 * of each task. The builder sees no difference; the timestamps are taken on the
 * server side of the real HTTP exchange.
 */
function taskFetchObserver(service: () => LocalService | null, fetches: Map<string, TaskFetch>): LocalPlugin {
  return {
    name: 'bench-task-fetch-observer',
    mounts: () => [
      {
        prefix: '/backend/builder/task',
        async handle(req, res) {
          const arrivedAt = performance.now();
          const svc = service();
          if (!svc) {
            res.writeHead(503).end();
            return;
          }
          const result = await svc.api(eventFromRequest(req, await readBody(req)));
          writeResult(res, result);
          const credential = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
          const taskId = credential ? taskIdOfCredential(credential) : null;
          if (taskId && !fetches.has(taskId)) {
            fetches.set(taskId, { arrivedAt, answeredAt: performance.now(), status: result.statusCode ?? 200 });
          }
        },
      },
    ],
  };
}

export interface Launch {
  /** performance.now() when the dispatcher called Fleet.launch (task claimed), and when the process had spawned. */
  calledAt: number;
  spawnedAt: number;
}

export interface BuildStack {
  stack: BenchStack;
  system: LocalBuildSystem;
  alice: CoprClient;
  /** First `GET /backend/builder/task` per task id (SRPM task id = build id). */
  fetches: Map<string, TaskFetch>;
  /** Builder launches per task id. */
  launches: Map<string, Launch>;
  stop(): Promise<void>;
}

export async function startBuildStack(maxBuilders: number): Promise<BuildStack> {
  const fetches = new Map<string, TaskFetch>();
  let service: LocalService | null = null;
  let system: LocalBuildSystem | null = null;
  const stack = await startBenchStack([
    taskFetchObserver(() => service, fetches),
    buildsPlugin({ maxBuilders, onReady: (s) => (system = s) }),
  ]);
  service = stack.service;
  const launches = new Map<string, Launch>();
  const fleet = (system as LocalBuildSystem | null)!.fleet;
  // Observe the launches without changing them: the dispatcher calls this same instance.
  const launch = fleet.launch.bind(fleet);
  fleet.launch = async (task, credential, builderId) => {
    const calledAt = performance.now();
    await launch(task, credential, builderId);
    if (!launches.has(task.task_id)) launches.set(task.task_id, { calledAt, spawnedAt: performance.now() });
  };
  try {
    const alice = await stack.user(OWNER);
    const created = await createProject(alice, OWNER, PROJECT, { chroots: [CHROOT] });
    if (created.status !== 200) throw new Error(`project/add answered ${created.status}`);
    return { stack, system: system!, alice, fetches, launches, stop: () => stack.stop() };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** `rpmbuild -bs` of a fixture spec (+ sources) into `outDir`. */
export function makeSrpm(spec: string, sources: string[], outDir: string): string {
  const top = join(outDir, '.top');
  const src = join(top, 'SOURCES');
  mkdirSync(src, { recursive: true });
  for (const f of [spec, ...sources]) copyFileSync(join(FIXTURES, f), join(src, f));
  execFileSync(
    'rpmbuild',
    ['-bs', '--define', `_topdir ${top}`, '--define', `_sourcedir ${src}`, '--define', `_srcrpmdir ${outDir}`, '--define', 'dist %{nil}', join(src, spec)],
    { stdio: 'pipe' },
  );
  rmSync(top, { recursive: true, force: true });
  const made = readdirSync(outDir).find((f) => f.endsWith('.src.rpm'));
  if (!made) throw new Error(`rpmbuild -bs made no SRPM for ${spec}`);
  return join(outDir, made);
}

/** `copr-cli build <project> <file.src.rpm>`: the multipart upload; returns the build id and when the answer arrived. */
export async function submitUpload(alice: CoprClient, srpm: string): Promise<{ id: number; sentAt: number; answeredAt: number }> {
  const form = multipart(
    [{ field: 'pkgs', filename: basename(srpm), contentType: 'application/x-rpm', data: readFileSync(srpm) }],
    { ownername: OWNER, projectname: PROJECT, project_dirname: PROJECT, timeout: null, chroots: null, background: false, isolation: 'unchanged' },
  );
  const sentAt = performance.now();
  const res = await alice.send('POST', 'build/create/upload', { raw: form });
  const answeredAt = performance.now();
  if (res.status !== 200 || typeof res.body.id !== 'number') throw new Error(`build/create/upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.id, sentAt, answeredAt };
}

const FINISHED = ['succeeded', 'failed', 'canceled', 'skipped'];

/** Polls `GET /api_3/build/<id>` (as a client would) until the build is finished; returns its state. */
export async function waitFinished(alice: CoprClient, id: number, timeoutMs: number, everyMs = 25): Promise<string> {
  return waitFor(
    `build ${id} to finish`,
    async () => {
      const res = await alice.get<{ state?: string }>(`build/${id}`);
      return res.body.state && FINISHED.includes(res.body.state) ? res.body.state : null;
    },
    timeoutMs,
    everyMs,
  );
}

/**
 * Waits until no builder process runs, no task is active and no repository is
 * being published: the next task finds a free slot and an otherwise idle machine.
 */
export async function waitIdle(b: BuildStack, timeoutMs: number): Promise<void> {
  await waitFor('builders to exit', async () => b.system.fleet.running === 0 && (await b.system.ports.builds.listActiveTasks()).length === 0, timeoutMs);
  await b.system.publisher.idle();
}
