import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { CountingRunner } from '../../functions/publish/process-runner.js';
import { publishRepository, type PublishDeps } from '../../functions/publish/publish-repo.js';
import { parseRepomd } from '../../functions/publish/repomd-entries.js';
import { readLayout } from '../../functions/publish/spliced-gzip.js';
import { appendPackages, makeAppendable, NotAppendable } from '../../functions/publish/repodata-append.js';
import { renderRepoFile } from '../../functions/publish/repo-file.js';
import { dnfIn } from '../e2e/dnf-support.js';
import { buildRpm, makeTmp, placeBuild, primaryLocations, removeTmp, run, serveDir } from './helpers.js';

/** dnf's $basearch for this machine, so the chroot dir matches what dnf asks for. */
async function basearch(): Promise<string> {
  const m = (await run('uname', ['-m'])).stdout.trim();
  return /^i[3-6]86$/.test(m) ? 'i386' : m;
}

/** The primary/filelists/other entries of a repodata dir, each with its file's path. */
async function metadataFiles(repodata: string) {
  const entries = parseRepomd(await readFile(join(repodata, 'repomd.xml'), 'utf8'));
  if (!entries) throw new Error('unreadable repomd.xml');
  return entries
    .filter((e) => ['primary', 'filelists', 'other'].includes(e.type))
    .map((e) => ({ ...e, path: join(repodata, e.href.slice('repodata/'.length)) }));
}

/** Every referenced file matches its checksum and size, and its `packages` count matches its entries. */
async function expectConsistent(repodata: string, packages: number): Promise<void> {
  for (const f of await metadataFiles(repodata)) {
    const raw = await readFile(f.path);
    expect(createHash('sha256').update(raw).digest('hex'), f.type).toBe(f.checksum);
    expect(raw.length).toBe(f.size);
    const xml = gunzipSync(raw).toString('utf8');
    if (f.openSize !== undefined) expect(Buffer.byteLength(xml), `${f.type} open-size`).toBe(f.openSize);
    if (f.openChecksum) expect(createHash('sha256').update(xml).digest('hex'), `${f.type} open-checksum`).toBe(f.openChecksum.value);
    expect(xml, f.type).toMatch(new RegExp(`packages="${packages}"`));
    expect(xml.match(/<package[ >]/g) ?? [], f.type).toHaveLength(packages);
    expect(xml.trimEnd()).toMatch(/<\/(metadata|filelists|otherdata)>$/);
  }
}

describe('publishing by appending to the metadata', () => {
  let tmp: string;
  let results: string;
  let chrootDir: string;
  let repodata: string;
  let signer: GpgSigner;
  let runner: CountingRunner;
  let deps: PublishDeps;
  let server: { url: string; close: () => Promise<void> };
  let reposdir: string;
  let chroot: string;
  const names = ['ap1', 'ap2', 'ap3', 'ap4', 'ap5', 'ap6', 'ap7'];
  let rpms: Map<string, { rpm: string; srpm: string }>;
  const sub = (n: string) => `0000010${names.indexOf(n)}-${n}`;
  const add = (...subs: string[]) => publishRepository({ owner: 'carol', dirname: 'proj', chroot, adds: subs }, deps);
  const lastCreaterepoArgs = () => runner.calls.filter((c) => c.name === 'createrepo_c').at(-1)?.args ?? [];

  let runDnf: ReturnType<typeof dnfIn>;
  /** dnf against only our .repo file (gpgcheck and repo_gpgcheck on), in a fresh installroot. */
  const dnf = (...args: string[]) => runDnf(reposdir, args);
  const available = async () => {
    const res = await dnf('repoquery', '--available', '--qf', '%{name}-%{version}.%{arch}');
    expect(res.ok, res.out).toBe(true);
    return res.out.split('\n').filter((l) => /^ap\d-1\.0\.(noarch|src)$/.test(l.trim())).map((l) => l.trim()).sort();
  };
  const expected = (...ns: string[]) => ns.flatMap((n) => [`${n}-1.0.noarch`, `${n}-1.0.src`]).sort();

  beforeAll(async () => {
    tmp = await makeTmp('repodata-append');
    runDnf = dnfIn(tmp, '41');
    results = join(tmp, 'results');
    chroot = `fedora-41-${await basearch()}`;
    chrootDir = join(results, 'carol', 'proj', chroot);
    repodata = join(chrootDir, 'repodata');
    signer = new GpgSigner({ keysDir: join(tmp, 'keys'), keyLength: 2048 });
    runner = new CountingRunner();
    let now = 1_700_000_000_000;
    deps = { resultsDir: results, signer, run: runner, clock: { now: () => (now += 1000) }, resultsBaseUrl: 'http://dl.example/results' };
    server = await serveDir(tmp);
    reposdir = join(tmp, 'yum.repos.d');
    await mkdir(reposdir);
    await writeFile(
      join(reposdir, 'carol-proj.repo'),
      renderRepoFile({ frontendHost: '127.0.0.1', target: { owner: 'carol', dirname: 'proj', repoUrl: `${server.url}/results/carol/proj` }, chroot, gpgcheck: 1, repoGpgcheck: 1 }),
    );
    rpms = new Map(await Promise.all(names.map(async (n) => [n, await buildRpm(tmp, n)] as const)));
    for (const n of names) await placeBuild(chrootDir, sub(n), [rpms.get(n)!.rpm, rpms.get(n)!.srpm]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await signer?.close();
    if (tmp) await removeTmp(tmp);
  });

  it('the first publish runs createrepo_c and leaves metadata in the appendable layout, unchanged in content', async () => {
    const out = await add(sub('ap1'));
    expect(out.createrepoRan).toBe(true);
    expect(lastCreaterepoArgs()).not.toContain('--update');
    for (const f of await metadataFiles(repodata)) {
      const layout = await readLayout(f.path);
      expect(layout, f.type).not.toBeNull();
      expect(layout?.packages).toBe(2);
      expect(f.openChecksum, 'createrepo_c wrote open-checksum; the conversion keeps it valid').toBeDefined();
    }
    await expectConsistent(repodata, 2);
    expect(await available()).toEqual(expected('ap1'));
  }, 120_000);

  it('successive adds append: createrepo_c reads only the new packages, dnf sees and installs them', async () => {
    for (const [i, n] of ['ap2', 'ap3', 'ap4'].entries()) {
      const out = await add(sub(n));
      expect(out.createrepoRan).toBe(true);
      const args = lastCreaterepoArgs();
      expect(args).not.toContain('--update');
      expect(args).toContain('--pkglist');
      await expectConsistent(repodata, 2 * (i + 2));
      for (const f of await metadataFiles(repodata)) expect(f.openChecksum, f.type).toBeUndefined();
    }
    // Only live metadata is left in repodata/.
    const refs = (await metadataFiles(repodata)).map((f) => f.href.slice('repodata/'.length));
    expect((await readdir(repodata)).sort()).toEqual([...refs, 'index.html', 'repomd.xml', 'repomd.xml.asc'].sort());
    expect(await primaryLocations(repodata)).toEqual(['ap1', 'ap2', 'ap3', 'ap4'].flatMap((n) => [`${sub(n)}/${n}-1.0-1.noarch.rpm`, `${sub(n)}/${n}-1.0-1.src.rpm`]).sort());
    expect(await available()).toEqual(expected('ap1', 'ap2', 'ap3', 'ap4'));
    const res = await dnf('install', 'ap3');
    expect(res.ok, res.out).toBe(true);
    const { stdout } = await run('sh', [join(res.root, 'usr', 'bin', 'ap3')]);
    expect(stdout.trim()).toBe('ap3 1.0 from copr');
  }, 240_000);

  it('adding what the metadata lists already changes nothing; a mixed request appends only the new build', async () => {
    const before = await readFile(join(repodata, 'repomd.xml'), 'utf8');
    const runs = runner.count('createrepo_c');
    const again = await add(sub('ap2'), sub('ap4'));
    expect(again.createrepoRan).toBe(false);
    expect(runner.count('createrepo_c')).toBe(runs);
    expect(await readFile(join(repodata, 'repomd.xml'), 'utf8')).toBe(before);

    await add(sub('ap3'), sub('ap5'));
    await expectConsistent(repodata, 10);
    expect(await available()).toEqual(expected('ap1', 'ap2', 'ap3', 'ap4', 'ap5'));
  }, 120_000);

  it('createrepo_c --update --recycle-pkglist reads an appended repository', async () => {
    const copy = join(tmp, 'update-copy');
    await cp(chrootDir, copy, { recursive: true });
    await writeFile(join(tmp, 'pkglist-ap6'), `${sub('ap6')}/ap6-1.0-1.noarch.rpm\n`);
    await run('createrepo_c', [copy, '--no-database', '--update', '--skip-stat', '--recycle-pkglist', '--pkglist', join(tmp, 'pkglist-ap6'), '--general-compress-type=gz']);
    const locations = await primaryLocations(join(copy, 'repodata'));
    expect(locations).toEqual([...(await primaryLocations(repodata)), `${sub('ap6')}/ap6-1.0-1.noarch.rpm`].sort());
    expect(locations).toHaveLength(11);
  }, 60_000);

  it('a delete after appends goes through createrepo_c and yields correct metadata, appendable again', async () => {
    const out = await publishRepository({ owner: 'carol', dirname: 'proj', chroot, deletes: [sub('ap2')] }, deps);
    expect(out.removed).toEqual([sub('ap2')]);
    const args = lastCreaterepoArgs();
    expect(args).toEqual(expect.arrayContaining(['--update', '--excludes', `*${sub('ap2')}/*`]));
    await expectConsistent(repodata, 8);
    for (const f of await metadataFiles(repodata)) expect(await readLayout(f.path), f.type).not.toBeNull();
    expect(await available()).toEqual(expected('ap1', 'ap3', 'ap4', 'ap5'));

    await add(sub('ap6'));
    expect(lastCreaterepoArgs()).not.toContain('--update');
    await expectConsistent(repodata, 10);
    expect(await available()).toEqual(expected('ap1', 'ap3', 'ap4', 'ap5', 'ap6'));
  }, 180_000);

  it('metadata written by createrepo_c alone (published before the layout existed) is taken apart once, then appended to', async () => {
    // As an older publisher left it: createrepo_c's own single-member files.
    await writeFile(join(tmp, 'pkglist-none'), '');
    await run('createrepo_c', [chrootDir, '--no-database', '--update', '--skip-stat', '--recycle-pkglist', '--pkglist', join(tmp, 'pkglist-none'), '--general-compress-type=gz']);
    for (const f of await metadataFiles(repodata)) expect(await readLayout(f.path)).toBeNull();
    await add(sub('ap7'));
    expect(lastCreaterepoArgs()).not.toContain('--update');
    await expectConsistent(repodata, 12);
    for (const f of await metadataFiles(repodata)) expect(await readLayout(f.path), f.type).not.toBeNull();
    expect(await available()).toEqual(expected('ap1', 'ap3', 'ap4', 'ap5', 'ap6', 'ap7'));
  }, 120_000);

  it('the devel repository appends entries with its absolute package URLs', async () => {
    const devel = (subs: string[]) => publishRepository({ owner: 'carol', dirname: 'proj', chroot, adds: subs, devel: true }, deps);
    await devel([sub('ap1')]);
    await devel([sub('ap3')]);
    expect(lastCreaterepoArgs()).not.toContain('--update');
    const develRepodata = join(chrootDir, 'devel', 'repodata');
    await expectConsistent(develRepodata, 4);
    const primary = (await metadataFiles(develRepodata)).find((f) => f.type === 'primary')!;
    const xml = gunzipSync(await readFile(primary.path)).toString('utf8');
    expect(xml.match(new RegExp(`xml:base="http://dl.example/results/carol/proj/${chroot}"`, 'g'))).toHaveLength(4);
  }, 120_000);
});

describe('appending many times', () => {
  it('recompresses the body now and then, so the file does not keep a gzip member per add', async () => {
    const tmp = await makeTmp('append-compact');
    try {
      const { rpm } = await buildRpm(tmp, 'many');
      // A base repository of 200 copies of one package (distinct locations), and a scratch
      // repository of one more, as createrepo_c writes them.
      const base = join(tmp, 'base');
      for (let i = 0; i < 200; i++) await placeBuild(base, `d${i}`, [rpm]);
      await run('createrepo_c', [base, '--no-database', '--general-compress-type=gz']);
      expect(await makeAppendable(join(base, 'repodata'))).toBe(true);
      const one = join(tmp, 'one');
      await placeBuild(one, 'x', [rpm]);
      await run('createrepo_c', [one, '--no-database', '--general-compress-type=gz']);

      let live = join(base, 'repodata');
      let appends = 0;
      let recompressions = 0;
      for (let i = 1; i <= 40; i++) {
        const out = join(tmp, `gen-${i}`);
        await mkdir(out);
        await appendPackages({ liveDir: live, addedDir: join(one, 'repodata'), outDir: out, nowSec: 1_700_000_000 + i });
        live = out;
        const primary = (await metadataFiles(live)).find((f) => f.type === 'primary')!;
        const layout = await readLayout(primary.path);
        expect(layout?.packages).toBe(200 + i);
        if (layout!.appended === 0) recompressions += 1;
        else appends += 1;
        expect(layout!.appended).toBeLessThanOrEqual((layout!.size - layout!.headerLength - layout!.footerLength) / 4);
      }
      expect(appends).toBeGreaterThan(0);
      expect(recompressions).toBeGreaterThan(0);
      await expectConsistent(live, 240);
    } finally {
      await removeTmp(tmp);
    }
  }, 180_000);
});

describe('metadata the append does not understand', () => {
  it('goes to createrepo_c, which rewrites it; the file layout is then appendable', async () => {
    const tmp = await makeTmp('append-odd');
    const signer = new GpgSigner({ keysDir: join(tmp, 'keys'), keyLength: 2048 });
    try {
      const results = join(tmp, 'results');
      const chrootDir = join(results, 'erin', 'p', 'fedora-41-x86_64');
      const repodata = join(chrootDir, 'repodata');
      const runner = new CountingRunner();
      const deps: PublishDeps = { resultsDir: results, signer, run: runner, clock: { now: () => Date.now() } };
      const [one, two] = await Promise.all([buildRpm(tmp, 'oddone'), buildRpm(tmp, 'oddtwo')]);
      await placeBuild(chrootDir, '00000301-oddone', [one.rpm]);
      await placeBuild(chrootDir, '00000302-oddtwo', [two.rpm]);
      await publishRepository({ owner: 'erin', dirname: 'p', chroot: 'fedora-41-x86_64', adds: ['00000301-oddone'] }, deps);

      // Another tool's primary: one gzip member, and a root element without a `packages` count.
      const files = await metadataFiles(repodata);
      const primary = files.find((f) => f.type === 'primary')!;
      const xml = gunzipSync(await readFile(primary.path)).toString('utf8').replace(/ packages="\d+"/, '');
      const odd = gzipSync(xml);
      const sum = createHash('sha256').update(odd).digest('hex');
      await writeFile(join(repodata, `${sum}-primary.xml.gz`), odd);
      const repomd = await readFile(join(repodata, 'repomd.xml'), 'utf8');
      await writeFile(join(repodata, 'repomd.xml'), repomd.replaceAll(primary.checksum, sum).replace(`<size>${primary.size}</size>`, `<size>${odd.length}</size>`));
      const before = (await readdir(repodata)).sort();
      await expect(makeAppendable(repodata)).rejects.toBeInstanceOf(NotAppendable);
      expect((await readdir(repodata)).sort()).toEqual(before);

      await publishRepository({ owner: 'erin', dirname: 'p', chroot: 'fedora-41-x86_64', adds: ['00000302-oddtwo'] }, deps);
      expect(runner.calls.filter((c) => c.name === 'createrepo_c').at(-1)?.args).toContain('--update');
      await expectConsistent(repodata, 2);
      for (const f of await metadataFiles(repodata)) expect(await readLayout(f.path), f.type).not.toBeNull();
      expect(await primaryLocations(repodata)).toEqual(['00000301-oddone/oddone-1.0-1.noarch.rpm', '00000302-oddtwo/oddtwo-1.0-1.noarch.rpm']);
    } finally {
      await signer.close();
      await removeTmp(tmp);
    }
  }, 120_000);
});
