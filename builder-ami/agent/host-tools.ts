// The explicit list of BuildRequires a local (bwrap) build satisfies with the Debian
// host's own tools, because no Fedora repository is reachable here. Each entry names the
// host file that must exist for the mapping to hold; a requirement not in this list and
// not provided by the build's repositories is unmet and fails the build, as in mock.
// Version constraints on host tools are not compared (Debian's versions differ), and the
// build log says so for every requirement satisfied this way.
import { existsSync } from 'node:fs';

/**
 * Fedora package (or virtual provide) → host file proving the tool is there. The first
 * block is Fedora's minimal buildroot ("build" group), present in every mock chroot.
 */
const HOST_TOOLS: Readonly<Record<string, string>> = {
  bash: '/bin/bash',
  bzip2: '/usr/bin/bzip2',
  coreutils: '/usr/bin/ls',
  'coreutils-single': '/usr/bin/ls',
  cpio: '/usr/bin/cpio',
  diffutils: '/usr/bin/diff',
  findutils: '/usr/bin/find',
  gawk: '/usr/bin/gawk',
  grep: '/usr/bin/grep',
  gzip: '/usr/bin/gzip',
  info: '/usr/bin/install-info',
  patch: '/usr/bin/patch',
  'rpm-build': '/usr/bin/rpmbuild',
  sed: '/usr/bin/sed',
  'shadow-utils': '/usr/sbin/useradd',
  tar: '/usr/bin/tar',
  unzip: '/usr/bin/unzip',
  'util-linux': '/usr/bin/getopt',
  which: '/usr/bin/which',
  xz: '/usr/bin/xz',
  // Compilers and build tools.
  gcc: '/usr/bin/gcc',
  'gcc-c++': '/usr/bin/g++',
  cpp: '/usr/bin/cpp',
  binutils: '/usr/bin/ld',
  'glibc-devel': '/usr/include/stdio.h',
  'glibc-headers': '/usr/include/stdio.h',
  'kernel-headers': '/usr/include/linux/types.h',
  make: '/usr/bin/make',
  cmake: '/usr/bin/cmake',
  meson: '/usr/bin/meson',
  'ninja-build': '/usr/bin/ninja',
  autoconf: '/usr/bin/autoconf',
  automake: '/usr/bin/automake',
  libtool: '/usr/bin/libtool',
  pkgconf: '/usr/bin/pkg-config',
  'pkgconf-pkg-config': '/usr/bin/pkg-config',
  pkgconfig: '/usr/bin/pkg-config',
  'pkg-config': '/usr/bin/pkg-config',
  gettext: '/usr/bin/msgfmt',
  texinfo: '/usr/bin/makeinfo',
  help2man: '/usr/bin/help2man',
  file: '/usr/bin/file',
  git: '/usr/bin/git',
  'git-core': '/usr/bin/git',
  curl: '/usr/bin/curl',
  wget: '/usr/bin/wget',
  perl: '/usr/bin/perl',
  'perl-interpreter': '/usr/bin/perl',
  python3: '/usr/bin/python3',
  // The PyPI source's generated spec needs these two (Debian's python3-dev, python3-setuptools).
  'python3-devel': '/usr/bin/python3-config',
  'python3-setuptools': '/usr/lib/python3/dist-packages/setuptools/__init__.py',
  'python3-pip': '/usr/lib/python3/dist-packages/pip/__init__.py',
  'python3-wheel': '/usr/lib/python3/dist-packages/wheel/__init__.py',
  'rpm-devel': '/usr/include/rpm/rpmlib.h',
  debugedit: '/usr/bin/debugedit',
  elfutils: '/usr/bin/eu-strip',
};

/** Provided by the sandbox itself: the Fedora-like macros (fedora-macros.ts) and release data. */
const BUILTIN = new Set([
  'redhat-rpm-config',
  'systemd-rpm-macros',
  'fedora-release',
  'fedora-release-common',
  'system-release',
  'glibc-minimal-langpack',
  'rpm',
]);

const PKGCONFIG_DIRS = ['/usr/lib/x86_64-linux-gnu/pkgconfig', '/usr/lib/aarch64-linux-gnu/pkgconfig', '/usr/lib/pkgconfig', '/usr/share/pkgconfig'];

export interface HostSatisfaction {
  /** What the build log says, e.g. "host tool /usr/bin/gcc". */
  how: string;
}

/** How the host satisfies requirement `name` (without its version part), or null. */
export function hostSatisfies(name: string, exists: (path: string) => boolean = existsSync): HostSatisfaction | null {
  if (BUILTIN.has(name)) return { how: 'provided by the local builder (Fedora-like macros)' };
  const tool = HOST_TOOLS[name];
  if (tool !== undefined) return exists(tool) ? { how: `host tool ${tool}` } : null;
  if (name.startsWith('/')) return exists(name) ? { how: `host file ${name}` } : null;
  const pc = /^pkgconfig\(([^)]+)\)$/.exec(name)?.[1];
  if (pc !== undefined) {
    const dir = PKGCONFIG_DIRS.find((d) => exists(`${d}/${pc}.pc`));
    return dir === undefined ? null : { how: `host pkg-config file ${dir}/${pc}.pc` };
  }
  return null;
}
