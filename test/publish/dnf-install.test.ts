import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { CountingRunner } from '../../functions/publish/process-runner.js';
import { systemClock } from '../../functions/core/ports.js';
import { ledgerPublishSink } from '../../functions/core/publish-ledger.js';
import { LedgerPublisher } from '../../functions/local/ledger-publisher.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { publishRepository, type PublishDeps } from '../../functions/publish/publish-repo.js';
import { referencedFiles } from '../../functions/publish/repodata-swap.js';
import { renderRepoFile } from '../../functions/publish/repo-file.js';
import { dnfIn } from '../e2e/dnf-support.js';
import { buildRpm, makeTmp, placeBuild, primaryLocations, removeTmp, run, serveDir } from './helpers.js';

/** dnf's $basearch for this machine, so the chroot dir matches what dnf asks for. */
async function basearch(): Promise<string> {
  const m = (await run('uname', ['-m'])).stdout.trim();
  return /^i[3-6]86$/.test(m) ? 'i386' : m;
}

describe('dnf end to end: publish, install, tamper, delete', () => {
  let tmp: string;
  let results: string;
  let signer: GpgSigner;
  let runner: CountingRunner;
  let deps: PublishDeps;
  let server: { url: string; close: () => Promise<void> };
  let chroot: string;
  let reposdir: string;

  let runDnf: ReturnType<typeof dnfIn>;
  /** Runs dnf against only our .repo file, in a fresh installroot (fresh metadata cache). */
  const dnf = (...args: string[]) => runDnf(reposdir, args);

  beforeAll(async () => {
    tmp = await makeTmp('dnf-e2e');
    runDnf = dnfIn(tmp, '41');
    results = join(tmp, 'results');
    chroot = `fedora-41-${await basearch()}`;
    signer = new GpgSigner({ keysDir: join(tmp, 'keys'), keyLength: 2048 });
    runner = new CountingRunner();
    server = await serveDir(tmp);
    deps = { resultsDir: results, signer, run: runner, clock: { now: () => 1_700_000_000_000 } };
    reposdir = join(tmp, 'yum.repos.d');
    await mkdir(reposdir);
    await writeFile(
      join(reposdir, 'alice-proj.repo'),
      renderRepoFile({
        frontendHost: '127.0.0.1',
        target: { owner: 'alice', dirname: 'proj', repoUrl: `${server.url}/results/alice/proj` },
        chroot,
        gpgcheck: 1,
        repoGpgcheck: 1,
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await signer?.close();
    if (tmp) await removeTmp(tmp);
  });

  it('publishes a signed repository that dnf installs from with gpgcheck and repo_gpgcheck', async () => {
    const { rpm, srpm } = await buildRpm(tmp, 'hello');
    await placeBuild(join(results, 'alice', 'proj', chroot), '00000001-hello', [rpm, srpm]);
    const out = await publishRepository({ owner: 'alice', dirname: 'proj', chroot, adds: ['00000001-hello'] }, deps);
    expect(out.createrepoRan).toBe(true);
    expect(out.signed).toHaveLength(2);

    const repodata = join(results, 'alice', 'proj', chroot, 'repodata');
    expect(await primaryLocations(repodata)).toEqual(['00000001-hello/hello-1.0-1.noarch.rpm', '00000001-hello/hello-1.0-1.src.rpm']);
    expect(await readFile(join(results, 'alice', 'proj', 'pubkey.gpg'), 'utf8')).toContain('BEGIN PGP PUBLIC KEY BLOCK');

    const res = await dnf('install', 'hello');
    expect(res.out, res.out).toMatch(/Complete!/);
    expect(res.ok).toBe(true);
    const { stdout } = await run('sh', [join(res.root, 'usr', 'bin', 'hello')]);
    expect(stdout.trim()).toBe('hello 1.0 from copr');
  });

  it('dnf refuses a repository whose repomd.xml does not match its signature', async () => {
    const repomd = join(results, 'alice', 'proj', chroot, 'repodata', 'repomd.xml');
    const original = await readFile(repomd, 'utf8');
    await writeFile(repomd, original.replace('</repomd>', '<!-- tampered --></repomd>'));
    try {
      const res = await dnf('install', 'hello');
      expect(res.ok).toBe(false);
      expect(res.out).toMatch(/GPG signature verification error|signature/i);
    } finally {
      await writeFile(repomd, original);
    }
    // A repomd.xml.asc from another key is refused as well.
    const asc = `${repomd}.asc`;
    const goodAsc = await readFile(asc, 'utf8');
    const intruder = new GpgSigner({ keysDir: join(tmp, 'intruder-keys'), keyLength: 2048 });
    try {
      await intruder.signDetached('mallory', 'proj', repomd);
      const res = await dnf('install', 'hello');
      expect(res.ok).toBe(false);
      expect(res.out).toMatch(/GPG signature verification error|signature/i);
    } finally {
      await intruder.close();
      await writeFile(asc, goodAsc);
    }
    expect((await dnf('install', 'hello')).ok).toBe(true);
  });

  it('a deleted build disappears from the repository and from disk', async () => {
    const out = await publishRepository({ owner: 'alice', dirname: 'proj', chroot, deletes: ['00000001-hello'] }, deps);
    expect(out.removed).toEqual(['00000001-hello']);
    const res = await dnf('repoquery', '--available', '--qf', '%{name}-%{version}');
    expect(res.ok, res.out).toBe(true);
    expect(res.out).not.toMatch(/hello-1\.0/);
    await expect(readFile(join(results, 'alice', 'proj', chroot, '00000001-hello', 'hello-1.0-1.noarch.rpm'))).rejects.toThrow();
  });

  it('20 concurrent publish requests for one repository: all packages, fewer createrepo_c runs, ledger drained', async () => {
    const chrootDir = join(results, 'alice', 'proj', chroot);
    const names = Array.from({ length: 20 }, (_, i) => `pkg${String(i + 1).padStart(2, '0')}`);
    const built = await Promise.all(names.map((n) => buildRpm(tmp, n)));
    const subdirs = names.map((n, i) => `${String(100 + i).padStart(8, '0')}-${n}`);
    await Promise.all(subdirs.map((s, i) => placeBuild(chrootDir, s, [built[i]!.rpm])));

    const before = runner.count('createrepo_c');
    // Through the publish ledger, as the services publish: each request recorded, then a wake-up.
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    const table = `dnf-ledger-${Date.now()}`;
    await ensureTable(db, table);
    const ledger = new DynamoPublishLedger(db, table);
    const publisher = new LedgerPublisher({ ledger, clock: systemClock, publish: (req) => publishRepository(req, deps), concurrency: 4 });
    const request = ledgerPublishSink(ledger, async (repo) => publisher.wake(repo), systemClock);
    await Promise.all(subdirs.map((s) => request({ owner: 'alice', dirname: 'proj', chroot, adds: [s], devel: false })));
    await publisher.idle();
    expect(await ledger.pending({ owner: 'alice', dirname: 'proj', chroot, devel: false }, 10)).toEqual([]);
    const runs = runner.count('createrepo_c') - before;
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThan(20);

    const repodata = join(chrootDir, 'repodata');
    expect(await primaryLocations(repodata)).toEqual(subdirs.map((s, i) => `${s}/${names[i]}-1.0-1.noarch.rpm`));
    for (const f of referencedFiles(await readFile(join(repodata, 'repomd.xml'), 'utf8'))) {
      await expect(readFile(join(repodata, f))).resolves.toBeInstanceOf(Buffer);
    }
    const res = await dnf('repoquery', '--available', '--qf', '%{name}');
    expect(res.ok, res.out).toBe(true);
    for (const n of names) expect(res.out).toContain(n);
  }, 180_000);
});
