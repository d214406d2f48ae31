import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lib/handlers.js';

const run = promisify(execFile);

/**
 * The real clients, unmodified: copr-cli from .venv-test (PyPI) with a config file
 * as the dashboard hands it out, and Debian's dnf in a fresh installroot.
 */
export interface CommandResult {
  readonly ok: boolean;
  readonly out: string;
}

async function attempt(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  try {
    const r = await run(cmd, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 32 << 20, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

export class CoprCli {
  constructor(
    readonly configPath: string,
    private readonly cwd: string,
  ) {}

  static async configure(dir: string, cfg: { login: string; token: string; username: string; url: string }): Promise<CoprCli> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'copr.conf');
    const text = ['[copr-cli]', `login = ${cfg.login}`, `username = ${cfg.username}`, `token = ${cfg.token}`, `copr_url = ${cfg.url}`, 'gssapi = False',
      // The stand-ins serve plain HTTP on 127.0.0.1 (no TLS termination); copr-cli refuses that unless told.
      'encrypted = False', ''].join('\n');
    await writeFile(path, text, { mode: 0o600 });
    return new CoprCli(path, dir);
  }

  /** The file as the dashboard's API page shows it, saved as the user would save ~/.config/copr. */
  static async fromConfigText(dir: string, text: string): Promise<CoprCli> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'copr.conf');
    await writeFile(path, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
    return new CoprCli(path, dir);
  }

  run(args: string[], timeoutMs?: number): Promise<CommandResult> {
    return attempt(join(REPO_ROOT, '.venv-test/bin/copr-cli'), ['--config', this.configPath, ...args], { cwd: this.cwd, ...(timeoutMs ? { timeoutMs } : {}) });
  }
}

/** dnf in its own installroot with only the repo files in `reposdir` (gpgcheck as the repo file says). */
export async function dnf(work: string, name: string, reposdir: string, args: string[], options: string[] = []): Promise<CommandResult> {
  const root = join(work, `root-${name}`);
  await mkdir(root, { recursive: true });
  return attempt('dnf', [`--installroot=${root}`, '--releasever=44', `--setopt=reposdir=${reposdir}`, '--disableplugin=local', '--setopt=install_weak_deps=False', '--nodocs', '-y', ...options, ...args]);
}

/**
 * A dnf plugin configuration directory of the test's own (`--setopt=pluginconfpath=`):
 * the host's plugin settings plus a Copr hub `name` in `copr.d/`, as an admin adds a
 * hub to /etc/dnf/plugins/copr.d/ (the host's /etc is never touched). Returns the dnf
 * options that select it.
 */
export async function coprHubConfig(dir: string, name: string, hubUrl: string): Promise<string[]> {
  await mkdir(join(dir, 'copr.d'), { recursive: true });
  for (const f of await readdir('/etc/dnf/plugins').catch(() => [] as string[])) {
    if (f.endsWith('.conf')) await copyFile(join('/etc/dnf/plugins', f), join(dir, f));
  }
  const u = new URL(hubUrl);
  const protocol = u.protocol.replace(':', '');
  const port = u.port || (protocol === 'https' ? '443' : '80');
  await writeFile(join(dir, 'copr.d', `${name}.conf`), `[${name}]\nhostname = ${u.hostname}\nprotocol = ${protocol}\nport = ${port}\n`);
  return [`--setopt=pluginconfpath=${dir}`];
}

/** A noarch SRPM printing a greeting (AutoReq off: the installroot has no /bin/sh). */
export async function makeSrpm(dir: string, name: string, opts: { fail?: boolean; padBytes?: number; progressSeconds?: number } = {}): Promise<string> {
  const top = join(dir, `.top-${name}`);
  await mkdir(top, { recursive: true });
  const spec = join(top, `${name}.spec`);
  // Incompressible padding makes the SRPM as large as asked (for the upload limits).
  if (opts.padBytes) await writeFile(join(top, 'padding.bin'), randomBytes(opts.padBytes));
  await writeFile(
    spec,
    [
      `Name: ${name}`,
      'Version: 1.0',
      'Release: 1%{?dist}',
      `Summary: ${name} for the cloud rehearsal`,
      'License: MIT',
      'BuildArch: noarch',
      'AutoReq: no',
      ...(opts.padBytes ? ['Source0: padding.bin'] : []),
      '%description',
      `${name} prints a greeting.`,
      '%prep',
      '%build',
      ...(opts.fail ? ['echo "this build fails on purpose" >&2', 'exit 1'] : []),
      // A build that runs a while, one numbered line a second (for following the live log).
      ...(opts.progressSeconds ? [`i=0; while [ $i -lt ${opts.progressSeconds} ]; do i=$((i+1)); echo "${name} progress $i"; sleep 1; done`] : []),
      '%install',
      'mkdir -p %{buildroot}%{_bindir}',
      `printf '#!/bin/sh\\necho hello from ${name}\\n' > %{buildroot}%{_bindir}/${name}`,
      `chmod 0755 %{buildroot}%{_bindir}/${name}`,
      '%files',
      `%{_bindir}/${name}`,
      '',
    ].join('\n'),
  );
  await run('rpmbuild', ['-bs', '--define', `_topdir ${top}`, '--define', `_sourcedir ${top}`, '--define', `_srcrpmdir ${dir}`, '--define', 'dist %{nil}', spec]);
  return join(dir, `${name}-1.0-1.src.rpm`);
}
