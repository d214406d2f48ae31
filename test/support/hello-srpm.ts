import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The small noarch package the end-to-end tests and the cloud rehearsal build: it
 * installs `/usr/bin/<name>`, which prints `hello from <name>`. AutoReq is off (an
 * empty installroot has no /bin/sh).
 */
export interface HelloOptions {
  version?: string;
  /** Words for the Summary: what the package is for. */
  purpose?: string;
  /** The build stage fails on purpose. */
  fail?: boolean;
  /** The build runs this long, one numbered line a second (for following the live log). */
  progressSeconds?: number;
  /** Incompressible padding as a Source0, so the SRPM is this much larger (upload limits). */
  padBytes?: number;
  /** BuildArch (default noarch): binary packages of another arch for the upload checks. */
  buildArch?: string;
  /** An Epoch tag (the header check reads it). */
  epoch?: number;
}

export function helloSpec(name: string, opts: HelloOptions = {}): string {
  return [
    `Name: ${name}`,
    `Version: ${opts.version ?? '1.0'}`,
    ...(opts.epoch !== undefined ? [`Epoch: ${opts.epoch}`] : []),
    'Release: 1%{?dist}',
    `Summary: ${name} ${opts.purpose ?? 'for the tests'}`,
    'License: MIT',
    // A binary arch comes from `rpmbuild --target` (BuildArch names only arches this host can build).
    ...(opts.buildArch === undefined || opts.buildArch === 'noarch' ? ['BuildArch: noarch'] : []),
    'AutoReq: no',
    ...(opts.padBytes ? ['Source0: padding.bin'] : []),
    '%description',
    `${name} prints a greeting.`,
    '%prep',
    '%build',
    ...(opts.fail ? ['echo "this build fails on purpose" >&2', 'exit 1'] : []),
    ...(opts.progressSeconds ? [`i=0; while [ $i -lt ${opts.progressSeconds} ]; do i=$((i+1)); echo "${name} progress $i"; sleep 1; done`] : []),
    '%install',
    'mkdir -p %{buildroot}%{_bindir}',
    `printf '#!/bin/sh\\necho hello from ${name}\\n' > %{buildroot}%{_bindir}/${name}`,
    `chmod 0755 %{buildroot}%{_bindir}/${name}`,
    '%files',
    `%{_bindir}/${name}`,
    '',
  ].join('\n');
}

/** Builds `<name>-<version>-1.src.rpm` into `dir` with rpmbuild; returns its path. */
export async function makeHelloSrpm(dir: string, name: string, opts: HelloOptions = {}): Promise<string> {
  const top = join(dir, `.top-${name}`);
  await mkdir(top, { recursive: true });
  const spec = join(top, `${name}.spec`);
  if (opts.padBytes) await writeFile(join(top, 'padding.bin'), randomBytes(opts.padBytes));
  await writeFile(spec, helloSpec(name, opts));
  const define = (macro: string) => ['--define', macro];
  await promisify(execFile)('rpmbuild', ['-bs', ...define(`_topdir ${top}`), ...define(`_sourcedir ${top}`), ...define(`_srcrpmdir ${dir}`), ...define('dist %{nil}'), spec]);
  await rm(top, { recursive: true, force: true });
  return join(dir, `${name}-${opts.version ?? '1.0'}-1.src.rpm`);
}

/**
 * Builds the binary `<name>-<version>-1.<arch>.rpm` into `dir` with rpmbuild -bb (what
 * copr-cli uploadrpm sends); returns its path. The payload is a shell script, so any
 * BuildArch builds on this host.
 */
export async function makeHelloRpm(dir: string, name: string, opts: HelloOptions = {}): Promise<string> {
  const top = join(dir, `.top-bin-${name}`);
  await mkdir(top, { recursive: true });
  const spec = join(top, `${name}.spec`);
  await writeFile(spec, helloSpec(name, opts));
  const define = (macro: string) => ['--define', macro];
  await promisify(execFile)('rpmbuild', [
    '-bb', ...(opts.buildArch && opts.buildArch !== 'noarch' ? ['--target', opts.buildArch] : []), ...define(`_topdir ${top}`), ...define(`_rpmdir ${dir}`), ...define('_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm'),
    ...define('dist %{nil}'), ...define('_build_id_links none'), spec,
  ]);
  await rm(top, { recursive: true, force: true });
  return join(dir, `${name}-${opts.version ?? '1.0'}-1.${opts.buildArch ?? 'noarch'}.rpm`);
}
