// Command lines the sandboxes build (mock cannot run here, so its argv is the contract) and
// the chroot → dist/target mapping.
import { describe, expect, it } from 'vitest';
import { distroMacros, parseChroot, rpmTarget } from '../../builder-ami/agent/chroot.js';
import type { RebuildRequest } from '../../builder-ami/agent/sandbox.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';
import type { HostEntry } from '../../builder-ami/agent/sandbox-bwrap-binds.js';
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
      '--cwd', '/w/r', '--unpriv', '--chroot', '--', 'env', 'COPR_PACKAGE=foo', 'bash', '/w/script',
    ]);
  });
});

describe('bwrap sandbox', () => {
  // A fixed host layout: merged /usr, a real /etc/passwd, no /lib32.
  const layout: Record<string, HostEntry> = {
    '/usr': { kind: 'dir' },
    '/bin': { kind: 'symlink', target: 'usr/bin' },
    '/lib': { kind: 'symlink', target: 'usr/lib' },
    '/etc/passwd': { kind: 'file' },
    '/etc/os-release': { kind: 'symlink', target: '../usr/lib/os-release' },
  };
  const bwrap = createBwrapSandbox({ probe: (path) => layout[path] ?? { kind: 'missing' } });

  it('binds an allowlist of the host read-only, never /, and the work dir writable', () => {
    const argv = bwrap.rebuildArgv({ ...rebuild, enableNet: false });
    const sep = argv.indexOf('--');
    const prefix = argv.slice(0, sep);
    expect(argv[0]).toBe('bwrap');
    const joined = prefix.join(' ');
    expect(joined).toContain('--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib');
    expect(joined).toContain('--ro-bind /etc/passwd /etc/passwd --symlink ../usr/lib/os-release /etc/os-release');
    expect(joined).not.toMatch(/--ro-bind \/ \//);
    expect(joined).not.toContain('/etc/shadow');
    expect(joined).toContain('--tmpfs /tmp --tmpfs /var/tmp --tmpfs /home --dir /home/builder --bind /w /w --remount-ro /');
    expect(prefix).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']));
    expect(joined).toContain('--cap-drop ALL');
    expect(joined).toContain('--setenv HOME /home/builder');
    expect(prefix).not.toContain('--share-net');
    expect(argv.slice(sep + 1, sep + 6)).toEqual(['rpmbuild', '-ra', '--nodeps', '--target', 'aarch64']);
    expect(argv.join(' ')).toContain('--with tests --without docs /w/in/foo-1-1.src.rpm');
    expect(argv).toContain('_topdir /w/out/rpmbuild');
  });

  it('gives a network-enabled build its own namespace behind slirp4netns, not the host network', () => {
    const argv = bwrap.rebuildArgv(rebuild);
    expect(argv.slice(0, 2)).toEqual(['bash', '-c']);
    expect(argv[2]).toContain('slirp4netns --configure --mtu=65520 --disable-host-loopback');
    const inner = argv.slice(argv.indexOf('bwrap'));
    expect(inner).not.toContain('--share-net');
    expect(inner).toContain('--unshare-all');
    expect(inner.join(' ')).toContain('--info-fd 3 --ro-bind-data 5 /etc/resolv.conf --remount-ro /');
    expect(inner.join(' ')).toContain('-- /bin/sh -c');
    // The build's own command runs once the launcher has wired the network.
    expect(inner.join(' ')).toContain('copr-net-wait rpmbuild -ra --nodeps --target aarch64');
  });

  it('passes only the requested environment to commands', () => {
    const argv = bwrap.commandArgv({ argv: ['make', 'srpm'], cwd: '/w/r', workDir: '/w', enableNet: false, chroot: null, env: { COPR_PACKAGE: 'foo' } });
    const joined = argv.join(' ');
    expect(joined).toContain('--clearenv');
    expect(joined).toContain('--setenv COPR_PACKAGE foo -- make srpm');
    expect(joined).toContain('--chdir /w/r');
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
