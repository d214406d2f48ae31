// SRPM stage: source → one SRPM, its spec and results.json (spec §4.5, §4.8).
import { basename, join } from 'node:path';
import { BuildFailedError } from './errors.js';
import { architectureTags, assertSrpm, extractSpec } from './rpm-query.js';
import { srpmFromCustom } from './srpm/custom.js';
import { srpmFromDistgit } from './srpm/distgit.js';
import { srpmFromLink } from './srpm/link.js';
import { srpmFromPypi } from './srpm/pypi.js';
import { srpmFromRubygems } from './srpm/rubygems.js';
import { srpmFromScm } from './srpm/scm.js';
import type { ProducedSrpm } from './srpm/spec-build.js';
import type { StageContext } from './stage-context.js';
import type { StageResult } from './stage-result.js';
import type { SrpmTask } from './task.js';

function decodeSource(task: SrpmTask): unknown {
  try {
    return JSON.parse(task.source_json);
  } catch {
    throw new BuildFailedError('invalid source_json: not valid JSON');
  }
}

function produce(ctx: StageContext, task: SrpmTask, source: unknown): Promise<ProducedSrpm> {
  switch (task.source_type) {
    case 'link':
    case 'upload':
      return srpmFromLink(ctx, source);
    case 'scm':
      return srpmFromScm(ctx, task, source);
    case 'pypi':
      return srpmFromPypi(ctx, source);
    case 'rubygems':
      return srpmFromRubygems(ctx, source);
    case 'custom':
      return srpmFromCustom(ctx, task, source);
    case 'distgit':
      return srpmFromDistgit(ctx, task, source);
  }
}

export async function runSrpmStage(ctx: StageContext, task: SrpmTask): Promise<StageResult> {
  const { srpm } = await produce(ctx, task, decodeSource(task));
  const pkg = await assertSrpm(ctx, srpm);
  const spec = await extractSpec(ctx, srpm, join(ctx.workDir, 'spec-from-srpm'));
  const distributions = task.distributions_in_build.length > 0 ? task.distributions_in_build : task.distributions_in_project;
  const tags = await architectureTags(ctx, spec, srpm, distributions, { rawhideVersion: ctx.config.rawhideVersion });
  ctx.log(`SRPM ${basename(srpm)}: ${pkg.name} ${pkg.epoch === null ? '' : `${pkg.epoch}:`}${pkg.version}-${pkg.release}\n`);
  return {
    files: [
      { relativePath: basename(srpm), localFile: srpm },
      { relativePath: basename(spec), localFile: spec },
    ],
    results: {
      name: pkg.name,
      epoch: pkg.epoch,
      version: pkg.version,
      release: pkg.release,
      architecture_specific_tags: tags,
    },
    srpmFilename: basename(srpm),
  };
}
