import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { S3Client } from '@aws-sdk/client-s3';
import { runPublisherTask } from '../functions/aws/publisher-task.js';
import { RESULTS_S3_CLIENT_CONFIG, S3ResultsStore } from '../functions/aws/s3-results-store.js';
import type { SigningKeyStore } from '../functions/core/ports.js';
import type { ResultsStore } from '../functions/core/results-store.js';
import { GpgSigner } from '../functions/publish/gpg-signer.js';
import { KmsKeyStore } from '../functions/publish/kms-key-store.js';
import { spawnRunner } from '../functions/publish/process-runner.js';
import { publishRepository } from '../functions/publish/publish-repo.js';
import { fakeKms } from '../test/aws/fake-kms.js';
import { inParallel, kb, ms, percentile, ratio, tempDir, type BenchPart, type PartResult, type Table } from './harness.js';
import { cloneRpm, rpmTemplate, type RpmTemplate } from './rpm-clone.js';

/**
 * Publish cost against repository size: adding one package to a repository of N
 * packages (default 10,000; BENCH_PUBLISH_PACKAGES overrides), compared with one
 * full `createrepo_c` of the same directory, on the local publisher
 * (publishRepository on the results dir) and on the AWS publisher (runPublisherTask
 * on fauxqs S3: metadata-only mirror, listings updated from the change). A second
 * table repeats the AWS add on repositories of the same package count with tiny and
 * with 256 KiB packages: the bytes a publish moves should not depend on the size of
 * the packages already published. Packages are distinct valid RPMs cloned from one
 * rpmbuild output (bench/rpm-clone.ts). KMS is the tests' fake (one Decrypt per run).
 */
const CHROOT = 'fedora-44-x86_64';
const OWNER = 'bench';
const PROJECT = 'p';
const NAME_LEN = 'bp-t-000000'.length;

function buildTemplates(work: string): { tiny: RpmTemplate; big: RpmTemplate } {
  const top = join(work, 'rpmbuild');
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const spec = [
    'Name: bp-t-000000',
    'Version: 1',
    'Release: 1',
    'Summary: publish benchmark package',
    'License: MIT',
    'BuildArch: noarch',
    'AutoReqProv: no',
    '%description',
    'tiny',
    '%package -n bp-b-000000',
    'Summary: publish benchmark package with a 256 KiB payload',
    '%description -n bp-b-000000',
    'big',
    '%install',
    'mkdir -p %{buildroot}/usr/share/bp',
    'echo tiny > %{buildroot}/usr/share/bp/tiny',
    'head -c 262144 /dev/urandom > %{buildroot}/usr/share/bp/big',
    '%files',
    '/usr/share/bp/tiny',
    '%files -n bp-b-000000',
    '/usr/share/bp/big',
    '',
  ].join('\n');
  writeFileSync(join(top, 'SPECS', 'bp.spec'), spec);
  execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', '_binary_payload w0.ufdio', join(top, 'SPECS', 'bp.spec')], { stdio: 'ignore' });
  const rpm = (n: string) => readFileSync(join(top, 'RPMS', 'noarch', `${n}-1-1.noarch.rpm`));
  return { tiny: rpmTemplate(rpm('bp-t-000000'), 'bp-t-000000'), big: rpmTemplate(rpm('bp-b-000000'), 'bp-b-000000') };
}

const pkgName = (kind: string, i: number) => `bp-${kind}-${String(i).padStart(NAME_LEN - 5, '0')}`;
const buildDir = (i: number, name: string) => `${String(i).padStart(8, '0')}-${name}`;

/** Writes N cloned packages into `<chrootDir>/<build dir>/`. */
function fillChroot(chrootDir: string, t: RpmTemplate, kind: string, n: number): void {
  for (let i = 1; i <= n; i++) {
    const name = pkgName(kind, i);
    const dir = join(chrootDir, buildDir(i, name));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}-1-1.noarch.rpm`), cloneRpm(t, name));
  }
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU milliseconds used so far by this process and its reaped children (createrepo_c,
 * rpmsign, gpg; not the gpg-agent daemon). On a shared machine wall time follows the
 * load; CPU time follows the work. The S3 emulator runs in a process of its own (not
 * reaped until the end), so the AWS path's CPU is the publisher's; its own CPU is
 * read from /proc (processCpuMs).
 */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are 12-15 after the name.
  const children = ((f[13] ?? 0) + (f[14] ?? 0)) * (1000 / CLK_TCK);
  const self = process.cpuUsage();
  return (self.user + self.system) / 1000 + children;
}

/** CPU milliseconds a running process has used (utime + stime of /proc/<pid>/stat). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return ((f[11] ?? 0) + (f[12] ?? 0)) * (1000 / CLK_TCK);
}

interface S3Emulator {
  s3: S3Client;
  cpuMs(): number;
  stop(): Promise<void>;
}

/** fauxqs in a child process (bench/s3-emulator.ts) with the bucket `results`. */
async function startS3Emulator(): Promise<S3Emulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 's3-emulator.ts'), 'results'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the S3 emulator exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { address: string }).address);
    });
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const s3 = new S3Client({ ...RESULTS_S3_CLIENT_CONFIG, endpoint: address, forcePathStyle: true, region: 'us-east-1', credentials });
  const pid = child.pid ?? 0;
  return {
    s3,
    cpuMs: () => processCpuMs(pid),
    stop: async () => {
      s3.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await exited;
    },
  };
}

/** Each add and each full run is timed this many times; the tables give the median (the machine is shared). */
const REPEATS = 3;

/** Full createrepo_c runs of the directory (what a publish would cost if it re-read everything): their median. */
function fullCreaterepo(chrootDir: string, out: string): { ms: number; cpu: number } {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const c0 = cpuMs();
    const t0 = performance.now();
    execFileSync('createrepo_c', [chrootDir, '--no-database', '--workers', '8', '--general-compress-type=gz', '--outputdir', out], { stdio: 'ignore' });
    times.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { ms: percentile(times, 50), cpu: percentile(cpu, 50) };
}

class MemorySigningKeys implements SigningKeyStore {
  private readonly keys = new Map<string, unknown>();
  async getSealed(owner: string, project: string): Promise<unknown> {
    return this.keys.get(`${owner}/${project}`) ?? null;
  }
  async putSealedIfAbsent(owner: string, project: string, sealed: unknown): Promise<boolean> {
    if (this.keys.has(`${owner}/${project}`)) return false;
    this.keys.set(`${owner}/${project}`, sealed);
    return true;
  }
}

interface Traffic {
  gets: number;
  getBytes: number;
  puts: number;
  putBytes: number;
  lists: number;
  deletes: number;
}

/** The results store with every call counted: what a publisher run moves. */
function counted(inner: ResultsStore): { store: ResultsStore; traffic: Traffic } {
  const traffic: Traffic = { gets: 0, getBytes: 0, puts: 0, putBytes: 0, lists: 0, deletes: 0 };
  const store: ResultsStore = {
    put: async (k, d) => {
      traffic.puts++;
      traffic.putBytes += Buffer.byteLength(d);
      await inner.put(k, d);
    },
    putFile: (k, p) => inner.putFile(k, p),
    copy: (from, to) => inner.copy(from, to),
    get: async (k) => {
      const d = await inner.get(k);
      traffic.gets++;
      traffic.getBytes += d?.length ?? 0;
      return d;
    },
    exists: (k) => inner.exists(k),
    list: async (p) => {
      traffic.lists++;
      return inner.list(p);
    },
    delete: async (k) => {
      traffic.deletes++;
      await inner.delete(k);
    },
    deletePrefix: async (p) => {
      traffic.deletes++;
      await inner.deletePrefix(p);
    },
    uploadTarget: (k, c) => inner.uploadTarget(k, c),
    writeLiveLogChunk: (k, a, o, d) => inner.writeLiveLogChunk(k, a, o, d),
    dropLiveLogChunks: (k) => inner.dropLiveLogChunks(k),
  };
  return { store, traffic };
}

/** Every file below `root/<rel>` as bucket keys (relative paths). */
function filesBelow(root: string, rel: string): string[] {
  const out: string[] = [];
  const walk = (r: string) => {
    for (const e of readdirSync(join(root, r), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = `${r}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(rel);
  return out;
}

interface CaseResult {
  n: number;
  kind: string;
  repoBytes: number;
  fullMs: number;
  fullCpu: number;
  localAddMs?: number;
  localAddCpu?: number;
  awsAddMs: number;
  awsAddCpu: number;
  /** CPU of the S3 emulator process during an add (median), not in awsAddCpu. */
  s3Cpu: number;
  traffic: Traffic;
  addedBytes: number;
}

async function runCase(work: string, t: RpmTemplate, kind: string, n: number, withLocal: boolean): Promise<CaseResult> {
  const root = join(work, `${kind}-${n}`, 'results');
  const chrootRel = `${OWNER}/${PROJECT}/${CHROOT}`;
  const chrootDir = join(root, chrootRel);
  fillChroot(chrootDir, t, kind, n);
  const repoBytes = filesBelow(root, chrootRel).reduce((s, k) => s + readFileSync(join(root, k)).length, 0);
  const full = fullCreaterepo(chrootDir, join(work, `${kind}-${n}`, 'full-out'));

  // The repository as published so far: one full publish (signs nothing: the copies are "already published").
  const signer = new GpgSigner({ keysDir: join(work, `${kind}-${n}`, 'keys'), keyLength: 2048 });
  const deps = { resultsDir: root, signer, run: spawnRunner, clock: { now: () => Date.now() }, resultsBaseUrl: 'http://bench/results' };
  await publishRepository({ owner: OWNER, dirname: PROJECT, chroot: CHROOT, full: true }, deps);

  // The AWS bucket holds the same repository before the add.
  const aws = await startS3Emulator();
  const kms = fakeKms('arn:aws:kms:us-east-1:111122223333:key/bench');
  try {
    const bucket = new S3ResultsStore(aws.s3, 'results');
    await inParallel(filesBelow(root, `${OWNER}/${PROJECT}`), 16, async (k) => bucket.put(k, readFileSync(join(root, k))));

    // Successive adds of one new package each (kind `n` locally, `a` on AWS).
    const fresh = (kind: string, i: number) => {
      const name = pkgName(kind, i);
      return { name, dir: buildDir(n + i, name), rpm: cloneRpm(t, name) };
    };
    let localAddMs: number | undefined;
    let localAddCpu: number | undefined;
    if (withLocal) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let i = 1; i <= REPEATS; i++) {
        const p = fresh('n', i);
        mkdirSync(join(chrootDir, p.dir), { recursive: true });
        writeFileSync(join(chrootDir, p.dir, `${p.name}-1-1.noarch.rpm`), p.rpm);
        const c0 = cpuMs();
        const t0 = performance.now();
        await publishRepository({ owner: OWNER, dirname: PROJECT, chroot: CHROOT, adds: [p.dir] }, deps);
        times.push(performance.now() - t0);
        cpu.push(cpuMs() - c0);
      }
      localAddMs = percentile(times, 50);
      localAddCpu = percentile(cpu, 50);
    }
    await signer.close();

    const signingKeys = new MemorySigningKeys();
    const keys = new KmsKeyStore(kms.client, 'arn:aws:kms:us-east-1:111122223333:key/bench');
    const task = (i: number, store: ResultsStore) => ({
      results: store,
      signingKeys,
      keys,
      signer: new GpgSigner({ keysDir: join(work, `${kind}-${n}`, `task-${i}`, 'keys'), keyLength: 2048 }),
      run: spawnRunner,
      clock: { now: () => Date.now() },
      workDir: join(work, `${kind}-${n}`, `task-${i}`),
      resultsBaseUrl: 'http://bench/results',
    });
    // Warm-up on another chroot of the project: creates and seals the project key, as the project's first publish did.
    const warm = task(0, bucket);
    await runPublisherTask({ owner: OWNER, dirname: PROJECT, chroot: 'epel-9-x86_64', full: true }, warm);
    await warm.signer.close();

    const times: number[] = [];
    const cpu: number[] = [];
    const emulatorCpu: number[] = [];
    let traffic: Traffic | undefined;
    let addedBytes = 0;
    for (let i = 1; i <= REPEATS; i++) {
      const p = fresh('a', i);
      await bucket.put(`${chrootRel}/${p.dir}/${p.name}-1-1.noarch.rpm`, p.rpm);
      const c = counted(bucket);
      const run = task(i, c.store);
      const c0 = cpuMs();
      const e0 = aws.cpuMs();
      const t0 = performance.now();
      await runPublisherTask({ owner: OWNER, dirname: PROJECT, chroot: CHROOT, adds: [p.dir] }, run);
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
      emulatorCpu.push(aws.cpuMs() - e0);
      await run.signer.close();
      traffic = c.traffic;
      addedBytes = p.rpm.length;
    }
    if (!traffic) throw new Error('no AWS publish ran');
    const awsAddMs = percentile(times, 50);
    const awsAddCpu = percentile(cpu, 50);
    const s3Cpu = percentile(emulatorCpu, 50);
    const primary = (await bucket.list(`${chrootRel}/repodata/`)).find((k) => k.includes('primary.xml'));
    if (!primary || !(await bucket.get(primary))?.length) throw new Error('the AWS publish left no primary metadata');
    return { n, kind, repoBytes, fullMs: full.ms, fullCpu: full.cpu, localAddMs, localAddCpu, awsAddMs, awsAddCpu, s3Cpu, traffic, addedBytes };
  } finally {
    kms.mock.restore();
    await aws.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export const publishPart: BenchPart = {
  name: 'publish',
  title: 'adding one package to a large repository, local and AWS publisher, against a full createrepo_c',
  async run(): Promise<PartResult> {
    const n = Number(process.env.BENCH_PUBLISH_PACKAGES ?? 10_000);
    const sizeN = Math.min(n, 1000);
    const work = tempDir('publish');
    try {
      const { tiny, big } = buildTemplates(work.path);
      const main = await runCase(work.path, tiny, 't', n, true);
      const small = await runCase(work.path, tiny, 't', sizeN, false);
      const large = await runCase(work.path, big, 'b', sizeN, false);
      const cost: Table = {
        title: `add one package to a repository, against one full createrepo_c of it`,
        head: ['path', 'packages', 'package size', 'add one: ms', 'full createrepo_c: ms', 'add / full', 'add one: CPU ms', 'full: CPU ms', 'CPU add / full', 'S3 emulator: CPU ms'],
        rows: [
          ['local (publishRepository)', n, 'tiny', ms(main.localAddMs ?? NaN), ms(main.fullMs), ratio(main.localAddMs ?? NaN, main.fullMs), ms(main.localAddCpu ?? NaN), ms(main.fullCpu), ratio(main.localAddCpu ?? NaN, main.fullCpu), '-'],
          ...[main, small, large].map((c) => [
            'AWS (runPublisherTask on fauxqs S3)', c.n, c.kind === 'b' ? '256 KiB' : 'tiny', ms(c.awsAddMs), ms(c.fullMs), ratio(c.awsAddMs, c.fullMs), ms(c.awsAddCpu), ms(c.fullCpu), ratio(c.awsAddCpu, c.fullCpu), String(Math.round(c.s3Cpu)),
          ]),
        ],
        notes: [
          `add one: a whole publish of one new build (sign the RPM, createrepo_c on it alone, its entries appended to the old primary/filelists/other, sign repomd.xml, swap in, listings); AWS adds: download metadata and the new build, upload, listings from the change. Median of ${REPEATS} successive adds; the repository's metadata was written by a full publish (createrepo_c, then put in the appendable layout).`,
          `full createrepo_c: \`createrepo_c <chroot> --no-database --workers 8 --general-compress-type=gz\` into an empty output dir (every header read, every file checksummed); median of ${REPEATS} runs.`,
          'CPU ms: user + system time of this process and of the children it waited for (createrepo_c, rpmsign, gpg), not of the gpg-agent daemon. The S3 emulator (fauxqs) runs in a process of its own, as S3 is not in the publisher task on AWS; its CPU during an add (median) is the last column, in no other. Its wall time is in "add one: ms": on this machine it shares the cores.',
        ],
      };
      const row = (c: CaseResult): (string | number)[] => [
        c.kind === 'b' ? '256 KiB' : 'tiny',
        c.n,
        kb(c.repoBytes),
        `${c.traffic.gets} / ${kb(c.traffic.getBytes - c.addedBytes)}`,
        `${c.traffic.puts} / ${kb(c.traffic.putBytes - c.addedBytes)}`,
        kb(c.addedBytes),
        c.traffic.lists,
        ms(c.awsAddMs),
      ];
      const bytes: Table = {
        title: 'bytes one AWS publish moves, by size of the packages already published',
        head: ['package size', 'packages', 'repository', 'GETs / bytes (without the new RPM)', 'PUTs / bytes (without the new RPM)', 'new RPM', 'LIST calls', 'ms'],
        rows: [row(small), row(large), row(main)],
        notes: [`GET and PUT bytes exclude the added package itself (downloaded once to sign it, uploaded once signed); the rest is metadata, listings and the public key. Figures of the last of ${REPEATS} successive adds; ms is their median.`],
      };
      return { tables: [cost, bytes] };
    } finally {
      work.remove();
    }
  },
};
