// Local sandbox: the host's rpmbuild inside bubblewrap. The whole host is read-only, only
// the task's work dir is writable, /tmp is private, and there is no network unless the
// project enables it. --die-with-parent plus the agent killing the process group means a
// cancel cannot leave a build running.
import type { CommandRequest, RebuildRequest, Sandbox, SrpmBuildRequest } from './sandbox.js';
import { defineArgs } from './sandbox.js';

function bwrapPrefix(workDir: string, cwd: string, enableNet: boolean, env: Record<string, string> = {}): string[] {
  const argv = ['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp'];
  // After the /tmp tmpfs, so a work dir under /tmp is visible again.
  argv.push('--bind', workDir, workDir, '--unshare-all');
  if (enableNet) argv.push('--share-net');
  argv.push('--die-with-parent', '--chdir', cwd, '--setenv', 'HOME', workDir);
  for (const [name, value] of Object.entries(env)) argv.push('--setenv', name, value);
  argv.push('--');
  return argv;
}

export function createBwrapSandbox(): Sandbox {
  return {
    name: 'bwrap',
    installsBuildroot: false,
    rebuildArgv(req: RebuildRequest): string[] {
      // -ra instead of --rebuild: it also writes the rebuilt SRPM (with the chroot's dist
      // tag) that Copr puts next to the RPMs. --nodeps: the host rpmdb is empty on Debian.
      const rpmbuild = ['rpmbuild', '-ra', '--nodeps', '--target', req.target];
      rpmbuild.push(...defineArgs({ ...req.defines, _topdir: `${req.outDir}/rpmbuild` }));
      for (const opt of req.withOpts) rpmbuild.push('--with', opt);
      for (const opt of req.withoutOpts) rpmbuild.push('--without', opt);
      rpmbuild.push(req.srpm);
      return [...bwrapPrefix(req.workDir, req.outDir, req.enableNet), ...rpmbuild];
    },
    buildSrpmArgv(req: SrpmBuildRequest): string[] {
      const rpmbuild = ['rpmbuild', '-bs', '--nodeps'];
      rpmbuild.push(
        ...defineArgs({
          ...req.defines,
          _topdir: `${req.outDir}/rpmbuild`,
          _sourcedir: req.sourceDir,
          _srcrpmdir: req.outDir,
        }),
      );
      rpmbuild.push(req.spec);
      return [...bwrapPrefix(req.workDir, req.outDir, req.enableNet), ...rpmbuild];
    },
    commandArgv(req: CommandRequest): string[] {
      return [...bwrapPrefix(req.workDir, req.cwd, req.enableNet, req.env), ...req.argv];
    },
  };
}
