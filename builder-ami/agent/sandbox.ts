// The sandbox port: how a build step becomes a command line. Locally rpmbuild runs inside
// bubblewrap (sandbox-bwrap.ts); on the builder AMI mock does the same jobs with a real
// Fedora/EL buildroot (sandbox-mock.ts). The stages only run the argv they get back.
import type { Repo } from './task.js';

export interface RebuildRequest {
  /** The task's work dir: the only place the build may write (and read below /tmp). */
  workDir: string;
  /** Absolute path of the SRPM to rebuild. */
  srpm: string;
  /** e.g. fedora-41-x86_64 */
  chroot: string;
  /** rpmbuild --target value (i386 chroots build i686). */
  target: string;
  /** Every built *.rpm and the rebuilt *.src.rpm end up somewhere below this dir. */
  outDir: string;
  /** rpm macros: dist, copr_username, copr_projectname, buildtag, ... */
  defines: Record<string, string>;
  withOpts: readonly string[];
  withoutOpts: readonly string[];
  enableNet: boolean;
  repos: readonly Repo[];
  buildrootPkgs: readonly string[];
  /** Extra rpm macro files (bwrap: the Fedora-like macros; mock has a real buildroot). */
  macroFiles?: readonly string[];
  /** Extra environment (bwrap: paths of BuildRequires unpacked into the work dir). */
  env?: Record<string, string>;
}

export interface SrpmBuildRequest {
  workDir: string;
  spec: string;
  sourceDir: string;
  /** The *.src.rpm lands below this dir. */
  outDir: string;
  enableNet: boolean;
  defines: Record<string, string>;
  macroFiles?: readonly string[];
}

export interface CommandRequest {
  argv: readonly string[];
  cwd: string;
  /** Everything the command may write lives below this dir. */
  workDir: string;
  enableNet: boolean;
  /** The buildroot to use where the sandbox has one (custom-script chroot); null = default. */
  chroot: string | null;
  env?: Record<string, string>;
}

export interface Sandbox {
  readonly name: 'bwrap' | 'mock';
  /** Binary RPMs + the rebuilt SRPM from an SRPM. */
  rebuildArgv(req: RebuildRequest): string[];
  /** An SRPM from a spec and its sources. */
  buildSrpmArgv(req: SrpmBuildRequest): string[];
  /** Any other command (make_srpm, custom scripts). */
  commandArgv(req: CommandRequest): string[];
  /** Whether the sandbox honours `repos` / `buildroot_pkgs` (bwrap builds against the host). */
  readonly installsBuildroot: boolean;
}

/** `--define` pairs in the "name value" form both rpmbuild and mock take. */
export function defineArgs(defines: Record<string, string>): string[] {
  return Object.entries(defines).flatMap(([name, value]) => ['--define', `${name} ${value}`]);
}
