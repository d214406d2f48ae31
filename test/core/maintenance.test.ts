import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalResultsStore } from '../../functions/adapters/local-results-store.js';
import type { Build, BuildChroot } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import type { Fleet } from '../../functions/core/dispatcher.js';
import { MemoryEventSink } from '../../functions/core/events.js';
import { runJob, type JobName, type JobReport, type MaintenanceDeps } from '../../functions/core/maintenance.js';
import { projectDefaults } from '../../functions/core/projects.js';
import type { Project } from '../../functions/core/model.js';
import type { Clock } from '../../functions/core/ports.js';
import { newProjectChroot } from '../../functions/core/projects.js';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { spawnRunner } from '../../functions/publish/process-runner.js';
import { publishRepository } from '../../functions/publish/publish-repo.js';
import { renderRepoFile } from '../../functions/publish/repo-file.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { DynamoJobClaims } from '../../functions/store/dynamo-job-claims.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { buildRpm, makeTmp, placeBuild, removeTmp, run, serveDir } from '../publish/helpers.js';

/**
 * The scheduled jobs against DynamoDB Local and the local results store, with real
 * publishing (rpmbuild, createrepo_c, gpg) and dnf reading the result. Each job is
 * first run twice at once: the pair must do exactly what one run does.
 */
const DAY = 86_400;
const T0 = 1_800_000_000_000;

function project(owner: string, name: string, over: Partial<Project> = {}): Project {
  return { ...projectDefaults(owner, name, T0 / 1000), auto_prune: false, ...over };
}

function build(id: number, p: Project, pkg: string | null, over: Partial<Build> = {}): Build {
  return newBuild(id, p.ownername, p.name, {
    package_name: pkg,
    source_type: 'scm',
    source_status: 'succeeded',
    submitter: p.ownername,
    submitted_on: T0 / 1000,
    timeout: 3600,
    ...over,
  });
}

const resultDir = (id: number, pkg: string) => `${String(id).padStart(8, '0')}-${pkg}`;

function chroot(b: Build, name: string, state: BuildChroot['state']): BuildChroot {
  return { build_id: b.id, name, state, started_on: null, ended_on: null, result_dir: b.package_name ? resultDir(b.id, b.package_name) : null, fail_reason: null, packages: [] };
}

async function basearch(): Promise<string> {
  const m = (await run('uname', ['-m'])).stdout.trim();
  return /^i[3-6]86$/.test(m) ? 'i386' : m;
}

describe('maintenance jobs', () => {
  let tmp: string;
  let store: DynamoStore;
  let builds: DynamoBuildStore;
  let results: LocalResultsStore;
  let signer: GpgSigner;
  let events: MemoryEventSink;
  let deps: MaintenanceDeps;
  let now = T0;
  let wakes = 0;
  const clock: Clock = { now: () => now };

  const twiceAtOnce = async (job: JobName): Promise<JobReport[]> => Promise.all([runJob(deps, job), runJob(deps, job)]);
  const changedOf = (reports: JobReport[]) => reports.flatMap((r) => r.changed).sort();
  const files = (prefix: string) => results.list(prefix);

  async function addProject(p: Project, chroots: string[]): Promise<Project> {
    const withId = { ...p, id: await store.nextId('project') };
    await store.createProject(withId, chroots.map((c) => newProjectChroot(p.ownername, p.name, c)));
    return withId;
  }

  beforeAll(async () => {
    tmp = await makeTmp('maintenance');
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    const table = `t-${randomUUID()}`;
    await ensureTable(db, table);
    store = new DynamoStore(db, table);
    builds = new DynamoBuildStore(db, table);
    results = new LocalResultsStore(join(tmp, 'results'), 'http://127.0.0.1:1');
    signer = new GpgSigner({ keysDir: join(tmp, 'keys'), keyLength: 2048 });
    events = new MemoryEventSink();
    deps = {
      store,
      builds,
      results,
      clock,
      claims: new DynamoJobClaims(db, table),
      events,
      publish: async (req) => {
        await publishRepository(req, { resultsDir: results.root, signer, run: spawnRunner, clock });
      },
      wake: async () => {
        wakes += 1;
      },
    };
  });

  afterAll(async () => {
    await signer?.close();
    if (tmp) await removeTmp(tmp);
  });

  it('delete-expired removes expired temporary projects with their builds and results, once', async () => {
    const expired = await addProject(project('alice', 'temp', { delete_after_days: 1, delete_after: T0 / 1000 - 10 }), ['fedora-41-x86_64']);
    const later = await addProject(project('alice', 'later', { delete_after_days: 5, delete_after: T0 / 1000 + 5 * DAY }), ['fedora-41-x86_64']);
    const forever = await addProject(project('alice', 'forever'), ['fedora-41-x86_64']);
    for (const [i, p] of [expired, later, forever].entries()) {
      const b = build(900 + i, p, 'hello');
      await builds.createBuild(b, [chroot(b, 'fedora-41-x86_64', 'succeeded')], [], null);
      await results.put(`alice/${p.name}/fedora-41-x86_64/${resultDir(b.id, 'hello')}/hello.rpm`, 'rpm');
      await results.put(`alice/${p.name}/srpm-builds/${String(b.id).padStart(8, '0')}/hello.src.rpm`, 'srpm');
    }
    // A PR dir of the expired project goes too; a neighbour sharing the name prefix stays.
    const pr = build(903, expired, 'hello', { project_dirname: 'temp:pr:7' });
    await builds.createBuild(pr, [chroot(pr, 'fedora-41-x86_64', 'succeeded')], [], null);
    await results.put(`alice/temp:pr:7/fedora-41-x86_64/${resultDir(903, 'hello')}/hello.rpm`, 'rpm');
    await results.put('alice/temporary/keep.txt', 'neighbour');

    const reports = await twiceAtOnce('delete-expired');
    expect(changedOf(reports)).toEqual(['alice/temp']);
    expect(await store.getProject('alice', 'temp')).toBeNull();
    expect(await store.getProjectById(expired.id)).toBeNull();
    expect(await builds.listProjectBuilds('alice', 'temp')).toEqual([]);
    expect(await builds.getBuild(903)).toBeNull();
    expect(await files('alice/temp')).toEqual([]);
    expect(await files('alice/temp:pr:7')).toEqual([]);
    expect(await files('alice/temporary')).toEqual(['alice/temporary/keep.txt']);
    for (const name of ['later', 'forever']) {
      expect(await store.getProject('alice', name)).not.toBeNull();
      expect((await builds.listProjectBuilds('alice', name)).length).toBe(1);
      expect((await files(`alice/${name}`)).length).toBe(2);
    }
    expect(events.events.filter((e) => e.type === 'project.deleted')).toEqual([
      expect.objectContaining({ type: 'project.deleted', ownername: 'alice', projectname: 'temp', project_id: expired.id, reason: 'expired' }),
    ]);

    // Nothing left to do; `later` goes once its day has come.
    expect(changedOf(await twiceAtOnce('delete-expired'))).toEqual([]);
    now = T0 + 6 * DAY * 1000;
    try {
      expect(changedOf(await twiceAtOnce('delete-expired'))).toEqual(['alice/later']);
      expect(await files('alice/later')).toEqual([]);
    } finally {
      now = T0;
    }
  });

  it('prune keeps the newest successful build per package and chroot; dnf sees exactly the kept packages', async () => {
    const arch = await basearch();
    const ch = `fedora-41-${arch}`;
    const p = await addProject(project('bob', 'pruned', { auto_prune: true }), [ch]);
    const keep = await addProject(project('bob', 'keepall', { auto_prune: false }), [ch]);

    // id  package  version  state
    // 11  hello    1.0      succeeded   superseded by 13 → pruned
    // 12  hello    -        failed      older than 13   → pruned
    // 13  hello    1.1      succeeded   newest success  → kept
    // 14  hello    -        failed      newer than 13   → kept
    // 15  world    1.0      succeeded   only success    → kept
    // 16  hello    -        running     unfinished      → kept
    const plan: Array<[number, string, string | null, BuildChroot['state']]> = [
      [11, 'hello', '1.0', 'succeeded'],
      [12, 'hello', null, 'failed'],
      [13, 'hello', '1.1', 'succeeded'],
      [14, 'hello', null, 'failed'],
      [15, 'world', '1.0', 'succeeded'],
      [16, 'hello', null, 'running'],
    ];
    const chrootDir = join(results.root, 'bob', 'pruned', ch);
    const published: string[] = [];
    for (const [id, pkg, version, state] of plan) {
      const b = build(id, p, pkg, state === 'running' ? { source_status: 'succeeded' } : {});
      await builds.createBuild(b, [chroot(b, ch, state)], [], null);
      await results.put(`bob/pruned/srpm-builds/${String(id).padStart(8, '0')}/${pkg}.src.rpm`, 'srpm');
      if (version) {
        const { rpm } = await buildRpm(tmp, pkg, version);
        await placeBuild(chrootDir, resultDir(id, pkg), [rpm]);
        published.push(resultDir(id, pkg));
      } else {
        await results.put(`bob/pruned/${ch}/${resultDir(id, pkg)}/builder-live.log`, 'log');
      }
    }
    await deps.publish({ owner: 'bob', dirname: 'pruned', chroot: ch, adds: published, devel: false });
    // Same history in a project without auto_prune: untouched.
    for (const id of [21, 22]) {
      const b = build(id, keep, 'hello');
      await builds.createBuild(b, [chroot(b, ch, 'succeeded')], [], null);
    }

    const server = await serveDir(tmp);
    const reposdir = join(tmp, 'yum.repos.d');
    await mkdir(reposdir, { recursive: true });
    await writeFile(
      join(reposdir, 'bob-pruned.repo'),
      renderRepoFile({ frontendHost: '127.0.0.1', target: { owner: 'bob', dirname: 'pruned', repoUrl: `${server.url}/results/bob/pruned` }, chroot: ch, gpgcheck: 1, repoGpgcheck: 1 }),
    );
    let roots = 0;
    const available = async (): Promise<string[]> => {
      const root = join(tmp, `root-${++roots}`);
      await mkdir(root);
      const args = [`--installroot=${root}`, '--releasever=41', `--setopt=reposdir=${reposdir}`, '--disableplugin=local', '-y'];
      const r = await run('dnf', [...args, 'repoquery', '--available', '--qf', '%{name}-%{version}\n'], { maxBuffer: 16 << 20 });
      return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^(hello|world)-/.test(l)).sort();
    };
    try {
      expect(await available()).toEqual(['hello-1.0', 'hello-1.1', 'world-1.0']);

      const reports = await twiceAtOnce('prune');
      expect(changedOf(reports)).toEqual(['bob/pruned#11', 'bob/pruned#12']);
      expect((await builds.listProjectBuilds('bob', 'pruned')).map((b) => b.id)).toEqual([13, 14, 15, 16]);
      expect((await builds.listProjectBuilds('bob', 'keepall')).map((b) => b.id)).toEqual([21, 22]);
      expect(await available()).toEqual(['hello-1.1', 'world-1.0']);
      const dirs = (await readdir(chrootDir)).filter((d) => /^\d{8}-/.test(d)).sort();
      expect(dirs).toEqual([resultDir(13, 'hello'), resultDir(14, 'hello'), resultDir(15, 'world'), resultDir(16, 'hello')]);
      expect(await files('bob/pruned/srpm-builds/00000011')).toEqual([]);
      expect(await files('bob/pruned/srpm-builds/00000012')).toEqual([]);
      expect((await files('bob/pruned/srpm-builds/00000013')).length).toBe(1);

      // Again: nothing more goes.
      expect(changedOf(await twiceAtOnce('prune'))).toEqual([]);
      expect((await builds.listProjectBuilds('bob', 'pruned')).map((b) => b.id)).toEqual([13, 14, 15, 16]);
    } finally {
      await server.close();
    }
  });

  it('eol-chroots marks EOL project chroots, notifies once, and removes their data after the retention', async () => {
    await store.putMockChroot({ name: 'fedora-39-x86_64', os_release: 'fedora', os_version: '39', arch: 'x86_64', is_active: false, eol: true, comment: '' });
    await store.putMockChroot({ name: 'fedora-41-x86_64', os_release: 'fedora', os_version: '41', arch: 'x86_64', is_active: true, eol: false, comment: '' });
    const p = await addProject(project('carol', 'old'), ['fedora-39-x86_64', 'fedora-41-x86_64']);
    await results.put('carol/old/fedora-39-x86_64/00000031-x/x.rpm', 'x');
    await results.put('carol/old/fedora-41-x86_64/00000031-x/x.rpm', 'x');
    const before = events.events.length;

    expect(changedOf(await twiceAtOnce('eol-chroots'))).toEqual([expect.stringMatching(/^carol\/old\/fedora-39-x86_64: EOL/)]);
    const marked = await store.getProjectChroot('carol', 'old', 'fedora-39-x86_64');
    expect(marked).toMatchObject({ delete_after: T0 / 1000 + 180 * DAY, delete_after_days: 180 });
    expect((await store.getProjectChroot('carol', 'old', 'fedora-41-x86_64'))?.delete_after).toBeNull();
    expect(events.events.slice(before)).toEqual([
      expect.objectContaining({ type: 'project.chroot_eol', ownername: 'carol', projectname: 'old', chroot: 'fedora-39-x86_64', delete_after: T0 / 1000 + 180 * DAY }),
    ]);
    expect(changedOf(await twiceAtOnce('eol-chroots'))).toEqual([]);

    now = T0 + 100 * DAY * 1000;
    try {
      await twiceAtOnce('eol-chroots');
      expect((await store.getProjectChroot('carol', 'old', 'fedora-39-x86_64'))?.delete_after_days).toBe(80);
      expect((await files('carol/old/fedora-39-x86_64')).length).toBe(1);

      now = T0 + 181 * DAY * 1000;
      expect(changedOf(await twiceAtOnce('eol-chroots'))).toEqual(['carol/old/fedora-39-x86_64: removed']);
      expect(await store.getProjectChroot('carol', 'old', 'fedora-39-x86_64')).toBeNull();
      expect(await files('carol/old/fedora-39-x86_64')).toEqual([]);
      expect(await files('carol/old/fedora-41-x86_64')).toEqual(['carol/old/fedora-41-x86_64/00000031-x/x.rpm']);
      expect(await store.getProject('carol', 'old')).toMatchObject({ id: p.id });
      expect(events.events.length).toBe(before + 1);
    } finally {
      now = T0;
    }
  });

  it('reconcile wakes the dispatcher for pending work and terminates only stray builders', async () => {
    const p = await addProject(project('dave', 'busy'), ['fedora-41-x86_64']);
    const pendingBuild = build(41, p, 'hello', { source_status: 'pending' });
    await builds.createBuild(pendingBuild, [], [newTask(pendingBuild, null, 'x86_64', now)], null);
    const runningBuild = build(42, p, 'hello', { source_status: 'pending' });
    await builds.createBuild(runningBuild, [], [newTask(runningBuild, null, 'x86_64', now)], null);
    expect(await builds.claimTask('42', { builder_id: 'b-owned', credential_hash: 'x', credential_expires: now + 3_600_000, now })).toBe(true);

    // Real processes stand in for builders.
    const procs = new Map<string, { child: ChildProcess; startedAt: number }>();
    const exited = new Set<string>();
    for (const [id, startedAt] of [['b-owned', now - 3_600_000], ['b-stray', now - 3_600_000], ['b-fresh', now - 1000]] as const) {
      const child = spawn('sleep', ['120'], { stdio: 'ignore' });
      child.on('exit', () => exited.add(id));
      procs.set(id, { child, startedAt });
    }
    const fleet: Fleet = {
      launch: async () => {
        throw new Error('reconcile never launches builders');
      },
      list: async () => [...procs].filter(([id]) => !exited.has(id)).map(([builderId, v]) => ({ builderId, taskId: null, launchedAt: v.startedAt })),
      terminate: async (id) => {
        procs.get(id)?.child.kill('SIGKILL');
      },
    };
    const woken = wakes;
    try {
      const reports = await Promise.all([runJob({ ...deps, fleet }, 'reconcile'), runJob({ ...deps, fleet }, 'reconcile')]);
      expect(wakes - woken).toBe(2);
      // Both runs may see the stray (terminate is idempotent) or the second may find it gone already.
      const strays = changedOf(reports).filter((c) => c.startsWith('stray'));
      expect(strays.length).toBeGreaterThanOrEqual(1);
      expect(new Set(strays)).toEqual(new Set(['stray builder b-stray terminated']));
      const deadline = Date.now() + 10_000;
      while (!exited.has('b-stray') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect([...exited]).toEqual(['b-stray']);

      // Once the stray is gone, a further run terminates nothing.
      const again = await runJob({ ...deps, fleet }, 'reconcile');
      expect(again.changed.filter((c) => c.startsWith('stray'))).toEqual([]);
    } finally {
      for (const { child } of procs.values()) child.kill('SIGKILL');
    }
  });
});
