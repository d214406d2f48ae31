// Local sandbox: the host's rpmbuild inside bubblewrap. The build sees an allowlist of the
// host read-only (sandbox-bwrap-binds.ts), its own work dir read-write, a private tmpfs
// /tmp, /var/tmp and HOME, a fresh /proc and /dev, no capabilities, a cleared environment
// and its own network namespace: empty when the network is off, outbound-only NAT when it
// is on (sandbox-bwrap-net.ts). --die-with-parent plus the agent killing the process
// group means a cancel cannot leave a build running.
import type { CommandRequest, RebuildRequest, Sandbox, SrpmBuildRequest } from './sandbox.js';
import { defineArgs } from './sandbox.js';
import { macroPathWith } from './fedora-macros.js';
import { systemBindArgs, type HostEntry } from './sandbox-bwrap-binds.js';
import { bwrapNetArgs, waitForNetwork, withOutboundNetwork } from './sandbox-bwrap-net.js';

/** HOME inside the sandbox: a tmpfs, so nothing a build leaves there survives it. */
export const SANDBOX_HOME = '/home/builder';
/** PATH inside the sandbox (build-requires.ts prepends the unpacked BuildRequires to it). */
export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

export interface BwrapSandboxOptions {
  /** Host inspection for the system binds (tests pass a fixed layout). */
  probe?: (path: string) => HostEntry;
}

function bwrapArgv(
  systemBinds: readonly string[],
  workDir: string,
  cwd: string,
  enableNet: boolean,
  command: readonly string[],
  env: Record<string, string> = {},
): string[] {
  const argv = ['bwrap', ...systemBinds, '--dev', '/dev', '--proc', '/proc'];
  argv.push('--tmpfs', '/tmp', '--tmpfs', '/var/tmp', '--tmpfs', '/home', '--dir', SANDBOX_HOME);
  // After the /tmp tmpfs, so a work dir under /tmp is visible again (and only it).
  argv.push('--bind', workDir, workDir);
  // The sandbox's own root (where /etc and the mount points live) is read-only too; only
  // the tmpfs mounts and the work dir take writes.
  // resolv.conf for a networked sandbox is bound here, before the root turns read-only.
  if (enableNet) argv.push(...bwrapNetArgs());
  argv.push('--remount-ro', '/');
  // --unshare-user explicitly: as root, --unshare-all alone keeps the host's user namespace.
  argv.push('--unshare-all', '--unshare-user', '--cap-drop', 'ALL');
  // No nested user namespaces for the build. Not with the network on: bwrap's nesting for
  // --disable-userns makes slirp4netns' setns into the namespace fail with EPERM.
  if (!enableNet) argv.push('--disable-userns');
  argv.push('--die-with-parent', '--new-session', '--chdir', cwd);
  // Nothing of the agent's environment (credential, API URL, AWS settings) leaks in.
  argv.push('--clearenv', '--setenv', 'PATH', SANDBOX_PATH, '--setenv', 'HOME', SANDBOX_HOME);
  argv.push('--setenv', 'LANG', 'C.UTF-8', '--setenv', 'TMPDIR', '/tmp');
  for (const [name, value] of Object.entries(env)) argv.push('--setenv', name, value);
  argv.push('--', ...(enableNet ? waitForNetwork(command) : command));
  return enableNet ? withOutboundNetwork(argv) : argv;
}

export function createBwrapSandbox(options: BwrapSandboxOptions = {}): Sandbox {
  const systemBinds = systemBindArgs(options.probe);
  return {
    name: 'bwrap',
    installsBuildroot: false,
    rebuildArgv(req: RebuildRequest): string[] {
      // -ra instead of --rebuild: it also writes the rebuilt SRPM (with the chroot's dist
      // tag) that Copr puts next to the RPMs. --nodeps: the host rpmdb is empty on Debian.
      const rpmbuild = ['rpmbuild', '-ra', '--nodeps', '--target', req.target];
      if (req.macroFiles?.length) rpmbuild.push('--macros', macroPathWith(req.macroFiles));
      rpmbuild.push(...defineArgs({ ...req.defines, _topdir: `${req.outDir}/rpmbuild` }));
      for (const opt of req.withOpts) rpmbuild.push('--with', opt);
      for (const opt of req.withoutOpts) rpmbuild.push('--without', opt);
      rpmbuild.push(req.srpm);
      return bwrapArgv(systemBinds, req.workDir, req.outDir, req.enableNet, rpmbuild, req.env);
    },
    buildSrpmArgv(req: SrpmBuildRequest): string[] {
      const rpmbuild = ['rpmbuild', '-bs', '--nodeps'];
      if (req.macroFiles?.length) rpmbuild.push('--macros', macroPathWith(req.macroFiles));
      rpmbuild.push(
        ...defineArgs({
          ...req.defines,
          _topdir: `${req.outDir}/rpmbuild`,
          _sourcedir: req.sourceDir,
          _srcrpmdir: req.outDir,
        }),
      );
      rpmbuild.push(req.spec);
      return bwrapArgv(systemBinds, req.workDir, req.outDir, req.enableNet, rpmbuild);
    },
    commandArgv(req: CommandRequest): string[] {
      return bwrapArgv(systemBinds, req.workDir, req.cwd, req.enableNet, req.argv, req.env);
    },
  };
}
