// `scm` sources built with Copr's tito methods: `tito build --srpm` in the clone, from the
// package's latest tito tag (`tito`), or from the checked-out commit as a test build with
// the commit in the release (`tito_test`, tito's `--test`). The real tito (PyPI, installed by
// scripts/ensure-tito.sh) runs inside the sandbox: it evaluates the repository's spec.
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { runLogged, type StageContext } from '../stage-context.js';
import type { SrpmTask } from '../task.js';
import { findSingleSrpm, type ProducedSrpm } from './spec-build.js';

export async function srpmWithTito(ctx: StageContext, task: SrpmTask, repo: string, dir: string, test: boolean): Promise<ProducedSrpm> {
  const installed = ctx.config.titoDir;
  if (!existsSync(join(installed, 'bin', 'tito'))) {
    throw new BuildFailedError('SCM method tito: tito is not installed on this builder (scripts/ensure-tito.sh)');
  }
  if (!existsSync(join(repo, '.tito'))) throw new BuildFailedError('SCM method tito: the repository has no .tito directory (tito init)');
  // The sandbox sees only the work dir: tito goes there, read by the build's own python3.
  const lib = join(ctx.workDir, 'tito-lib');
  await cp(installed, lib, { recursive: true });
  const outDir = join(ctx.workDir, 'srpm-out');
  await mkdir(outDir, { recursive: true });
  const argv = ctx.sandbox.commandArgv({
    argv: ['/usr/bin/python3', join(lib, 'bin', 'tito'), 'build', '--srpm', '--offline', ...(test ? ['--test'] : []), `--output=${outDir}`],
    cwd: dir,
    workDir: ctx.workDir,
    enableNet: false,
    chroot: task.chroot ?? null,
    env: {
      PYTHONPATH: lib,
      // The clone belongs to the agent's user, not the sandbox's: git must still read it.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'safe.directory',
      GIT_CONFIG_VALUE_0: '*',
    },
  });
  const res = await runLogged(ctx, argv);
  if (res.code !== 0) {
    const tail = res.output.trim().split('\n').slice(-3).join(' | ');
    throw new BuildFailedError(`SCM method ${test ? 'tito_test' : 'tito'}: tito build failed (exit ${res.code ?? 'signal'})${tail ? `: ${tail}` : ''}`);
  }
  return { srpm: await findSingleSrpm(outDir, 'tito build --srpm') };
}
