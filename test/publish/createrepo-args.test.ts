import { describe, expect, it } from 'vitest';
import { createrepoArgs, type CreaterepoPlan } from '../../functions/publish/createrepo.js';

const base: CreaterepoPlan = {
  chrootDir: '/r/alice/proj/fedora-41-x86_64',
  chroot: 'fedora-41-x86_64',
  owner: 'alice',
  dirname: 'proj',
  adds: [],
  deletes: [],
  full: false,
  devel: false,
  repodataExists: true,
  compsExists: false,
  resultsBaseUrl: 'https://download.example.org/results',
};
const FIXED = [
  '/r/alice/proj/fedora-41-x86_64',
  '--no-database', '--ignore-lock', '--local-sqlite', '--cachedir', '/tmp/', '--workers', '8', '--general-compress-type=gz',
];

describe('createrepoArgs', () => {
  it('adds to an existing repo: --update, --skip-stat, --recycle-pkglist and a pkglist', () => {
    expect(createrepoArgs({ ...base, adds: ['00000012-hello'] })).toEqual([
      ...FIXED, '--update', '--skip-stat', '--recycle-pkglist', '--pkglist', '/r/alice/proj/fedora-41-x86_64/.copr-createrepo-pkglist',
    ]);
  });

  it('deletes become --excludes globs', () => {
    expect(createrepoArgs({ ...base, deletes: ['00000003-a', '00000004-b'], rpmsToRemove: ['00000005-c/c.rpm'] })).toEqual([
      ...FIXED, '--update', '--skip-stat', '--recycle-pkglist',
      '--excludes', '*00000003-a/*', '--excludes', '*00000004-b/*', '--excludes', '00000005-c/c.rpm',
    ]);
  });

  it('full run: no --recycle-pkglist and no pkglist (the directory is scanned)', () => {
    expect(createrepoArgs({ ...base, full: true, adds: ['00000012-hello'] })).toEqual([...FIXED, '--update', '--skip-stat']);
  });

  it('first run (no repodata): an empty pkglist without adds, only the adds with them; a scan when full or only removing', () => {
    expect(createrepoArgs({ ...base, repodataExists: false, pkglistPath: '/s/pl' })).toEqual([...FIXED, '--pkglist', '/s/pl']);
    expect(createrepoArgs({ ...base, repodataExists: false, full: true })).toEqual(FIXED);
    expect(createrepoArgs({ ...base, repodataExists: false, deletes: ['00000002-y'] })).toEqual([...FIXED, '--excludes', '*00000002-y/*']);
    expect(createrepoArgs({ ...base, repodataExists: false, adds: ['00000001-x'], pkglistPath: '/s/pl' })).toEqual([...FIXED, '--pkglist', '/s/pl']);
  });

  it('--do-stat drops --skip-stat', () => {
    expect(createrepoArgs({ ...base, adds: ['1-a'], doStat: true, pkglistPath: '/s/pl' })).toEqual([
      ...FIXED, '--update', '--recycle-pkglist', '--pkglist', '/s/pl',
    ]);
  });

  it('is skipped with nothing to add or delete on an existing repo', () => {
    expect(createrepoArgs(base)).toBeNull();
  });

  it('epel-5 gets sha/md5 checksums, comps.xml a --groupfile', () => {
    const args = createrepoArgs({ ...base, chroot: 'epel-5-x86_64', chrootDir: '/r/a/p/epel-5-x86_64', compsExists: true, full: true });
    expect(args).toEqual([
      '/r/a/p/epel-5-x86_64', ...FIXED.slice(1), '-s', 'sha', '--checksum', 'md5',
      '--groupfile', '/r/a/p/epel-5-x86_64/comps.xml', '--update', '--skip-stat',
    ]);
    expect(createrepoArgs({ ...base, chroot: 'epel-9-x86_64', full: true })).not.toContain('--checksum');
  });

  it('devel mode writes to devel/ with absolute package URLs', () => {
    expect(createrepoArgs({ ...base, devel: true, adds: ['1-a'] })).toEqual([
      ...FIXED, '--update', '--skip-stat', '--recycle-pkglist',
      '--pkglist', '/r/alice/proj/fedora-41-x86_64/.copr-createrepo-pkglist',
      '--outputdir', '/r/alice/proj/fedora-41-x86_64/devel',
      '--baseurl', 'https://download.example.org/results/alice/proj/fedora-41-x86_64',
    ]);
  });

  it('a staging output dir replaces the default output location', () => {
    expect(createrepoArgs({ ...base, adds: ['1-a'], outputDir: '/stage', pkglistPath: '/stage/pl' })?.slice(-4)).toEqual([
      '--pkglist', '/stage/pl', '--outputdir', '/stage',
    ]);
    expect(createrepoArgs({ ...base, devel: true, full: true, outputDir: '/stage' })?.slice(-4)).toEqual([
      '--outputdir', '/stage', '--baseurl', 'https://download.example.org/results/alice/proj/fedora-41-x86_64',
    ]);
  });
});
