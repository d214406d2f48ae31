// The files of Copr's RPM result dir besides the packages and build.log: `root.log` (how
// the buildroot was prepared: BuildRequires resolved and installed), `hw_info.log` (the
// machine the build ran on), `state.log` (the build's phases, state-log.ts),
// `installed_pkgs.log` (the packages of the buildroot) and `configs.tar.gz` (the chroot's
// mock config as the task defines it, `configs/child.cfg`, the file copr-rpmbuild writes,
// with the configuration it builds on). They are written into the agent's meta dir, which
// the sandbox cannot touch, and shipped on success and failure. Copr ships its logs
// gzipped (mock's compress_logs), all but installed_pkgs.log: see shippedName.
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runOrFail } from './run-command.js';
import type { StageContext } from './stage-context.js';
import type { ResultFile } from './stage-result.js';
import { STATE_LOG } from './state-log.js';
import type { RpmTask } from './task.js';

export const ROOT_LOG = 'root.log';
export const HW_INFO_LOG = 'hw_info.log';
export const INSTALLED_PKGS_LOG = 'installed_pkgs.log';
export const CONFIGS_TARBALL = 'configs.tar.gz';

/** Agent-written result files, in the order they are shipped. */
const META_RESULTS = ['build.log', ROOT_LOG, STATE_LOG, HW_INFO_LOG, INSTALLED_PKGS_LOG, CONFIGS_TARBALL] as const;

/** Logs Copr's result dir keeps as they are: the package list, and the live log (gzipped by the service when the task closes). */
const PLAIN_LOGS: readonly string[] = [INSTALLED_PKGS_LOG, 'builder-live.log'];

/**
 * The name a result file is shipped as: Copr's builders gzip their logs (`build.log.gz`,
 * `root.log.gz`, `state.log.gz`, `hw_info.log.gz`), so clients ask for those names
 * (`copr-cli download-build --logs` fetches `*.log.gz`); null when shipped unchanged.
 */
export function gzippedName(relativePath: string): string | null {
  if (!relativePath.endsWith('.log') || PLAIN_LOGS.includes(basename(relativePath))) return null;
  return `${relativePath}.gz`;
}

export function rootLogPath(metaDir: string): string {
  return join(metaDir, ROOT_LOG);
}

/** The meta-dir result files that exist, minus names the build itself produced (mock's own logs). */
export function metaResultFiles(metaDir: string, producedNames: readonly string[] = []): ResultFile[] {
  return META_RESULTS.filter((name) => !producedNames.includes(name) && existsSync(join(metaDir, name))).map((name) => ({
    relativePath: name,
    localFile: join(metaDir, name),
  }));
}

/** A Python string literal (mock configs are Python). */
function py(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
}

/** A value for a dnf.conf line inside a triple-quoted Python string. */
function iniValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', ' ');
}

/**
 * The mock config of this task, in the shape copr-rpmbuild gives mock: the chroot's own
 * config included, then Copr's settings: macros, buildroot packages, network, and the
 * task's repos appended to dnf.conf with their priorities.
 */
export function childConfig(task: RpmTask, macros: Record<string, string>): string {
  const lines = [
    `include('/etc/mock/${task.chroot}.cfg')`,
    '',
    `config_opts['root'] = ${py(`${task.task_id}`)}`,
    `config_opts['chroot_additional_packages'] = [${task.buildroot_pkgs.map(py).join(', ')}]`,
    `config_opts['rpmbuild_networking'] = ${task.enable_net ? 'True' : 'False'}`,
    `config_opts['use_host_resolv'] = ${task.enable_net ? 'True' : 'False'}`,
    `config_opts['rpmbuild_timeout'] = ${Math.floor(task.timeout)}`,
    '',
    ...Object.entries(macros).map(([name, value]) => `config_opts['macros']['%${name}'] = ${py(value)}`),
  ];
  for (const opt of task.with_opts) lines.push(`config_opts['macros']['%_with_${opt}'] = '--with-${opt}'`);
  for (const opt of task.without_opts) lines.push(`config_opts['macros']['%_without_${opt}'] = '--without-${opt}'`);
  if (task.repos.length > 0) {
    lines.push('', `config_opts['dnf.conf'] += """`);
    for (const repo of task.repos) {
      lines.push(`[${repo.id}]`, `name="${iniValue(repo.name)}"`, `baseurl=${iniValue(repo.baseurl)}`, 'gpgcheck=0', 'enabled=1');
      lines.push('skip_if_unavailable=False', 'metadata_expire=0', 'cost=1', 'best=1');
      if (repo.priority !== null && repo.priority !== undefined) lines.push(`priority=${repo.priority}`);
      if (repo.module_hotfixes) lines.push('module_hotfixes=true');
      lines.push('');
    }
    lines.push('"""');
  }
  return `${lines.join('\n')}\n`;
}

export interface ConfigsContent {
  /** A directory copied in whole below `configs/` (the host's /etc/mock, as copr-rpmbuild copies it). */
  hostConfigDir?: string;
  /** Files put below `configs/macros/` (the rpm macro files a bwrap build loads); regular files only. */
  macroFiles?: readonly string[];
}

/**
 * Writes configs.tar.gz into the meta dir: `configs/child.cfg`, plus what the build used
 * besides it. Written again when more is known (after the buildroot preparation), so a
 * build that fails before still ships the child config.
 */
export async function writeConfigsTarball(
  metaDir: string,
  task: RpmTask,
  macros: Record<string, string>,
  signal: AbortSignal,
  content: ConfigsContent = {},
): Promise<void> {
  const stage = join(metaDir, 'configs-stage');
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'configs'), { recursive: true });
  // The host's mock configuration, for reproducing the build; mock itself reads child.cfg.
  if (content.hostConfigDir !== undefined && existsSync(content.hostConfigDir)) {
    await cp(content.hostConfigDir, join(stage, 'configs'), { recursive: true, dereference: false, verbatimSymlinks: true });
  }
  if (content.macroFiles !== undefined && content.macroFiles.length > 0) {
    await mkdir(join(stage, 'configs', 'macros'), { recursive: true });
    for (const file of content.macroFiles) {
      // Files in the work dir are the sandbox's to change: a symlink is not followed.
      const st = await lstat(file).catch(() => null);
      if (st?.isFile()) await cp(file, join(stage, 'configs', 'macros', basename(file)));
    }
  }
  await writeFile(join(stage, 'configs', 'child.cfg'), childConfig(task, macros));
  // Our own file, on the host: no sandbox needed. Fixed owner and mtime-independent names.
  await runOrFail(
    ['tar', '-C', stage, '--owner=0', '--group=0', '--numeric-owner', '-czf', join(metaDir, CONFIGS_TARBALL), 'configs'],
    { signal },
    'packing configs.tar.gz failed',
  );
}

/** Writes hw_info.log: CPUs, memory and the free space where the build ran. */
export async function writeHwInfo(metaDir: string, workDir: string): Promise<void> {
  const cpuList = cpus();
  const fs = await statfs(workDir);
  const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
  const text = [
    'CPU info:',
    `  ${cpuList.length} x ${cpuList[0]?.model ?? 'unknown CPU'}`,
    '',
    'Memory:',
    `  total ${mib(totalmem())}, free ${mib(freemem())}`,
    '',
    'Storage (build dir):',
    `  total ${mib(fs.blocks * fs.bsize)}, available ${mib(fs.bavail * fs.bsize)}`,
    '',
  ].join('\n');
  await writeFile(join(metaDir, HW_INFO_LOG), text);
}

/**
 * Writes installed_pkgs.log, the buildroot's packages as mock's package_state lists them
 * (`NEVRA buildtime size sigmd5 installed`, sorted). A bwrap build's buildroot is the host
 * plus the packages unpacked from the build's repositories: those are listed (read
 * sandboxed, they are downloaded files); the host tools that satisfied the rest are not
 * RPMs and are named in root.log instead.
 */
export async function writeInstalledPkgs(ctx: StageContext, packageFiles: readonly string[]): Promise<void> {
  let lines: string[] = [];
  if (packageFiles.length > 0) {
    const qf = '%{NEVRA} %{BUILDTIME} %{SIZE} %{SIGMD5} installed\\n';
    const argv = ctx.sandbox.commandArgv({
      argv: ['rpm', '-qp', '--nosignature', '--nodigest', '--qf', qf, ...packageFiles],
      cwd: ctx.workDir,
      workDir: ctx.workDir,
      enableNet: false,
      chroot: null,
    });
    const res = await runOrFail(argv, { signal: ctx.signal }, 'cannot list the buildroot packages');
    lines = res.stdout.split('\n').filter((l) => l.length > 0).sort();
  }
  await writeFile(join(ctx.metaDir, INSTALLED_PKGS_LOG), lines.map((l) => `${l}\n`).join(''));
}
