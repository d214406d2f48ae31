// Shared helpers for the dnf end-to-end tests: SRPMs made at test time, builds submitted
// exactly as copr-cli uploads them, waiting on the API, and Debian's dnf in temp installroots.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { actionsPlugin } from '../../functions/local/actions-plugin.js';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { makeHelloSrpm } from '../support/hello-srpm.js';
import { startTestService, type TestService } from '../support/service.js';
import { readPrimaryHrefs } from '../support/repodata-read.js';

export const run = promisify(execFile);

/** `<name>-<version>-1.src.rpm` in `dir` (test/support/hello-srpm.ts); returns its path. */
export const makeSrpm = (dir: string, name: string, version = '1.0'): Promise<string> => makeHelloSrpm(dir, name, { version, purpose: 'for the dnf tests' });

/** `copr-cli build <owner>/<project> <file.src.rpm>`: multipart, the `pkgs` file part first and `json` last. */
export async function uploadBuild(c: CoprClient, owner: string, project: string, srpm: string): Promise<number> {
  const form = multipart(
    [{ field: 'pkgs', filename: srpm.split('/').pop()!, contentType: 'application/x-rpm', data: await readFile(srpm) }],
    { ownername: owner, projectname: project, project_dirname: project, timeout: null, chroots: null, background: false, isolation: 'unchanged' },
  );
  const res = await c.send<{ id: number }>('POST', 'build/create/upload', { raw: form });
  if (res.status !== 200) throw new Error(`build/create/upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const DONE = ['succeeded', 'failed', 'canceled', 'skipped', 'forked'];

/** Polls `GET /api_3/build/{id}` until the build is finished; returns its state. */
export async function waitForBuild(c: CoprClient, id: number, timeoutMs = 60_000): Promise<string> {
  return waitFor(`build ${id}`, async () => {
    const res = await c.get<{ state: string }>(`build/${id}`);
    return DONE.includes(res.body.state) ? res.body.state : null;
  }, timeoutMs);
}

/** Package file names in a published repository (from primary.xml.gz), or [] before the first publish. */
export async function repoPackages(repodataDir: string): Promise<string[]> {
  return ((await readPrimaryHrefs(repodataDir)) ?? []).map((h) => h.split('/').pop() ?? '').sort();
}

export interface DnfResult {
  ok: boolean;
  out: string;
  root: string;
}

/**
 * Debian's dnf against only the repo files in `reposdir`, in a fresh installroot
 * (fresh cache, fresh rpmdb, so keys are imported again). `--disableplugin=local`:
 * Debian's `local` plugin adds an unsigned repo that breaks gpgcheck.
 */
export function dnfIn(work: string, releasever = '44') {
  let n = 0;
  return async (reposdir: string, args: string[], extra: string[] = []): Promise<DnfResult> => {
    n += 1;
    const root = join(work, `root-${n}`);
    await mkdir(root, { recursive: true });
    const base = [
      `--installroot=${root}`, `--releasever=${releasever}`, `--setopt=reposdir=${reposdir}`, '--disableplugin=local',
      '--setopt=install_weak_deps=False', '--nodocs', '-y', ...extra,
    ];
    try {
      const r = await run('dnf', [...base, ...args], { maxBuffer: 16 << 20 });
      return { ok: true, out: r.stdout + r.stderr, root };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}`, root };
    }
  };
}

/** `dnf repoquery --available` names (with version) from the repos in `reposdir`. */
export async function availableNames(dnf: ReturnType<typeof dnfIn>, reposdir: string): Promise<string[]> {
  const res = await dnf(reposdir, ['repoquery', '--available', '--qf', '%{name}-%{version}-%{arch}']);
  if (!res.ok) throw new Error(`dnf repoquery failed:\n${res.out}`);
  return [...new Set(res.out.split('\n').map((l) => l.trim()).filter((l) => /^[\w.+-]+-[\d.]+-(noarch|src|x86_64)$/.test(l)))].sort();
}

/** One local service with the real build pipeline and actions, a user `alice` and project `alice/demo`. */
export interface DnfEnv {
  t: TestService;
  alice: CoprClient;
  sys: LocalBuildSystem;
  work: string;
  dnf: ReturnType<typeof dnfIn>;
  chroot: string;
  /** `<results>/alice/<project>/<chroot>/repodata`. */
  repodata(project: string): string;
  /** A reposdir holding our `.repo` file for alice/<project>, as the API serves it. */
  reposdirFor(project: string): Promise<string>;
  /** Uploads an SRPM of `name`, waits for `succeeded` and for the package in the repository. */
  buildAndPublish(name: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startDnfEnv(opts: { maxBuilders?: number } = {}): Promise<DnfEnv> {
  process.env.COPR_QUIET = '1';
  const chroot = 'fedora-44-x86_64';
  const work = await mkdtemp(join(tmpdir(), 'copr-dnf-e2e-'));
  let sys: LocalBuildSystem | undefined;
  const t = await startTestService({
    plugins: [buildsPlugin({ maxBuilders: opts.maxBuilders ?? 2, onReady: (s) => (sys = s), reapEveryMs: 500 }), actionsPlugin({ pollMs: 500 })],
  });
  const alice = await t.user('alice');
  const created = await createProject(alice, 'alice', 'demo', { chroots: [chroot] });
  if (created.status !== 200) throw new Error(`project create answered ${created.status}`);
  const repodata = (project: string) => join(sys!.results.root, 'alice', project, chroot, 'repodata');
  return {
    t,
    alice,
    sys: sys!,
    work,
    dnf: dnfIn(work),
    chroot,
    repodata,
    async reposdirFor(project) {
      const dir = join(work, `repos-${project}`);
      await mkdir(dir, { recursive: true });
      const res = await fetch(`${t.service.url}/coprs/alice/${project}/repo/fedora-44/alice-${project}-fedora-44.repo`);
      if (res.status !== 200) throw new Error(`.repo file answered ${res.status}`);
      await writeFile(join(dir, `alice-${project}.repo`), await res.text());
      return dir;
    },
    async buildAndPublish(name) {
      const id = await uploadBuild(alice, 'alice', 'demo', await makeSrpm(work, name));
      const state = await waitForBuild(alice, id);
      if (state !== 'succeeded') throw new Error(`build ${id} of ${name} ended ${state}`);
      await waitFor(`${name} in the repository`, async () => (await repoPackages(repodata('demo'))).some((f) => f.startsWith(`${name}-1.0-1`)));
      await sys!.publisher.idle(); // the run that published it has finished (signature, listings)
      return id;
    },
    async stop() {
      await t.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
