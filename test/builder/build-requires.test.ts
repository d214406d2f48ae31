import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirementName, unmetMessage } from '../../builder-ami/agent/build-requires.js';
import { readCpioHeads } from '../../builder-ami/agent/cpio-reader.js';
import { hostSatisfies } from '../../builder-ami/agent/host-tools.js';
import { removeDir, tempDir } from './helpers.js';

describe('BuildRequires on the host', () => {
  const present = new Set(['/usr/bin/gcc', '/usr/bin/make', '/usr/share/pkgconfig/zlib.pc', '/usr/bin/xsltproc']);
  const exists = (p: string): boolean => present.has(p);

  it('maps only listed tools, and only when the host has them', () => {
    expect(hostSatisfies('gcc', exists)).toEqual({ how: 'host tool /usr/bin/gcc' });
    expect(hostSatisfies('gcc-c++', exists)).toBeNull();
    expect(hostSatisfies('libfoo-devel', exists)).toBeNull();
    expect(hostSatisfies('redhat-rpm-config', exists)).toEqual({ how: 'provided by the local builder (Fedora-like macros)' });
  });

  it('accepts file and pkgconfig() requirements the host has', () => {
    expect(hostSatisfies('/usr/bin/xsltproc', exists)).toEqual({ how: 'host file /usr/bin/xsltproc' });
    expect(hostSatisfies('/usr/bin/nope', exists)).toBeNull();
    expect(hostSatisfies('pkgconfig(zlib)', exists)).toEqual({ how: 'host pkg-config file /usr/share/pkgconfig/zlib.pc' });
    expect(hostSatisfies('pkgconfig(gtk4)', exists)).toBeNull();
  });

  it('names requirements without their version and words unmet ones as mock does', () => {
    expect(requirementName('dep-a >= 1.0')).toBe('dep-a');
    expect(requirementName('(foo or bar)')).toBe('(foo or bar)');
    expect(unmetMessage(['foo', 'bar > 2'])).toBe("No matching package to install: 'foo'\nNo matching package to install: 'bar > 2'");
  });
});

describe('cpio walker', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('cpio');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'usr/bin'), { recursive: true });
    writeFileSync(join(tree, 'usr/bin/tool'), 'x'.repeat(5));
    writeFileSync(join(tree, 'usr/bin/empty'), '');
    writeFileSync(join(tree, 'big'), Buffer.alloc(100_000, 7));
    symlinkSync('/etc/shadow', join(tree, 'usr/bin/link'));
    for (const [format, name] of [['newc', 'a.cpio'], ['odc', 'old.cpio']]) {
      execFileSync('bash', ['-c', `find . | LC_ALL=C sort | cpio -o --quiet -H ${format} > ../${name}`], { cwd: tree });
    }
  });
  afterAll(() => removeDir(dir));

  it('lists regular files with their first bytes; directories, symlinks and empty files are skipped', async () => {
    const heads = await readCpioHeads(join(dir, 'a.cpio'), 4);
    expect(heads.map((h) => [h.name, h.size, h.head.toString('latin1')])).toEqual([
      ['big', 100_000, '\x07\x07\x07\x07'],
      ['usr/bin/tool', 5, 'xxxx'],
    ]);
  });

  it('refuses a format it does not read', async () => {
    await expect(readCpioHeads(join(dir, 'old.cpio'), 4)).rejects.toThrow(/unsupported cpio format/);
  });
});
