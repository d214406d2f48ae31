// Chroot names (spec §3.5) → what rpmbuild needs: the target arch, the %dist tag and the
// distro version macros that mock's configs would define on a real buildroot.

export interface ChrootInfo {
  /** e.g. fedora-41 (name_release) */
  nameRelease: string;
  osRelease: string;
  osVersion: string;
  arch: string;
}

/** Parses `<os_release>-<os_version>-<arch>` from the right (os_release may contain '-'). */
export function parseChroot(chroot: string): ChrootInfo {
  const parts = chroot.split('-');
  const arch = parts.pop();
  const osVersion = parts.pop();
  if (!arch || !osVersion || parts.length === 0) throw new Error(`not a chroot name: ${chroot}`);
  const osRelease = parts.join('-');
  return { nameRelease: `${osRelease}-${osVersion}`, osRelease, osVersion, arch };
}

export interface DistOptions {
  /** The Fedora version rawhide stands for; it moves every six months. */
  rawhideVersion?: number;
}

const EL_FAMILIES = new Set(['epel', 'centos-stream', 'rhel', 'almalinux', 'rocky', 'oraclelinux']);

/**
 * Macros a buildroot for `nameRelease` (e.g. fedora-41, epel-9) defines: %dist and the
 * distro version macro. Unknown distributions get an empty dist, like a plain rpmbuild.
 */
export function distroMacros(nameRelease: string, options: DistOptions = {}): Record<string, string> {
  const cut = nameRelease.lastIndexOf('-');
  const family = nameRelease.slice(0, cut);
  const rawVersion = nameRelease.slice(cut + 1);
  if (family === 'fedora') {
    const version = rawVersion === 'rawhide' ? String(options.rawhideVersion ?? 44) : rawVersion;
    return { dist: `.fc${version}`, fedora: version };
  }
  if (EL_FAMILIES.has(family)) {
    const major = rawVersion.split('.')[0] ?? rawVersion;
    return { dist: `.el${major}`, rhel: major, el: major };
  }
  return { dist: '%{nil}' };
}

/** rpmbuild --target for a chroot arch: Copr's i386 chroots build i686 packages. */
export function rpmTarget(arch: string): string {
  return arch === 'i386' ? 'i686' : arch;
}
