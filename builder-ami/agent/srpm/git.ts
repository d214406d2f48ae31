// Git steps shared by the scm and distgit providers. Cloning and checkout run on the host
// (like Copr's providers; they execute nothing from the repository); everything that
// evaluates repository content (spec parsing, git archive, make) runs in the sandbox.
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { runLoggedOrFail, type StageContext } from '../stage-context.js';

/** Network transports a clone URL may use; `file` (paths, file://) only when allowed. */
const REMOTE_PROTOCOLS = ['http', 'https', 'git', 'ssh'];

function isLocalGitUrl(url: string): boolean {
  if (/^file:/i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  // scp-like "host:path" is ssh; anything else without a scheme is a path on this machine.
  return !/^[^/:]+:/.test(url);
}

/** Clones `url` into `<workDir>/<dirName>` and checks out `committish` when given. */
export async function cloneAt(ctx: StageContext, url: string, committish: string | null | undefined, dirName: string): Promise<string> {
  const dir = join(ctx.workDir, dirName);
  const allowLocal = ctx.config.allowLocalGitSources;
  if (!allowLocal && isLocalGitUrl(url)) {
    throw new BuildFailedError(`git clone of ${url} refused: clone URLs must be remote (http, https, git or ssh)`);
  }
  // GIT_TERMINAL_PROMPT=0: a private repository must fail, not wait for a password forever.
  // GIT_ALLOW_PROTOCOL: also for submodules and redirects, no file, ext or fd transports.
  const protocols = allowLocal ? [...REMOTE_PROTOCOLS, 'file'] : REMOTE_PROTOCOLS;
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: protocols.join(':') };
  await runLoggedOrFail(ctx, ['git', 'clone', '--quiet', '--', url, dir], `git clone of ${url} failed`, { env });
  if (committish) {
    await runLoggedOrFail(ctx, ['git', '-C', dir, 'checkout', '--quiet', committish, '--'], `git checkout of ${committish} failed`, { env });
  }
  return dir;
}

/** `<repo>/<subdirectory>`, refusing paths that leave the clone. */
export function subdirOf(repo: string, subdirectory: string | null | undefined): string {
  const dir = resolve(repo, subdirectory ?? '.');
  if (dir !== repo && !dir.startsWith(`${repo}/`)) throw new BuildFailedError(`subdirectory ${subdirectory} leaves the repository`);
  if (!existsSync(dir)) throw new BuildFailedError(`subdirectory ${subdirectory} does not exist in the repository`);
  // A committed symlink could point the host-side steps (spec lookup) anywhere.
  const real = realpathSync(dir);
  const realRepo = realpathSync(repo);
  if (real !== realRepo && !real.startsWith(`${realRepo}/`)) throw new BuildFailedError(`subdirectory ${subdirectory} leaves the repository`);
  return dir;
}
