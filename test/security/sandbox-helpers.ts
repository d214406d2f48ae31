// Helpers for the builder sandbox attack tests: SRPMs from spec text written by the test,
// TCP listeners that count who reached them, and the probe lines a hostile build prints.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { SourceType, TaskInput } from '../../builder-ami/agent/task.js';

/** Set while the TEST makes an SRPM, so spec macros that attack the builder stay quiet on the host. */
export const MAKING_SRPM_ENV = 'COPR_TEST_MAKING_SRPM';

/** Builds `<name>-1-1.src.rpm` from `specText` into `outDir` with the host's rpmbuild. */
export function srpmFromSpecText(name: string, specText: string, outDir: string): string {
  const top = join(outDir, `.top-${name}`);
  mkdirSync(top, { recursive: true });
  const spec = join(top, `${name}.spec`);
  writeFileSync(spec, specText);
  execFileSync('rpmbuild', ['-bs', '--define', `_topdir ${top}`, '--define', `_sourcedir ${top}`, '--define', `_srcrpmdir ${outDir}`, '--define', 'dist %{nil}', spec], {
    stdio: 'pipe',
    env: { ...process.env, [MAKING_SRPM_ENV]: '1' },
  });
  const made = readdirSync(outDir).find((f) => f.startsWith(`${name}-`) && f.endsWith('.src.rpm'));
  if (!made) throw new Error(`no SRPM for ${name}`);
  return join(outDir, made);
}

/** A minimal noarch spec with `body` as its %build section (no sources, empty %files). */
export function specWithBuild(name: string, body: string, preamble = ''): string {
  return `${preamble}Name: ${name}\nVersion: 1\nRelease: 1\nSummary: sandbox test\nLicense: MIT\nBuildArch: noarch\nAutoReq: no\n\n%description\nsandbox test\n\n%prep\n\n%build\n${body}\n\n%files\n`;
}

export interface CountingListener {
  port: number;
  /** Connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/** A TCP listener on `host` (a free port) that counts connections. */
export async function countingListener(host: string): Promise<CountingListener> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The host's first non-loopback IPv4 address (the container's or machine's own). */
export function hostAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) if (addr.family === 'IPv4' && !addr.internal) return addr.address;
  }
  return null;
}

/**
 * Shell lines for a probe: `probe <name> <command...>` prints `PROBE <name>=open` when the
 * command succeeds and `PROBE <name>=refused` otherwise. No % signs, so it can sit in a spec.
 */
// Results go to stderr, the stream rpmbuild's `set -x` trace uses: the agent merges stdout
// and stderr by chunks, so a result on stdout could be glued to a trace line mid-line.
export const PROBE_FUNCTION = `probe() { n="$1"; shift; if ( "$@" ) >/dev/null 2>&1; then echo "PROBE $n=open" >&2; else echo "PROBE $n=refused" >&2; fi; }`;

/** A TCP connect attempt as a probe command (bash /dev/tcp, 5 s cap). */
export function connectCmd(host: string, port: number): string {
  return `timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port}'`;
}

/** `PROBE name=value` lines of a log, by name (the last one wins). */
export function parseProbes(log: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of log.matchAll(/^PROBE ([\w.-]+)=(\w+)$/gm)) found.set(m[1] ?? '', m[2] ?? '');
  return found;
}

export function srpmTask(sourceType: SourceType, source: unknown, extra: Partial<TaskInput> = {}): TaskInput {
  return {
    kind: 'srpm',
    task_id: '77',
    build_id: 77,
    project_owner: 'mallory',
    project_name: 'attack',
    project_dirname: 'attack',
    timeout: 120,
    enable_net: false,
    package_name: null,
    source_type: sourceType,
    source_json: JSON.stringify(source),
    chroot: null,
    distributions_in_build: ['fedora-41'],
    distributions_in_project: ['fedora-41'],
    ...extra,
  } as TaskInput;
}

export function rpmTask(srpmUrl: string, extra: Partial<TaskInput> = {}): TaskInput {
  return {
    kind: 'rpm',
    task_id: '78-fedora-41-x86_64',
    build_id: 78,
    project_owner: 'mallory',
    project_name: 'attack',
    project_dirname: 'attack',
    timeout: 120,
    enable_net: false,
    package_name: null,
    chroot: 'fedora-41-x86_64',
    srpm_url: srpmUrl,
    ...extra,
  } as TaskInput;
}
