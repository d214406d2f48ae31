// Builder-AMI sandbox: mock with the chroot's real buildroot. Builds, spec queries, SRPM
// unpacking and scripts all run inside mock (queries and scripts through --chroot), never
// on the instance itself. It cannot run on the Debian dev machine (no mock there), so its
// tests check the command lines it builds.
import type { CommandRequest, RebuildRequest, Sandbox, SrpmBuildRequest } from './sandbox.js';
import { defineArgs } from './sandbox.js';

export interface MockSandboxOptions {
  /** Config used for SRPM work without a chroot; Copr uses the distro default. */
  defaultConfig?: string;
  /** Extra mock arguments, e.g. ['--isolation=simple'] on hosts without systemd-nspawn. */
  extraArgs?: readonly string[];
}

function repoArgs(req: RebuildRequest): string[] {
  // --addrepo takes a baseurl; mock names the repo itself. Priorities and gpg settings of
  // Copr's repo objects need a generated config (copr-rpmbuild's child.cfg) and are dropped.
  return req.repos.map((repo) => `--addrepo=${repo.baseurl}`);
}

export function createMockSandbox(options: MockSandboxOptions = {}): Sandbox {
  const defaultConfig = options.defaultConfig ?? '/etc/mock/default.cfg';
  const extra = options.extraArgs ?? [];
  return {
    name: 'mock',
    installsBuildroot: true,
    rebuildArgv(req: RebuildRequest): string[] {
      const argv = ['mock', '-r', req.chroot, ...extra, '--rebuild', req.srpm, '--resultdir', req.outDir];
      argv.push(...defineArgs(req.defines));
      for (const opt of req.withOpts) argv.push(`--with=${opt}`);
      for (const opt of req.withoutOpts) argv.push(`--without=${opt}`);
      argv.push(...repoArgs(req));
      for (const pkg of req.buildrootPkgs) argv.push(`--additional-package=${pkg}`);
      if (req.enableNet) argv.push('--enable-network');
      return argv;
    },
    buildSrpmArgv(req: SrpmBuildRequest): string[] {
      const argv = ['mock', '-r', defaultConfig, ...extra, '--buildsrpm', '--spec', req.spec];
      argv.push('--sources', req.sourceDir, '--resultdir', req.outDir, ...defineArgs(req.defines));
      if (req.enableNet) argv.push('--enable-network');
      return argv;
    },
    commandArgv(req: CommandRequest): string[] {
      // Run inside the buildroot with the work dir bind-mounted at the same path.
      const argv = ['mock', '-r', req.chroot ?? defaultConfig, ...extra];
      argv.push(`--plugin-option=bind_mount:dirs=[("${req.workDir}", "${req.workDir}")]`);
      if (req.enableNet) argv.push('--enable-network');
      // --unpriv: the command (a user's script, or rpmspec parsing a user's spec) runs as
      // mock's unprivileged build user, not as root in the buildroot.
      argv.push('--cwd', req.cwd, '--unpriv', '--chroot', '--');
      const envPrefix = Object.entries(req.env ?? {}).map(([name, value]) => `${name}=${value}`);
      argv.push(...(envPrefix.length > 0 ? ['env', ...envPrefix] : []), ...req.argv);
      return argv;
    },
  };
}
