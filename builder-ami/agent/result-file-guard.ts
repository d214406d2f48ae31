// The work dir is written by the build, so any path in it may be a symlink the build
// planted (build.log -> /etc/shadow, foo.spec -> ~/.config/copr). The agent reads result
// files as its own user; before it ships one, the file must be a regular file (not a
// symlink) whose real location is inside the task's dir.
import { lstat, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { BuildFailedError } from './errors.js';

export async function assertShippable(localFile: string, root: string): Promise<void> {
  const refuse = (why: string): BuildFailedError => new BuildFailedError(`refusing to upload ${basename(localFile)}: ${why}`);
  const st = await lstat(localFile).catch(() => null);
  if (st === null) throw refuse('it does not exist');
  if (!st.isFile()) throw refuse('not a regular file');
  const [real, realRoot] = await Promise.all([realpath(localFile), realpath(root)]);
  if (!real.startsWith(`${realRoot}/`)) throw refuse('it lies outside the build directory');
}
