// Command lines the sandboxes build (mock cannot run here, so its argv is the contract) and
// the chroot → dist/target mapping.
import { describe, expect, it } from 'vitest';
import { distroMacros, parseChroot, rpmTarget } from '../../builder-ami/agent/chroot.js';
import type { RebuildRequest } from '../../builder-ami/agent/sandbox.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';
import { createMockSandbox } from '../../builder-ami/agent/sandbox-mock.js';

const rebuild: RebuildRequest = {
  workDir: '/w',
  srpm: '/w/in/foo-1-1.src.rpm',
  chroot: 'epel-9-aarch64',
  target: 'aarch64',
  outDir: '/w/out',
  defines: { dist: '.el9', copr_username: '@grp', buildtag: '.copr5' },
  withOpts: ['tests'],
  withoutOpts: ['docs'],
  enableNet: true,
  repos: [{ id: 'copr_base', name: 'Copr repository', baseurl: 'https://example.test/results/o/p/epel-9-aarch64/' }],
  buildrootPkgs: ['gcc', 'make'],
};

describe('mock sandbox', () => {
  const mock = createMockSandbox({ extraArgs: ['--isolation=simple'] });

  it('rebuilds with the chroot config, macros, options, repos and packages', () => {
    expect(mock.rebuildArgv(rebuild)).toEqual([
      'mock', '-r', 'epel-9-aarch64', '--isolation=simple', '--rebuild', '/w/in/foo-1-1.src.rpm', '--resultdir', '/w/out',
      '--define', 'dist .el9', '--define', 'copr_username @grp', '--define', 'buildtag .copr5',
      '--with=tests', '--without=docs',
      '--addrepo=https://example.test/results/o/p/epel-9-aarch64/',
      '--additional-package=gcc', '--additional-package=make',
      '--enable-network',
    ]);
  });

  it('builds SRPMs with the default config and no network unless asked', () => {
    expect(mock.buildSrpmArgv({ workDir: '/w', spec: '/w/s/x.spec', sourceDir: '/w/s', outDir: '/w/o', enableNet: false, defines: { dist: '%{nil}' } })).toEqual([
      'mock', '-r', '/etc/mock/default.cfg', '--isolation=simple', '--buildsrpm', '--spec', '/w/s/x.spec', '--sources', '/w/s',
      '--resultdir', '/w/o', '--define', 'dist %{nil}',
    ]);
  });

  it('runs commands in the chroot with the work dir bind-mounted', () => {
    const argv = mock.commandArgv({ argv: ['bash', '/w/script'], cwd: '/w/r', workDir: '/w', enableNet: true, chroot: 'fedora-41-x86_64', env: { COPR_PACKAGE: 'foo' } });
    expect(argv).toEqual([
      'mock', '-r', 'fedora-41-x86_64', '--isolation=simple', '--plugin-option=bind_mount:dirs=[("/w", "/w")]', '--enable-network',
      '--cwd', '/w/r', '--chroot', '--', 'env', 'COPR_PACKAGE=foo', 'bash', '/w/script',
    ]);
  });
});

describe('bwrap sandbox', () => {
  const bwrap = createBwrapSandbox();

  it('keeps the host read-only, the work dir writable and the network off by default', () => {
    const argv = bwrap.rebuildArgv({ ...rebuild, enableNet: false });
    const sep = argv.indexOf('--');
    const prefix = argv.slice(0, sep);
    expect(prefix).toEqual(expect.arrayContaining(['--ro-bind', '/', '--unshare-all', '--die-with-parent']));
    expect(prefix.join(' ')).toContain('--bind /w /w');
    expect(prefix).not.toContain('--share-net');
    expect(argv.slice(sep + 1, sep + 6)).toEqual(['rpmbuild', '-ra', '--nodeps', '--target', 'aarch64']);
    expect(argv.join(' ')).toContain('--with tests --without docs /w/in/foo-1-1.src.rpm');
    expect(argv).toContain('_topdir /w/out/rpmbuild');
  });

  it('shares the network when the project enables it', () => {
    expect(bwrap.rebuildArgv(rebuild)).toContain('--share-net');
  });
});

describe('chroots', () => {
  it('parses names from the right', () => {
    expect(parseChroot('centos-stream-10-ppc64le')).toEqual({ nameRelease: 'centos-stream-10', osRelease: 'centos-stream', osVersion: '10', arch: 'ppc64le' });
    expect(() => parseChroot('fedora')).toThrow(/not a chroot name/);
  });

  it.each([
    ['fedora-41', { dist: '.fc41', fedora: '41' }],
    ['fedora-rawhide', { dist: '.fc44', fedora: '44' }],
    ['epel-9', { dist: '.el9', rhel: '9', el: '9' }],
    ['centos-stream-10', { dist: '.el10', rhel: '10', el: '10' }],
    ['opensuse-tumbleweed', { dist: '%{nil}' }],
  ])('%s has macros %o', (nameRelease, macros) => {
    expect(distroMacros(nameRelease)).toEqual(macros);
  });

  it('lets rawhide move', () => {
    expect(distroMacros('fedora-rawhide', { rawhideVersion: 45 }).dist).toBe('.fc45');
  });

  it('builds i686 packages for i386 chroots', () => {
    expect(rpmTarget('i386')).toBe('i686');
    expect(rpmTarget('x86_64')).toBe('x86_64');
  });
});
