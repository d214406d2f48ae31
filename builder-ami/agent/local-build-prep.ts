// What the RPM stage does around rpmbuild when the sandbox is the host's rpmbuild in
// bubblewrap (mock brings a real buildroot and needs none of it): refuse an arch this
// host cannot build honestly, load the Fedora-like macros, and resolve BuildRequires
// and the chroot's buildroot packages. After the build, every sandbox checks the ELF
// machines of what was built.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNoarchOnly, refuseForeignArch } from './arch-check.js';
import { prepareBuildDeps, readSrpmFacts } from './build-requires.js';
import type { ChrootInfo } from './chroot.js';
import { SafeAppender } from './disk-full.js';
import { writeFedoraMacros } from './fedora-macros.js';
import { rootLogPath } from './result-extras.js';
import type { StageContext } from './stage-context.js';
import type { RpmTask } from './task.js';

export interface LocalBuildSetup {
  macroFiles: string[];
  env: Record<string, string>;
  /** Packages unpacked into the buildroot from the build's repositories. */
  packageFiles: string[];
}

/** The Fedora version (or EL major) dnf's $releasever stands for in this chroot. */
function releasever(chroot: ChrootInfo, rawhideVersion: number): string {
  if (chroot.osVersion === 'rawhide') return String(rawhideVersion);
  return chroot.osVersion.split('.')[0] ?? chroot.osVersion;
}

/** The macro files written for an SRPM stage (rpmbuild -bs) in a bwrap sandbox. */
export async function srpmStageMacroFiles(ctx: StageContext): Promise<string[]> {
  if (ctx.sandbox.installsBuildroot) return [];
  // rpmbuild -bs runs no %install: the debuginfo macros would change nothing.
  return [await writeFedoraMacros(join(ctx.workDir, 'fedora-macros'), { debuginfo: false })];
}

export async function prepareLocalBuild(
  ctx: StageContext,
  task: RpmTask,
  srpm: string,
  chroot: ChrootInfo,
  defines: Record<string, string>,
): Promise<LocalBuildSetup> {
  if (ctx.sandbox.installsBuildroot) return { macroFiles: [], env: {}, packageFiles: [] };
  // The spec is evaluated with the Fedora-like macros (debuginfo ones make no difference there).
  const queryMacros = await writeFedoraMacros(join(ctx.workDir, 'fedora-macros-query'), { debuginfo: false });
  const specDir = join(ctx.workDir, 'spec-for-deps');
  await rm(specDir, { recursive: true, force: true });
  const facts = await readSrpmFacts(ctx, srpm, specDir, defines, [queryMacros]);
  refuseForeignArch(ctx, facts.buildArchs, task.chroot, chroot.arch);
  const fedoraMacros = await writeFedoraMacros(join(ctx.workDir, 'fedora-macros'), { debuginfo: !isNoarchOnly(facts.buildArchs) });
  const buildRequires = facts.buildRequires;
  const requirements = [...new Set([...buildRequires, ...task.buildroot_pkgs])];
  // How each requirement was satisfied goes to root.log as well, where mock logs the
  // buildroot installation, so a failure shows it there too.
  const rootLog = new SafeAppender(rootLogPath(ctx.metaDir));
  const logBoth: StageContext = { ...ctx, log: (text) => { ctx.log(text); rootLog.append(text); } };
  const deps = await prepareBuildDeps(logBoth, requirements, {
    repos: task.repos,
    arch: chroot.arch === 'i386' ? 'i686' : chroot.arch,
    releasever: releasever(chroot, ctx.config.rawhideVersion),
  });
  return { macroFiles: [fedoraMacros, ...deps.macroFiles], env: deps.env, packageFiles: deps.packageFiles };
}
