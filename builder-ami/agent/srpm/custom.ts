// `custom` sources: the user's script runs in the sandbox inside an empty result dir and
// must leave a .spec (plus its sources) there (or in source.resultdir below it).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkScriptBuilddeps } from '../build-requires.js';
import { BuildFailedError } from '../errors.js';
import { runLogged, type StageContext } from '../stage-context.js';
import { CustomSourceSchema, type SrpmTask } from '../task.js';
import { subdirOf } from './git.js';
import { buildSrpmFromSpec, locateSpec, type ProducedSrpm } from './spec-build.js';

export async function srpmFromCustom(ctx: StageContext, task: SrpmTask, source: unknown): Promise<ProducedSrpm> {
  const src = CustomSourceSchema.parse(source);
  // Copr installs these into the chroot first; a bwrap sandbox has only the host's tools.
  if (src.builddeps && !ctx.sandbox.installsBuildroot) checkScriptBuilddeps(ctx, src.builddeps);
  const base = join(ctx.workDir, 'custom');
  const resultDir = join(base, 'result');
  await mkdir(resultDir, { recursive: true });
  const script = join(base, 'script');
  await writeFile(script, src.script);
  await chmod(script, 0o755);
  // A custom webhook's body, for the script to read (Copr's `hook_payload` file).
  if (typeof src.hook_data === 'string') await writeFile(join(resultDir, 'hook_payload'), src.hook_data);
  // A script without a shebang is a shell script, as users write them in the web form.
  const argv = src.script.startsWith('#!') ? [script] : ['bash', script];
  const env: Record<string, string> = { COPR_RESULTDIR: resultDir };
  if (task.package_name) env.COPR_PACKAGE = task.package_name;
  const res = await runLogged(
    ctx,
    ctx.sandbox.commandArgv({ argv, cwd: resultDir, workDir: ctx.workDir, enableNet: ctx.enableNet, chroot: task.chroot ?? src.chroot ?? null, env }),
  );
  if (res.code !== 0) throw new BuildFailedError(`custom script failed (exit ${res.code ?? 'signal'}), see builder-live.log`);
  const specDir = subdirOf(resultDir, src.resultdir);
  const spec = await locateSpec(specDir, null, 'custom script');
  return buildSrpmFromSpec(ctx, spec, specDir);
}
