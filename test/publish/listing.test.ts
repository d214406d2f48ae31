import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIndexHtml, renderIndexHtml, spliceIndexHtml, type ListingEntry, writeListings, writeListingsTree } from '../../functions/publish/listing.js';
import { listFiles, makeTmp, removeTmp, run, serveDir } from './helpers.js';

describe('renderIndexHtml', () => {
  it('escapes names, encodes links, marks directories, shows size and mtime', () => {
    const html = renderIndexHtml('/a/<b>/', [
      { name: 'x<y>&"z".rpm', isDir: false, size: 2048, mtimeMs: Date.UTC(2026, 0, 2, 3, 4, 5) },
      { name: 'proj:pr:1', isDir: true, size: 0, mtimeMs: 0 },
    ]);
    expect(html).toContain('<title>Index of /a/&#60;b&#62;/</title>');
    expect(html).toContain('<a href="x%3Cy%3E%26%22z%22.rpm">x&#60;y&#62;&#38;&#34;z&#34;.rpm</a>');
    expect(html).toContain('<td>2026-01-02 03:04:05</td>');
    expect(html).toContain('2.0 KiB');
    expect(html).toContain('title="2048 bytes"');
    // Directories first, with a trailing slash; a colon never starts a link (it would read as a scheme).
    expect(html.indexOf('proj%3Apr%3A1/')).toBeLessThan(html.indexOf('x%3Cy'));
    expect(html).not.toMatch(/href="[^"]*:/);
    expect(html).toContain('<a href="../">../</a>');
  });
});

describe('parseIndexHtml', () => {
  it('reads back the entries renderIndexHtml wrote (names, kinds, sizes, times), without the parent link', () => {
    const entries = [
      { name: 'proj:pr:1', isDir: true, size: 0, mtimeMs: Date.UTC(2026, 4, 6, 7, 8, 9) },
      { name: 'x<y>&"z" 1.rpm', isDir: false, size: 2048, mtimeMs: Date.UTC(2026, 0, 2, 3, 4, 5) },
      { name: 'pubkey.gpg', isDir: false, size: 1, mtimeMs: 0 },
    ];
    const parsed = parseIndexHtml(renderIndexHtml('/a/', entries));
    expect(parsed.sort((a, b) => a.name.localeCompare(b.name))).toEqual([...entries].sort((a, b) => a.name.localeCompare(b.name)));
    expect(parseIndexHtml('<html>not a listing</html>')).toEqual([]);
  });
});

describe('spliceIndexHtml', () => {
  it('gives the page renderIndexHtml gives for the changed entries: adds in order, replacements, removals', () => {
    const at = (i: number) => Date.UTC(2026, 0, 1, 0, 0, i);
    const dir = (name: string, i: number): ListingEntry => ({ name, isDir: true, size: 0, mtimeMs: at(i) });
    const file = (name: string, size: number, i: number): ListingEntry => ({ name, isDir: false, size, mtimeMs: at(i) });
    const before = [dir('00000002-b', 1), dir('00000004-d', 2), dir('repodata', 3), file('index.txt', 5, 4), file('pubkey.gpg', 9, 5)];
    const change = {
      // first, middle and last of the dirs; a file among files; a replaced dir and file
      add: [dir('00000001-a', 6), dir('00000003-c', 7), dir('zzz', 8), file('comps.xml', 3, 9), dir('repodata', 10), file('pubkey.gpg', 12, 11)],
      remove: ['00000004-d', 'index.txt', 'not-listed'],
    };
    const after = new Map(before.map((e) => [e.name, e]));
    for (const n of change.remove) after.delete(n);
    for (const e of change.add) after.set(e.name, e);
    const old = renderIndexHtml('/o/p/c/', before);
    expect(spliceIndexHtml(old, '/o/p/c/', change)).toBe(renderIndexHtml('/o/p/c/', [...after.values()]));
    expect(spliceIndexHtml(old, '/o/p/c/', { add: [], remove: [] }, { parentLink: false })).toBe(renderIndexHtml('/o/p/c/', before, { parentLink: false }));
    // Names that need escaping survive the round trip.
    const odd = renderIndexHtml('/a/', [file('x<y>&"z" 1.rpm', 1, 1), dir('proj:pr:1', 2)]);
    expect(spliceIndexHtml(odd, '/a/', { add: [file('b.rpm', 2, 3)], remove: [] })).toBe(
      renderIndexHtml('/a/', [file('x<y>&"z" 1.rpm', 1, 1), dir('proj:pr:1', 2), file('b.rpm', 2, 3)]),
    );
  });
});

describe('writeListings', () => {
  let tmp: string;
  let server: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    tmp = await makeTmp('listing');
    server = await serveDir(tmp);
  });
  afterAll(async () => {
    await server?.close();
    if (tmp) await removeTmp(tmp);
  });

  it('writes index.html from the changed dir up to <owner>/<dirname>, not above', async () => {
    const results = join(tmp, 'r1');
    const build = join(results, 'alice', 'proj', 'fedora-41-x86_64', '00000001-hello');
    await mkdir(build, { recursive: true });
    await writeFile(join(build, 'hello.rpm'), 'x');
    await writeListings(results, 'alice/proj/fedora-41-x86_64/00000001-hello');
    for (const d of ['alice/proj', 'alice/proj/fedora-41-x86_64', 'alice/proj/fedora-41-x86_64/00000001-hello']) {
      await access(join(results, d, 'index.html'));
    }
    await expect(access(join(results, 'alice', 'index.html'))).rejects.toThrow();
    expect(await readFile(join(build, 'index.html'), 'utf8')).toContain('href="hello.rpm"');
    await expect(writeListings(results, 'alice/../..')).rejects.toThrow();
    await expect(writeListings(results, 'alice')).rejects.toThrow();
  });

  it('is walkable by wget -r --no-parent: every file is reachable', async () => {
    const results = join(tmp, 'results');
    const chroot = join(results, '@grp', 'proj:pr:1', 'epel-9-x86_64');
    const files: Record<string, string> = {
      '00000007-hello/hello-1.0-1.noarch.rpm': 'rpm',
      '00000007-hello/builder-live.log.gz': 'log',
      '00000007-hello/fedora-review/review & notes <1>.txt': 'review',
      '00000007-hello/with space.json': '{}',
      'repodata/repomd.xml': '<repomd/>',
    };
    for (const [rel, body] of Object.entries(files)) {
      await mkdir(join(chroot, rel, '..'), { recursive: true });
      await writeFile(join(chroot, rel), body);
    }
    await writeFile(join(results, '@grp', 'proj:pr:1', 'pubkey.gpg'), 'key');
    await writeFile(join(chroot, '.copr-createrepo-pkglist'), 'hidden');
    await writeListingsTree(results, '@grp/proj:pr:1/epel-9-x86_64/00000007-hello');
    await writeListings(results, '@grp/proj:pr:1/epel-9-x86_64/repodata');

    const out = join(tmp, 'wget');
    await run('wget', [
      '-r', '--no-parent', '-nH', '-e', 'robots=off', '--no-verbose', '--restrict-file-names=nocontrol',
      '-P', out, `${server.url}/results/%40grp/proj%3Apr%3A1/`,
    ]);
    const got = (await listFiles(join(out, 'results'))).filter((f) => !f.endsWith('index.html'));
    const want = [
      '@grp/proj:pr:1/pubkey.gpg',
      ...Object.keys(files).map((f) => `@grp/proj:pr:1/epel-9-x86_64/${f}`),
    ].sort();
    expect(got).toEqual(want);
  });
});

describe('writeListings from the previous listings', () => {
  it('updates parents from their index.html: new and touched names are read, vanished ones leave, others stay as listed', async () => {
    const tmp = await makeTmp('listing-touched');
    try {
      const chroot = join(tmp, 'o', 'p', 'fedora-41-x86_64');
      for (const d of ['00000001-a', '00000002-b', 'repodata']) await mkdir(join(chroot, d), { recursive: true });
      await writeFile(join(chroot, 'repodata', 'repomd.xml'), 'one');
      await writeListings(tmp, 'o/p/fedora-41-x86_64/repodata', { touched: [] });
      const names = async (rel: string) => parseIndexHtml(await readFile(join(tmp, rel, 'index.html'), 'utf8')).map((e) => e.name).sort();
      expect(await names('o/p/fedora-41-x86_64')).toEqual(['00000001-a', '00000002-b', 'repodata']);

      // A listed entry that is not touched keeps what the old listing said (no stat): mark it.
      const index = join(chroot, 'index.html');
      await writeFile(index, (await readFile(index, 'utf8')).replace(/(href="00000002-b\/">00000002-b\/<\/a><\/td><td>)[^<]*/, '$12001-01-01 00:00:00'));
      // A build dir that appeared without a publish of its own, one that went, one this run added.
      await mkdir(join(chroot, '00000003-c'));
      await mkdir(join(chroot, '00000004-d'));
      await removeTmp(join(chroot, '00000001-a'));
      await writeFile(join(chroot, 'repodata', 'repomd.xml'), 'two, longer');
      await writeListings(tmp, 'o/p/fedora-41-x86_64/repodata', { touched: ['00000004-d'] });
      expect(await names('o/p/fedora-41-x86_64')).toEqual(['00000002-b', '00000003-c', '00000004-d', 'repodata']);
      const entries = parseIndexHtml(await readFile(index, 'utf8'));
      expect(entries.find((e) => e.name === '00000002-b')?.mtimeMs).toBe(Date.UTC(2001, 0, 1));
      expect(entries.find((e) => e.name === '00000004-d')?.mtimeMs).toBeGreaterThan(Date.UTC(2020, 0, 1));
      // The dir named by the caller is listed whole: repomd.xml's new size shows.
      const repodata = parseIndexHtml(await readFile(join(chroot, 'repodata', 'index.html'), 'utf8'));
      expect(repodata.find((e) => e.name === 'repomd.xml')?.size).toBe('two, longer'.length);
    } finally {
      await removeTmp(tmp);
    }
  });
});
