// `distgit` sources: a dist-git repository (spec at the root). Lookaside downloads (the
// `sources` file) are not implemented, so every Source must be committed in the repo.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { specSources } from '../rpm-query.js';
import type { StageContext } from '../stage-context.js';
import { DistgitSourceSchema, type SrpmTask } from '../task.js';
import { cloneAt } from './git.js';
import { buildSrpmFromSpec, locateSpec, type ProducedSrpm } from './spec-build.js';

export async function srpmFromDistgit(ctx: StageContext, task: SrpmTask, source: unknown): Promise<ProducedSrpm> {
  const src = DistgitSourceSchema.parse(source);
  const repo = await cloneAt(ctx, src.clone_url, src.committish, 'distgit');
  const named = task.package_name ? `${task.package_name}.spec` : null;
  const spec = await locateSpec(repo, named && existsSync(join(repo, named)) ? named : null, 'distgit');
  const missing = (await specSources(ctx, spec)).filter((s) => !existsSync(join(repo, s)));
  if (missing.length > 0) {
    throw new BuildFailedError(
      `distgit: sources ${missing.join(', ')} are not in the repository (lookaside downloads are not supported by the local builder)`,
    );
  }
  return buildSrpmFromSpec(ctx, spec, repo);
}
