// Which package of the build's repositories provides a requirement: `dnf repoquery`
// against the task's repos only (the project's own repository served by the Copr
// service, its additional repos), never the host's. It runs in the agent's context, not
// the sandbox, because the project repository is on the service's loopback address the
// sandbox's network namespace cannot reach; dnf only reads repository metadata here
// (no scriptlets, no spec parsing), into a private installroot and cache below metaDir.
import { join } from 'node:path';
import { runCommand } from './run-command.js';
import type { Repo } from './task.js';

export interface RepoPackage {
  name: string;
  evr: string;
  arch: string;
  /** Absolute URL of the .rpm. */
  url: string;
  repoId: string;
}

export interface RepoQueryScope {
  metaDir: string;
  signal: AbortSignal;
  log: (text: string) => void;
}

/** Repos dnf may read: http(s) only (a file:// URL would read the builder host's disk). */
export function usableRepos(repos: readonly Repo[]): { usable: Repo[]; skipped: Repo[] } {
  const usable: Repo[] = [];
  const skipped: Repo[] = [];
  for (const repo of repos) (/^https?:\/\//.test(repo.baseurl) ? usable : skipped).push(repo);
  return { usable, skipped };
}

const SEP = '\t';

function repoqueryArgv(scope: RepoQueryScope, repos: readonly Repo[], arch: string, releasever: string): string[] {
  return [
    'dnf', 'repoquery', '-q',
    `--installroot=${join(scope.metaDir, 'dnf-root')}`,
    `--setopt=cachedir=${join(scope.metaDir, 'dnf-cache')}`,
    '--setopt=reposdir=/dev/null',
    '--setopt=skip_if_unavailable=True',
    '--setopt=timeout=20',
    '--disableplugin=*',
    '--nogpgcheck',
    `--releasever=${releasever}`,
    ...repos.map((r) => `--repofrompath=${r.id},${r.baseurl}`),
    `--arch=${arch},noarch`,
  ];
}

const DNF_ENV = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' });

/**
 * Whether the repos provide any of `requirements` at all: one dnf run instead of one per
 * requirement in the common case where the project's packages provide none of them.
 */
export async function providesAny(
  scope: RepoQueryScope,
  repos: readonly Repo[],
  requirements: readonly string[],
  arch: string,
  releasever: string,
): Promise<boolean> {
  if (repos.length === 0 || requirements.length === 0) return false;
  const argv = [...repoqueryArgv(scope, repos, arch, releasever), '--qf', '%{name}', ...requirements.flatMap((r) => ['--whatprovides', r])];
  const res = await runCommand(argv, { signal: scope.signal, env: DNF_ENV() });
  // On a dnf error, ask per requirement (each failure is logged there).
  return res.code !== 0 || res.stdout.trim().length > 0;
}

/** The newest package of `repos` providing `requirement` for `arch` (or noarch); null when none does. */
export async function whatProvides(
  scope: RepoQueryScope,
  repos: readonly Repo[],
  requirement: string,
  arch: string,
  releasever: string,
): Promise<RepoPackage | null> {
  if (repos.length === 0) return null;
  const argv = [
    ...repoqueryArgv(scope, repos, arch, releasever),
    '--latest-limit=1',
    '--qf', ['%{name}', '%{epoch}', '%{version}', '%{release}', '%{arch}', '%{location}', '%{repoid}'].join(SEP),
    '--whatprovides', requirement,
  ];
  const res = await runCommand(argv, { signal: scope.signal, env: DNF_ENV() });
  if (res.code !== 0) {
    scope.log(`dnf repoquery for '${requirement}' failed (exit ${res.code ?? 'signal'}): ${res.output.trim().split('\n').slice(-2).join(' | ')}\n`);
    return null;
  }
  const lines = res.stdout.split('\n').filter((l) => l.includes(SEP));
  const rows = lines.map((l) => l.split(SEP));
  // --latest-limit is per name; prefer the chroot's arch over noarch, then the first repo in Copr's order.
  rows.sort((a, b) => Number(b[4] === arch) - Number(a[4] === arch));
  const [name, epoch, version, release, pkgArch, location, repoId] = rows[0] ?? [];
  if (!name || !version || !release || !pkgArch || !location || !repoId) return null;
  const repo = repos.find((r) => r.id === repoId);
  if (!repo) return null;
  const base = repo.baseurl.endsWith('/') ? repo.baseurl : `${repo.baseurl}/`;
  const evr = `${epoch && epoch !== '0' ? `${epoch}:` : ''}${version}-${release}`;
  return { name, evr, arch: pkgArch, url: new URL(location, base).href, repoId };
}
