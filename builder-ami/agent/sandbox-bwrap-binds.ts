// What a bubblewrap sandbox can see of the host: an allowlist, never `/`. Anything not
// listed here (the data dir, /root and every home, other builders' dirs, /var, /run, /opt,
// the checkout) simply does not exist inside, wherever it lives on the host.
import { lstatSync, readlinkSync } from 'node:fs';

/** Top-level system dirs a build needs, read-only. On a merged-/usr host most are symlinks. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'] as const;

/**
 * /etc entries rpm, bash, make, compilers, perl/python and TLS clients read. /etc as a
 * whole is not bound: it holds shadow, ssh host keys, pip/npm/git configs with tokens.
 * The sandbox user maps to the agent's uid, so every root-only file bound in would be
 * readable inside; the list therefore names only world-readable, secret-free entries.
 */
const ETC_ENTRIES = [
  'passwd', 'group', 'nsswitch.conf', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives',
  'rpm', 'hosts', 'host.conf', 'gai.conf', 'services', 'protocols', 'networks',
  // Trust stores only: /etc/ssl/private and /etc/pki/tls/private hold the host's TLS keys.
  'ssl/certs', 'ssl/openssl.cnf', 'ca-certificates', 'ca-certificates.conf',
  'pki/ca-trust', 'pki/tls/certs', 'pki/tls/openssl.cnf', 'crypto-policies', 'localtime', 'timezone', 'mime.types', 'magic', 'magic.mime', 'bash.bashrc',
  'inputrc', 'profile', 'debian_version', 'os-release', 'redhat-release', 'fedora-release', 'system-release',
  'xml', 'sgml', 'perl', 'python3', 'terminfo', 'locale.alias', 'fonts',
] as const;

export type HostEntry = { kind: 'dir' | 'file' } | { kind: 'symlink'; target: string } | { kind: 'missing' };

/** What is at `path` on the host, without following a final symlink. */
export function probeHost(path: string): HostEntry {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
    return { kind: st.isDirectory() ? 'dir' : 'file' };
  } catch {
    return { kind: 'missing' };
  }
}

/**
 * bwrap arguments for the read-only system view. Symlinks (merged /usr, /etc/os-release)
 * are recreated as symlinks so their targets resolve inside the sandbox's own tree.
 */
export function systemBindArgs(probe: (path: string) => HostEntry = probeHost): string[] {
  const args: string[] = [];
  const add = (path: string): void => {
    const entry = probe(path);
    if (entry.kind === 'symlink') args.push('--symlink', entry.target, path);
    else if (entry.kind !== 'missing') args.push('--ro-bind', path, path);
  };
  for (const dir of SYSTEM_DIRS) add(dir);
  for (const name of ETC_ENTRIES) add(`/etc/${name}`);
  return args;
}
