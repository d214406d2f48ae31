import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { CountingRunner } from '../../functions/publish/process-runner.js';
import { publishRepository, type PublishDeps, type PublishOutcome } from '../../functions/publish/publish-repo.js';
import type { PublishRequest } from '../../functions/publish/publish-request.js';
import { referencedFiles, swapInRepodata } from '../../functions/publish/repodata-swap.js';
import { buildRpm, makeTmp, placeBuild, primaryLocations, removeTmp, run } from './helpers.js';

const CHROOT = 'fedora-41-x86_64';

describe('Function: publishRepository', () => {
  let tmp: string;
  let results: string;
  let signer: GpgSigner;
  let runner: CountingRunner;
  let deps: PublishDeps;
  let chrootDir: string;
  let rpms: { rpm: string; srpm: string }[];

  beforeAll(async () => {
    tmp = await makeTmp('publish-repo');
    results = join(tmp, 'results');
    chrootDir = join(results, 'bob', 'proj', CHROOT);
    signer = new GpgSigner({ keysDir: join(tmp, 'keys'), keyLength: 2048 });
    runner = new CountingRunner();
    deps = { resultsDir: results, signer, run: runner, clock: { now: () => 42 }, resultsBaseUrl: 'http://dl.example/results' };
    rpms = await Promise.all(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((n) => buildRpm(tmp, n)));
  });
  afterAll(async () => {
    await signer?.close();
    if (tmp) await removeTmp(tmp);
  });

  it('signs only unsigned packages, skips createrepo_c when there is nothing to do', async () => {
    await placeBuild(chrootDir, '00000001-a1', [rpms[0]!.rpm, rpms[0]!.srpm]);
    const first = await publishRepository({ owner: 'bob', dirname: 'proj', chroot: CHROOT, adds: ['00000001-a1'] }, deps);
    expect(first.signed.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort()).toEqual(['a1-1.0-1.noarch.rpm', 'a1-1.0-1.src.rpm']);
    expect(first.finishedAt).toBe(42);
    const firstRuns = runner.count('createrepo_c');
    const repomd = await readFile(join(chrootDir, 'repodata', 'repomd.xml'), 'utf8');
    const again = await publishRepository({ owner: 'bob', dirname: 'proj', chroot: CHROOT, adds: ['00000001-a1', '00000099-gone'] }, deps);
    expect(again.signed).toEqual([]);
    expect(again.missingAdds).toEqual(['00000099-gone']);
    // Everything the request names is listed already: the metadata stays as it is.
    expect(again.createrepoRan).toBe(false);
    expect(runner.count('createrepo_c')).toBe(firstRuns);
    expect(await readFile(join(chrootDir, 'repodata', 'repomd.xml'), 'utf8')).toBe(repomd);

    const before = runner.count('createrepo_c');
    const noop = await publishRepository({ owner: 'bob', dirname: 'proj', chroot: CHROOT }, deps);
    expect(noop.createrepoRan).toBe(false);
    expect(runner.count('createrepo_c')).toBe(before);

    // Signed repomd.xml, public key, listings; no staging leftovers.
    const repodata = join(chrootDir, 'repodata');
    const home = signer.homedir('bob', 'proj');
    await run('gpg', ['--homedir', home, '--batch', '--verify', join(repodata, 'repomd.xml.asc'), join(repodata, 'repomd.xml')]);
    await access(join(results, 'bob', 'proj', 'pubkey.gpg'));
    for (const d of ['', CHROOT, `${CHROOT}/repodata`, `${CHROOT}/00000001-a1`]) await access(join(results, 'bob', 'proj', d, 'index.html'));
    expect((await readdir(chrootDir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(await readFile(join(chrootDir, 'index.html'), 'utf8')).toContain('href="00000001-a1/"');
  });

  it('keeps repomd.xml consistent for readers while publishing runs back to back', async () => {
    const repodata = join(chrootDir, 'repodata');
    let done = false;
    let checks = 0;
    const violations: string[] = [];
    const reader = (async () => {
      while (!done) {
        const before = await readFile(join(repodata, 'repomd.xml'), 'utf8');
        for (const f of referencedFiles(before)) {
          const present = await access(join(repodata, f)).then(() => true, () => false);
          // Missing is only acceptable if a newer repomd.xml replaced the one we read.
          if (!present && (await readFile(join(repodata, 'repomd.xml'), 'utf8')) === before) violations.push(f);
        }
        checks += 1;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 1; i < 5; i += 1) {
      const sub = `0000001${i}-a${i + 1}`;
      await placeBuild(chrootDir, sub, [rpms[i]!.rpm]);
      await publishRepository({ owner: 'bob', dirname: 'proj', chroot: CHROOT, adds: [sub] }, deps);
    }
    done = true;
    await reader;
    expect(checks).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    const files = await readdir(repodata);
    const refs = referencedFiles(await readFile(join(repodata, 'repomd.xml'), 'utf8'));
    // Old generations are cleaned up: only the live metadata remains.
    expect(files.sort()).toEqual([...refs, 'index.html', 'repomd.xml', 'repomd.xml.asc'].sort());
    expect(await primaryLocations(repodata)).toHaveLength(6);
  });

  it('removes deleted builds only with new metadata, and devel mode publishes to devel/', async () => {
    const out = await publishRepository(
      { owner: 'bob', dirname: 'proj', chroot: CHROOT, deletes: ['00000011-a2', '00000012-a3'] },
      deps,
    );
    expect(out.removed).toEqual(['00000011-a2', '00000012-a3']);
    const locs = await primaryLocations(join(chrootDir, 'repodata'));
    expect(locs.some((l) => l.includes('a2') || l.includes('a3'))).toBe(false);
    expect(locs).toHaveLength(4);
    expect(await readFile(join(chrootDir, 'index.html'), 'utf8')).not.toContain('00000011-a2');

    const publicRepomd = await readFile(join(chrootDir, 'repodata', 'repomd.xml'), 'utf8');
    await placeBuild(chrootDir, '00000020-a6', [rpms[5]!.rpm]);
    await publishRepository({ owner: 'bob', dirname: 'proj', chroot: CHROOT, adds: ['00000020-a6'], devel: true }, deps);
    expect(await readFile(join(chrootDir, 'repodata', 'repomd.xml'), 'utf8')).toBe(publicRepomd);
    const develLocs = await primaryLocations(join(chrootDir, 'devel', 'repodata'));
    expect(develLocs).toContain('00000020-a6/a6-1.0-1.noarch.rpm');
    await access(join(chrootDir, 'devel', 'repodata', 'repomd.xml.asc'));
    const primary = (await readdir(join(chrootDir, 'devel', 'repodata'))).find((f) => f.endsWith('primary.xml.gz'))!;
    const { stdout } = await run('sh', ['-c', 'zcat "$1"', 'sh', join(chrootDir, 'devel', 'repodata', primary)]);
    expect(stdout).toContain(`xml:base="http://dl.example/results/bob/proj/${CHROOT}"`);
  });

  it('a new repository that names nothing is empty (devel mode creation); a full one scans the directory', async () => {
    // A devel-mode project's build can land in the chroot dir before its main repository exists.
    const develDir = join(results, 'bob', 'devproj', CHROOT);
    await placeBuild(develDir, '00000030-a1', [rpms[0]!.rpm]);
    const created = await publishRepository({ owner: 'bob', dirname: 'devproj', chroot: CHROOT }, deps);
    expect(created.createrepoRan).toBe(true);
    expect(await primaryLocations(join(develDir, 'repodata'))).toEqual([]);
    await access(join(develDir, 'repodata', 'repomd.xml.asc'));
    // Leaving devel mode asks for a full run: the main repository takes the build in.
    await publishRepository({ owner: 'bob', dirname: 'devproj', chroot: CHROOT, full: true }, deps);
    expect(await primaryLocations(join(develDir, 'repodata'))).toEqual(['00000030-a1/a1-1.0-1.noarch.rpm']);
  });
});

describe('Function: swapInRepodata', () => {
  it('moves data files before repomd.xml: a failed swap leaves the old metadata intact', async () => {
    const tmp = await makeTmp('swap');
    try {
      const live = join(tmp, 'live');
      const staged = join(tmp, 'staged');
      await mkdir(live);
      await mkdir(staged);
      const repomd = (f: string) => `<repomd><data><location href="repodata/${f}"/></data></repomd>`;
      await writeFile(join(live, 'old-primary.xml.gz'), 'old');
      await writeFile(join(live, 'repomd.xml'), repomd('old-primary.xml.gz'));
      await writeFile(join(staged, 'new-primary.xml.gz'), 'new');
      await writeFile(join(staged, 'repomd.xml'), repomd('new-primary.xml.gz'));
      // A directory in the way makes moving the data file fail.
      await mkdir(join(live, 'new-primary.xml.gz', 'blocker'), { recursive: true });
      await expect(swapInRepodata(staged, live)).rejects.toThrow();
      expect(await readFile(join(live, 'repomd.xml'), 'utf8')).toBe(repomd('old-primary.xml.gz'));
      expect(await readFile(join(live, 'old-primary.xml.gz'), 'utf8')).toBe('old');

      await removeTmp(join(live, 'new-primary.xml.gz'));
      await writeFile(join(staged, 'repomd.xml.asc'), 'sig');
      expect(await swapInRepodata(staged, live)).toEqual({ removed: ['old-primary.xml.gz'] });
      expect((await readdir(live)).sort()).toEqual(['new-primary.xml.gz', 'repomd.xml', 'repomd.xml.asc']);
    } finally {
      await removeTmp(tmp);
    }
  });
});
