// Reads package facts with the rpm tools: NEVRA of a package file, architecture tags of a
// spec per distribution, the spec inside an SRPM. Every one of them runs INSIDE the
// sandbox, offline: parsing a spec executes its %(...) shell macros, and rpm2cpio/cpio
// unpack a stranger's archive; neither may happen in the agent's own context.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { distroMacros, type DistOptions } from './chroot.js';
import { BuildFailedError } from './errors.js';
import { runCommand, runOrFail } from './run-command.js';
import type { ArchTags, BuiltPackage } from './task.js';
import { defineArgs, type Sandbox } from './sandbox.js';

/** What a query needs: the sandbox, the task's work dir (the only dir it sees) and the abort signal. */
export interface QueryScope {
  sandbox: Sandbox;
  workDir: string;
  signal: AbortSignal;
}

function sandboxed(scope: QueryScope, argv: readonly string[], cwd: string = scope.workDir): string[] {
  return scope.sandbox.commandArgv({ argv, cwd, workDir: scope.workDir, enableNet: false, chroot: null });
}

const SEP = '\u001f';

function epochOf(raw: string): number | null {
  return raw === '(none)' || raw === '' ? null : Number(raw);
}

/** NEVRA of an .rpm or .src.rpm file; arch is "src" for source packages, as Copr reports it. */
export async function queryPackage(scope: QueryScope, file: string): Promise<BuiltPackage> {
  const qf = ['%{NAME}', '%{EPOCH}', '%{VERSION}', '%{RELEASE}', '%{ARCH}', '%{SOURCERPM}'].join(SEP);
  const argv = sandboxed(scope, ['rpm', '-qp', '--nosignature', '--qf', qf, file]);
  const { code, stdout, output } = await runCommand(argv, { signal: scope.signal });
  const [name, epoch, version, release, arch, sourceRpm] = stdout.split(SEP);
  if (code !== 0 || !name || version === undefined || release === undefined || arch === undefined) {
    throw new BuildFailedError(`not an RPM package: ${file.split('/').pop()} (${output.trim().split('\n')[0] ?? ''})`);
  }
  const isSource = sourceRpm === '(none)';
  return { name, epoch: epochOf(epoch ?? ''), version, release, arch: isSource ? 'src' : arch };
}

/** Fails unless `file` is a source RPM. */
export async function assertSrpm(scope: QueryScope, file: string): Promise<BuiltPackage> {
  const pkg = await queryPackage(scope, file);
  if (pkg.arch !== 'src') throw new BuildFailedError(`not a source RPM: ${file.split('/').pop()} is a binary package`);
  return pkg;
}

function toTags(exclusive: string, exclude: string, build: string): ArchTags {
  const tags: ArchTags = {};
  const list = (raw: string): string[] => raw.split(' ').filter((w) => w.length > 0);
  // Only non-empty lists are written: an empty exclusivearch would read as "no arch at all".
  if (list(exclusive).length > 0) tags.exclusivearch = list(exclusive);
  if (list(exclude).length > 0) tags.excludearch = list(exclude);
  if (list(build).length > 0) tags.buildarch = list(build);
  return tags;
}

const ARCH_QF = ['[%{EXCLUSIVEARCH} ]', '[%{EXCLUDEARCH} ]', '[%{BUILDARCHS} ]'].join(SEP);

/**
 * ExclusiveArch/ExcludeArch/BuildArch per distribution. The spec is evaluated once per
 * distribution because %if %{fedora} blocks may change them; when the spec cannot be
 * parsed on this host the SRPM header (one evaluation) is used for every distribution.
 */
export async function architectureTags(
  scope: QueryScope,
  spec: string,
  srpm: string,
  distributions: readonly string[],
  distOptions: DistOptions = {},
): Promise<Record<string, ArchTags>> {
  const { signal } = scope;
  const fromHeader = await runOrFail(sandboxed(scope, ['rpm', '-qp', '--nosignature', '--qf', ARCH_QF, srpm]), { signal }, 'rpm -qp failed');
  const [hx = '', he = '', hb = ''] = fromHeader.stdout.split(SEP);
  const result: Record<string, ArchTags> = {};
  for (const distro of distributions) {
    const macros = defineArgs(distroMacros(distro, distOptions));
    const parsed = await runCommand(sandboxed(scope, ['rpmspec', '-q', '--srpm', ...macros, '--qf', ARCH_QF, spec]), { signal });
    const [x = '', e = '', b = ''] = parsed.code === 0 ? parsed.stdout.split(SEP) : [hx, he, hb];
    result[distro] = toTags(x, e, b);
  }
  return result;
}

/** Extracts the *.spec from an SRPM into `destDir`; returns its path. */
export async function extractSpec(scope: QueryScope, srpm: string, destDir: string): Promise<string> {
  await mkdir(destDir, { recursive: true });
  const script = 'rpm2cpio "$1" | cpio -idm --quiet "*.spec"';
  const argv = sandboxed(scope, ['bash', '-c', script, 'extract-spec', srpm], destDir);
  await runOrFail(argv, { signal: scope.signal }, 'cannot extract the spec from the SRPM');
  const specs = (await readdir(destDir)).filter((f) => f.endsWith('.spec'));
  const spec = specs[0];
  if (spec === undefined || specs.length > 1) throw new BuildFailedError('the SRPM does not contain exactly one .spec file');
  return join(destDir, spec);
}

/** Source file names (basenames) a spec declares, as the SRPM header would list them. */
export async function specSources(scope: QueryScope, spec: string): Promise<string[]> {
  const argv = sandboxed(scope, ['rpmspec', '-q', '--srpm', '--qf', '[%{SOURCE}\n]', spec]);
  const res = await runOrFail(argv, { signal: scope.signal }, 'cannot parse the spec');
  return res.stdout.split('\n').filter((s) => s.length > 0);
}

/** Name and version a spec declares (for generated tarball names). */
export async function specNameVersion(scope: QueryScope, spec: string): Promise<{ name: string; version: string }> {
  const argv = sandboxed(scope, ['rpmspec', '-q', '--srpm', '--qf', `%{NAME}${SEP}%{VERSION}`, spec]);
  const res = await runOrFail(argv, { signal: scope.signal }, 'cannot parse the spec');
  const [name = '', version = ''] = res.stdout.split(SEP);
  return { name, version };
}
