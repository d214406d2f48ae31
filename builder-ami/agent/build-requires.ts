// BuildRequires for local (bwrap) builds, which run the host's rpmbuild with --nodeps
// because Debian's rpmdb is empty. Instead of ignoring them, every requirement of the
// spec (evaluated with the chroot's macros) and every buildroot package of the chroot
// is resolved as mock would, and the build log says how:
//  1. a package of the build's repositories (the project's own repository, its
//     additional repos) that provides it: downloaded and unpacked into a directory of
//     the build's work dir, whose bin/lib/include/pkgconfig/macro dirs the rpmbuild
//     sees through PATH, LD_LIBRARY_PATH, CPATH, LIBRARY_PATH, PKG_CONFIG_PATH and --load
//     (the package's own runtime requirements are not followed);
//  2. otherwise a host tool from the explicit table in host-tools.ts;
//  3. otherwise it is unmet, and the build fails with mock's words for each of them.
import { mkdir, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile } from './download.js';
import { macroPathWith } from './fedora-macros.js';
import { BuildFailedError } from './errors.js';
import { hostSatisfies } from './host-tools.js';
import { providesAny, usableRepos, whatProvides, type RepoPackage } from './repo-query.js';
import { runOrFail } from './run-command.js';
import { SANDBOX_PATH } from './sandbox-bwrap.js';
import { defineArgs } from './sandbox.js';
import type { StageContext } from './stage-context.js';
import type { Repo } from './task.js';

/** The name part of a requirement ("foo >= 1.2" → "foo"); rich dependencies keep their text. */
export function requirementName(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.startsWith('(')) return trimmed;
  return trimmed.split(/\s+/)[0] ?? trimmed;
}

function sandboxed(ctx: StageContext, argv: readonly string[]): string[] {
  return ctx.sandbox.commandArgv({ argv, cwd: ctx.workDir, workDir: ctx.workDir, enableNet: false, chroot: null });
}

export interface SrpmFacts {
  /** BuildArch from the SRPM header (empty: built for the target arch). */
  buildArchs: string[];
  buildRequires: string[];
}

/**
 * One sandboxed run: the SRPM header's BuildArch, and the BuildRequires as the chroot
 * sees them, i.e. the spec (extracted into `specDir`) evaluated with the chroot's macros,
 * as mock does when it regenerates the SRPM in the buildroot; the header's list when the
 * spec cannot be parsed here.
 */
const FACTS_SCRIPT = `set -o pipefail
srpm="$1"; dir="$2"; shift 2
rpm -qp --nosignature --qf '[%{BUILDARCHS} ]\\n' "$srpm" || exit 3
echo '@@header-requires'
rpm -qp --nosignature --requires "$srpm" || exit 4
mkdir -p "$dir" && cd "$dir" && rpm2cpio "$srpm" | cpio -idm --quiet '*.spec' || exit 5
echo '@@spec-requires'
rpmspec -q --buildrequires "$@" ./*.spec && echo '@@spec-ok'
exit 0`;

export async function readSrpmFacts(
  ctx: StageContext,
  srpm: string,
  specDir: string,
  defines: Record<string, string>,
  macroFiles: readonly string[],
): Promise<SrpmFacts> {
  const load = macroFiles.length > 0 ? ['--macros', macroPathWith(macroFiles)] : [];
  const argv = sandboxed(ctx, ['bash', '-c', FACTS_SCRIPT, 'srpm-facts', srpm, specDir, ...load, ...defineArgs(defines)]);
  const res = await runOrFail(argv, { signal: ctx.signal }, 'cannot read the SRPM');
  const [archLine = '', rest = ''] = res.stdout.split('@@header-requires\n');
  const [headerPart = '', specPart = ''] = rest.split('@@spec-requires\n');
  const specOk = specPart.includes('@@spec-ok');
  if (!specOk) ctx.log('Cannot evaluate the spec here; using the BuildRequires recorded in the SRPM header\n');
  const lines = (specOk ? specPart.replace('@@spec-ok', '') : headerPart).split('\n');
  const reqs = lines.map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('rpmlib('));
  return { buildArchs: archLine.split(/\s+/).filter((a) => a.length > 0), buildRequires: [...new Set(reqs)] };
}

export interface BuildDepsPlan {
  /** Requirement → how it is satisfied, for the log. */
  satisfied: { requirement: string; how: string }[];
  toInstall: { requirement: string; pkg: RepoPackage }[];
  unmet: string[];
}

export interface ResolveOptions {
  repos: readonly Repo[];
  arch: string;
  releasever: string;
}

/** Decides, for each requirement, where it comes from; changes nothing. */
export async function planBuildDeps(ctx: StageContext, requirements: readonly string[], opts: ResolveOptions): Promise<BuildDepsPlan> {
  const { usable, skipped } = usableRepos(opts.repos);
  for (const repo of skipped) ctx.log(`BuildRequires: repository ${repo.id} (${repo.baseurl}) is not http(s); not used\n`);
  const plan: BuildDepsPlan = { satisfied: [], toInstall: [], unmet: [] };
  const installing = new Map<string, RepoPackage>();
  const scope = { metaDir: ctx.metaDir, signal: ctx.signal, log: ctx.log };
  const reposProvide = await providesAny(scope, usable, requirements, opts.arch, opts.releasever);
  for (const requirement of requirements) {
    const pkg = reposProvide ? await whatProvides(scope, usable, requirement, opts.arch, opts.releasever) : null;
    if (pkg !== null) {
      const key = `${pkg.name}.${pkg.arch}`;
      if (installing.has(key)) {
        plan.satisfied.push({ requirement, how: `${pkg.name}-${pkg.evr}.${pkg.arch} from repository ${pkg.repoId} (already installed for another requirement)` });
      } else {
        installing.set(key, pkg);
        plan.toInstall.push({ requirement, pkg });
      }
      continue;
    }
    const host = hostSatisfies(requirementName(requirement));
    if (host !== null) {
      const versioned = requirement.trim() !== requirementName(requirement);
      plan.satisfied.push({ requirement, how: `${host.how}${versioned ? ' (version not compared: the host tool is Debian\'s)' : ''}` });
      continue;
    }
    plan.unmet.push(requirement);
  }
  return plan;
}

/** Mock's root.log wording, one line per missing requirement. */
export function unmetMessage(unmet: readonly string[]): string {
  return unmet.map((r) => `No matching package to install: '${r}'`).join('\n');
}

export interface InstalledDeps {
  env: Record<string, string>;
  macroFiles: string[];
  /** The downloaded package files unpacked into the buildroot (for installed_pkgs.log). */
  packageFiles: string[];
}

/** Downloads and unpacks the planned packages into `<workDir>/buildrequires/root`. */
async function installPackages(ctx: StageContext, toInstall: BuildDepsPlan['toInstall']): Promise<InstalledDeps> {
  const base = join(ctx.workDir, 'buildrequires');
  const root = join(base, 'root');
  const rpms = join(base, 'rpms');
  await mkdir(root, { recursive: true });
  await mkdir(rpms, { recursive: true });
  const packageFiles: string[] = [];
  for (const { pkg } of toInstall) {
    const file = join(rpms, `${pkg.name}-${pkg.evr.replace(':', '_')}.${pkg.arch}.rpm`);
    packageFiles.push(file);
    await downloadFile(pkg.url, file, { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
    const script = 'cd "$2" && rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames';
    const argv = ctx.sandbox.commandArgv({ argv: ['bash', '-c', script, 'unpack', file, root], cwd: base, workDir: ctx.workDir, enableNet: false, chroot: null });
    await runOrFail(argv, { signal: ctx.signal }, `cannot unpack ${pkg.name}`);
  }
  const libs = [`${root}/usr/lib64`, `${root}/usr/lib`].join(':');
  const env = {
    PATH: `${root}/usr/bin:${root}/usr/sbin:${SANDBOX_PATH}`,
    LD_LIBRARY_PATH: libs,
    LIBRARY_PATH: libs,
    CPATH: `${root}/usr/include`,
    PKG_CONFIG_PATH: [`${root}/usr/lib64/pkgconfig`, `${root}/usr/lib/pkgconfig`, `${root}/usr/share/pkgconfig`].join(':'),
  };
  const macroDir = join(root, 'usr/lib/rpm/macros.d');
  // The unpacked tree is a package's content: a symlinked macros.d must not make the agent
  // list (and log) a directory of the host.
  const real = await realpath(macroDir).catch(() => null);
  const expected = join(await realpath(root), 'usr/lib/rpm/macros.d');
  const names = real === expected ? await readdir(macroDir) : [];
  const macroFiles = names.filter((f) => f.startsWith('macros.')).sort().map((f) => join(macroDir, f));
  return { env, macroFiles, packageFiles };
}

/**
 * Resolves the build's requirements, logs how each is satisfied, installs what comes
 * from repositories, and fails the build listing every unmet requirement.
 */
export async function prepareBuildDeps(ctx: StageContext, requirements: readonly string[], opts: ResolveOptions): Promise<InstalledDeps> {
  ctx.log(`Resolving ${requirements.length} build requirement(s) against ${opts.repos.length} repositor${opts.repos.length === 1 ? 'y' : 'ies'} and the host tool table\n`);
  const plan = await planBuildDeps(ctx, requirements, opts);
  for (const { requirement, pkg } of plan.toInstall) {
    ctx.log(`BuildRequires: ${requirement}: installing ${pkg.name}-${pkg.evr}.${pkg.arch} from repository ${pkg.repoId}\n`);
  }
  for (const { requirement, how } of plan.satisfied) ctx.log(`BuildRequires: ${requirement}: ${how}\n`);
  if (plan.unmet.length > 0) {
    ctx.log(`${unmetMessage(plan.unmet)}\n`);
    throw new BuildFailedError(`unmet BuildRequires: ${unmetMessage(plan.unmet).replaceAll('\n', '; ')}`);
  }
  if (plan.toInstall.length === 0) return { env: {}, macroFiles: [], packageFiles: [] };
  return installPackages(ctx, plan.toInstall);
}

/** `--script-builddeps` of a custom build: no repositories there, so the host table or nothing. */
export function checkScriptBuilddeps(ctx: StageContext, builddeps: string): void {
  const names = builddeps.split(/[\s,]+/).filter((n) => n.length > 0);
  const unmet: string[] = [];
  for (const name of names) {
    const host = hostSatisfies(name);
    if (host === null) unmet.push(name);
    else ctx.log(`Script build dependency ${name}: ${host.how}\n`);
  }
  if (unmet.length > 0) {
    ctx.log(`${unmetMessage(unmet)}\n`);
    throw new BuildFailedError(`unmet script build dependencies: ${unmetMessage(unmet).replaceAll('\n', '; ')}`);
  }
}
