// `distgit` sources: a dist-git repository, as upstream's dist-git-client builds it: the spec in
// the instance's spec dir, the tarballs its sources file names fetched from the instance's
// lookaside cache (lookaside.ts), then rpmbuild -bs with the instance's sources dir.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BuildFailedError } from '../errors.js';
import { specSources } from '../rpm-query.js';
import type { StageContext } from '../stage-context.js';
import { DistgitSourceSchema, type SrpmTask } from '../task.js';
import { cloneAt } from './git.js';
import { fetchLookasideSources, insideRepo, lookasideFor } from './lookaside.js';
import { buildSrpmFromSpec, locateSpec, type ProducedSrpm } from './spec-build.js';

export async function srpmFromDistgit(ctx: StageContext, task: SrpmTask, source: unknown): Promise<ProducedSrpm> {
  const src = DistgitSourceSchema.parse(source);
  const repo = await cloneAt(ctx, src.clone_url, src.committish, 'distgit');
  const instance = lookasideFor(ctx, src.clone_url);
  const specDir = insideRepo(repo, instance?.specs ?? '.', 'distgit: the spec directory');
  if (!existsSync(specDir)) throw new BuildFailedError(`distgit: the repository has no ${instance?.specs ?? '.'} directory (instance ${instance?.name ?? 'none'})`);
  const named = task.package_name ? `${task.package_name}.spec` : null;
  const spec = await locateSpec(specDir, named && existsSync(join(specDir, named)) ? named : null, 'distgit');
  const sourcesRel = instance?.sources ?? '.';
  await fetchLookasideSources(ctx, {
    repo,
    cloneUrl: src.clone_url,
    sourcesFile: (instance?.sources_file ?? 'sources').replaceAll('{name}', basename(spec, '.spec')),
    sourcesDir: sourcesRel,
    instance,
    what: 'distgit',
  });
  const sourceDir = insideRepo(repo, sourcesRel, 'distgit: the sources directory');
  const missing = (await specSources(ctx, spec)).filter((s) => !existsSync(join(sourceDir, s)));
  if (missing.length > 0) {
    throw new BuildFailedError(`distgit: sources ${missing.join(', ')} are neither in the repository nor in its sources file`);
  }
  return buildSrpmFromSpec(ctx, spec, sourceDir);
}
