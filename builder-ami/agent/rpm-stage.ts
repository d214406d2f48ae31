// RPM stage: SRPM URL → binary RPMs + rebuilt SRPM for one chroot, with build.log and
// results.json (spec §4.3, §4.5).
import { mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { distroMacros, parseChroot, rpmTarget } from './chroot.js';
import { DISK_FULL_REASON, mentionsDiskFull, SafeAppender } from './disk-full.js';
import { downloadFile } from './download.js';
import { checkBuiltArchitectures } from './arch-check.js';
import { BuildFailedError } from './errors.js';
import { prepareLocalBuild } from './local-build-prep.js';
import { metaResultFiles, writeConfigsTarball, writeHwInfo, writeInstalledPkgs } from './result-extras.js';
import { assertSrpm, extractSpec, queryPackage } from './rpm-query.js';
import { fileNameFromUrl } from './srpm/link.js';
import { runLogged, type StageContext } from './stage-context.js';
import type { ResultFile, StageResult } from './stage-result.js';
import { StateLog } from './state-log.js';
import type { BuiltPackage, RpmTask } from './task.js';

/**
 * Where the rpmbuild/mock output is kept (in the agent's meta dir, which the sandbox cannot
 * write); runTask uploads it even when the build fails.
 */
export function buildLogPath(metaDir: string): string {
  return join(metaDir, 'build.log');
}

/** The host's mock configuration directory. */
const MOCK_CONFIG_DIR = '/etc/mock';

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name)).sort();
}

export async function runRpmStage(ctx: StageContext, task: RpmTask): Promise<StageResult> {
  const state = new StateLog(ctx.metaDir);
  return state.phase(`RPM stage of ${task.task_id} in ${task.chroot}`, () => buildRpms(ctx, task, state));
}

async function buildRpms(ctx: StageContext, task: RpmTask, state: StateLog): Promise<StageResult> {
  const chroot = parseChroot(task.chroot);
  const inputDir = join(ctx.workDir, 'input');
  const outDir = join(ctx.workDir, 'out');
  await mkdir(inputDir, { recursive: true });
  await mkdir(outDir, { recursive: true });

  const srpm = join(inputDir, fileNameFromUrl(task.srpm_url, 'input.src.rpm'));
  await state.phase(`download ${basename(srpm)}`, async () => {
    ctx.log(`Downloading SRPM ${task.srpm_url}\n`);
    await downloadFile(task.srpm_url, srpm, { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
    await assertSrpm(ctx, srpm);
  });
  // mock reads the host's /etc/mock: copr-rpmbuild packs it beside child.cfg.
  const hostConfigDir = ctx.sandbox.installsBuildroot ? MOCK_CONFIG_DIR : undefined;
  // Before the build, so a failed one ships them too (run-task.ts finishFailed).
  await writeHwInfo(ctx.metaDir, ctx.workDir);
  await writeConfigsTarball(ctx.metaDir, task, ctx.buildMacros, ctx.signal, { hostConfigDir });

  const defines = {
    ...distroMacros(chroot.nameRelease, { rawhideVersion: ctx.config.rawhideVersion }),
    ...ctx.buildMacros,
  };
  // bwrap only: arch refusal, Fedora-like macros, BuildRequires (local-build-prep.ts).
  const local = await state.phase('chroot init', async () => {
    const setup = await prepareLocalBuild(ctx, task, srpm, chroot, defines);
    // mock lists its buildroot itself (package_state); a bwrap buildroot is listed here.
    if (!ctx.sandbox.installsBuildroot) {
      await writeInstalledPkgs(ctx, setup.packageFiles);
      await writeConfigsTarball(ctx.metaDir, task, ctx.buildMacros, ctx.signal, { macroFiles: setup.macroFiles });
    }
    return setup;
  });
  const argv = ctx.sandbox.rebuildArgv({
    workDir: ctx.workDir,
    srpm,
    chroot: task.chroot,
    target: rpmTarget(chroot.arch),
    outDir,
    defines,
    withOpts: task.with_opts,
    withoutOpts: task.without_opts,
    enableNet: task.enable_net,
    repos: task.repos,
    buildrootPkgs: task.buildroot_pkgs,
    macroFiles: local.macroFiles,
    env: local.env,
  });
  const buildLog = new SafeAppender(buildLogPath(ctx.metaDir));
  const res = await state.phase(`rpmbuild ${basename(srpm)}`, () => runLogged(ctx, argv, { onOutput: (text) => buildLog.append(text) }));
  if (res.code !== 0 && mentionsDiskFull(res.output)) throw new BuildFailedError(`rpmbuild failed: ${DISK_FULL_REASON}, see build.log`);
  if (res.code !== 0) throw new BuildFailedError('rpmbuild failed: see build.log');

  return state.phase('check built packages', () => collectResults(ctx, outDir, srpm, chroot.arch));
}

async function collectResults(ctx: StageContext, outDir: string, srpm: string, arch: string): Promise<StageResult> {
  const built = await findFiles(outDir, '.rpm');
  if (!built.some((f) => !f.endsWith('.src.rpm'))) throw new BuildFailedError('rpmbuild produced no binary RPMs: see build.log');
  const packages: BuiltPackage[] = [];
  const checked: { file: string; arch: string }[] = [];
  for (const file of built) {
    const pkg = await queryPackage(ctx, file);
    packages.push(pkg);
    checked.push({ file, arch: pkg.arch });
  }
  await checkBuiltArchitectures(ctx, checked, arch);
  const rebuiltSrpm = built.find((f) => f.endsWith('.src.rpm')) ?? srpm;
  const spec = await extractSpec(ctx, rebuiltSrpm, join(ctx.workDir, 'spec-from-srpm'));

  const files: ResultFile[] = built.map((f) => ({ relativePath: basename(f), localFile: f }));
  if (!built.includes(rebuiltSrpm)) {
    files.push({ relativePath: basename(srpm), localFile: srpm });
    packages.push(await queryPackage(ctx, srpm));
  }
  files.push({ relativePath: basename(spec), localFile: spec });
  // mock writes its own logs into the result dir (gzipped when its compress_logs plugin is
  // on); rpmbuild's output is our build.log, the buildroot preparation our root.log
  // (result-extras.ts), and ours give way to mock's.
  const ownLogs = (await readdir(outDir)).filter((f) => f.endsWith('.log') || f.endsWith('.log.gz'));
  for (const log of ownLogs) files.push({ relativePath: log, localFile: join(outDir, log) });
  files.push(...metaResultFiles(ctx.metaDir, ownLogs.map((name) => name.replace(/\.gz$/, ''))));
  return { files, results: { packages }, srpmFilename: basename(rebuiltSrpm) };
}
