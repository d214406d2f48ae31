// `rubygems` sources: RubyGems API → .gem → generated spec → SRPM.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { downloadFile, fetchJson } from '../download.js';
import { BuildFailedError } from '../errors.js';
import type { StageContext } from '../stage-context.js';
import { RubygemsSourceSchema } from '../task.js';
import { buildSrpmFromSpec, type ProducedSrpm } from './spec-build.js';
import { gemSpec } from './spec-templates.js';

const GemInfoSchema = z.looseObject({
  name: z.string().regex(/^[\w.-]+$/),
  version: z.string().regex(/^[\w.+-]+$/),
  info: z.string().nullish(),
  licenses: z.array(z.string()).nullish(),
  homepage_uri: z.string().nullish(),
  gem_uri: z.string().nullish(),
});

export async function srpmFromRubygems(ctx: StageContext, source: unknown): Promise<ProducedSrpm> {
  const { gem_name: gemName } = RubygemsSourceSchema.parse(source);
  const host = ctx.config.rubygemsUrl.replace(/\/+$/, '');
  const apiUrl = `${host}/api/v1/gems/${encodeURIComponent(gemName)}.json`;
  ctx.log(`Fetching RubyGems metadata ${apiUrl}\n`);
  const parsed = GemInfoSchema.safeParse(await fetchJson(apiUrl, { fetch: ctx.fetch, signal: ctx.signal }));
  if (!parsed.success) throw new BuildFailedError(`rubygems: unexpected metadata from ${apiUrl}`);
  const gem = parsed.data;
  const gemFileName = `${gem.name}-${gem.version}.gem`;
  const gemUrl = gem.gem_uri ?? `${host}/gems/${gemFileName}`;
  const dir = join(ctx.workDir, 'rubygems');
  await mkdir(dir, { recursive: true });
  ctx.log(`Downloading gem ${gemUrl}\n`);
  await downloadFile(gemUrl, join(dir, gemFileName), { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
  const spec = join(dir, `rubygem-${gem.name}.spec`);
  const url = gem.homepage_uri ?? `${host}/gems/${gem.name}`;
  await writeFile(spec, gemSpec({ name: gem.name, version: gem.version, summary: gem.info, license: gem.licenses?.[0], url, gemFileName }));
  return buildSrpmFromSpec(ctx, spec, dir);
}
