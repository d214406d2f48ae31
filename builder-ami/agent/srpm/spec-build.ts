// spec + sources → SRPM, inside the sandbox. Shared by every SRPM provider that ends with
// a spec file (spec URL, rpkg, pypi, rubygems, custom, distgit).
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { srpmStageMacroFiles } from '../local-build-prep.js';
import { runLoggedOrFail, type StageContext } from '../stage-context.js';

export interface ProducedSrpm {
  srpm: string;
}

/** Finds the single *.src.rpm directly in `dir`. */
export async function findSingleSrpm(dir: string, what: string): Promise<string> {
  const found = (await readdir(dir)).filter((f) => f.endsWith('.src.rpm'));
  const first = found[0];
  if (first === undefined) throw new BuildFailedError(`${what} produced no .src.rpm`);
  if (found.length > 1) throw new BuildFailedError(`${what} produced more than one .src.rpm: ${found.join(', ')}`);
  return join(dir, first);
}

/** Runs `rpmbuild -bs` (or mock --buildsrpm) for `spec` with sources from `sourceDir`. */
export async function buildSrpmFromSpec(
  ctx: StageContext,
  spec: string,
  sourceDir: string,
  options: { fetchRemoteSources?: boolean } = {},
): Promise<ProducedSrpm> {
  const outDir = join(ctx.workDir, 'srpm-out');
  await mkdir(outDir, { recursive: true });
  const argv = ctx.sandbox.buildSrpmArgv({
    workDir: ctx.workDir,
    spec,
    sourceDir,
    outDir,
    // Remote Source URLs need the network, which only a project with enable_net has.
    enableNet: options.fetchRemoteSources === true && ctx.enableNet,
    // Copr builds SRPMs without a dist tag: one SRPM serves every chroot.
    macroFiles: await srpmStageMacroFiles(ctx),
    defines: {
      ...ctx.buildMacros,
      dist: '%{nil}',
      ...(options.fetchRemoteSources ? { _disable_source_fetch: '0' } : {}),
    },
  });
  await runLoggedOrFail(ctx, argv, 'building the SRPM from the spec failed');
  return { srpm: await findSingleSrpm(outDir, 'rpmbuild -bs') };
}

/** The one *.spec in `dir` (or `dir/<given>` when a path is given). */
export async function locateSpec(dir: string, given: string | null | undefined, what: string): Promise<string> {
  if (given) return join(dir, given);
  const specs = (await readdir(dir)).filter((f) => f.endsWith('.spec'));
  const first = specs[0];
  if (first === undefined) throw new BuildFailedError(`${what}: no .spec file found`);
  if (specs.length > 1) throw new BuildFailedError(`${what}: more than one .spec file (${specs.join(', ')}); name one`);
  return join(dir, first);
}
