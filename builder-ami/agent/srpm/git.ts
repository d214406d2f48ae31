// Git steps shared by the scm and distgit providers. Cloning and checkout run on the host
// (like Copr's providers; they execute nothing from the repository); everything that
// evaluates repository content (spec parsing, git archive, make) runs in the sandbox.
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { runLoggedOrFail, type StageContext } from '../stage-context.js';

/** Clones `url` into `<workDir>/<dirName>` and checks out `committish` when given. */
export async function cloneAt(ctx: StageContext, url: string, committish: string | null | undefined, dirName: string): Promise<string> {
  const dir = join(ctx.workDir, dirName);
  // GIT_TERMINAL_PROMPT=0: a private repository must fail, not wait for a password forever.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
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
