// RPM stage: SRPM URL → binary RPMs + rebuilt SRPM for one chroot, with build.log and
// results.json (spec §4.3, §4.5).
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { distroMacros, parseChroot, rpmTarget } from './chroot.js';
import { downloadFile } from './download.js';
import { BuildFailedError } from './errors.js';
import { assertSrpm, extractSpec, queryPackage } from './rpm-query.js';
import { fileNameFromUrl } from './srpm/link.js';
import { runLogged, type StageContext } from './stage-context.js';
import type { ResultFile, StageResult } from './stage-result.js';
import type { RpmTask } from './task.js';

/** Where the rpmbuild/mock output is kept; runTask uploads it even when the build fails. */
export function buildLogPath(workDir: string): string {
  return join(workDir, 'build.log');
}

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name)).sort();
}

export async function runRpmStage(ctx: StageContext, task: RpmTask): Promise<StageResult> {
  const chroot = parseChroot(task.chroot);
  const inputDir = join(ctx.workDir, 'input');
  const outDir = join(ctx.workDir, 'out');
  await mkdir(inputDir, { recursive: true });
  await mkdir(outDir, { recursive: true });

  const srpm = join(inputDir, fileNameFromUrl(task.srpm_url, 'input.src.rpm'));
  ctx.log(`Downloading SRPM ${task.srpm_url}\n`);
  await downloadFile(task.srpm_url, srpm, { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
  await assertSrpm(srpm, ctx.signal);

  if (!ctx.sandbox.installsBuildroot && (task.repos.length > 0 || task.buildroot_pkgs.length > 0)) {
    ctx.log('Note: the local builder builds against the host; repos and buildroot_pkgs are not installed.\n');
  }
  const defines = {
    ...distroMacros(chroot.nameRelease, { rawhideVersion: ctx.config.rawhideVersion }),
    copr_username: task.project_owner,
    copr_projectname: task.project_name,
    buildtag: `.copr${task.build_id}`,
  };
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
  });
  const buildLog = buildLogPath(ctx.workDir);
  const res = await runLogged(ctx, argv, { onOutput: (text) => appendFileSync(buildLog, text) });
  if (res.code !== 0) throw new BuildFailedError('rpmbuild failed: see build.log');

  const built = await findFiles(outDir, '.rpm');
  if (!built.some((f) => !f.endsWith('.src.rpm'))) throw new BuildFailedError('rpmbuild produced no binary RPMs: see build.log');
  const packages = [];
  for (const file of built) packages.push(await queryPackage(file, ctx.signal));
  const rebuiltSrpm = built.find((f) => f.endsWith('.src.rpm')) ?? srpm;
  const spec = await extractSpec(rebuiltSrpm, join(ctx.workDir, 'spec-from-srpm'), ctx.signal);

  const files: ResultFile[] = built.map((f) => ({ relativePath: basename(f), localFile: f }));
  if (!built.includes(rebuiltSrpm)) {
    files.push({ relativePath: basename(srpm), localFile: srpm });
    packages.push(await queryPackage(srpm, ctx.signal));
  }
  files.push({ relativePath: basename(spec), localFile: spec });
  // mock writes its own logs into the result dir; rpmbuild's output is our build.log.
  const ownLogs = (await readdir(outDir)).filter((f) => f.endsWith('.log'));
  for (const log of ownLogs) files.push({ relativePath: log, localFile: join(outDir, log) });
  if (!ownLogs.includes('build.log') && existsSync(buildLog)) files.push({ relativePath: 'build.log', localFile: buildLog });
  return { files, results: { packages }, srpmFilename: basename(rebuiltSrpm) };
}
