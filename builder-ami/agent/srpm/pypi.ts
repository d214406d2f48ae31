// `pypi` sources: PyPI JSON API → sdist → generated spec → SRPM.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { downloadFile, fetchJson } from '../download.js';
import { BuildFailedError } from '../errors.js';
import type { StageContext } from '../stage-context.js';
import { PypiSourceSchema } from '../task.js';
import { fileNameFromUrl } from './link.js';
import { buildSrpmFromSpec, type ProducedSrpm } from './spec-build.js';
import { pythonSpec } from './spec-templates.js';

const PypiReleaseSchema = z.object({
  info: z.looseObject({
    name: z.string(),
    version: z.string(),
    summary: z.string().nullish(),
    license: z.string().nullish(),
  }),
  urls: z.array(z.looseObject({ packagetype: z.string(), url: z.string(), filename: z.string().optional() })),
});

export async function srpmFromPypi(ctx: StageContext, source: unknown): Promise<ProducedSrpm> {
  const { pypi_package_name: name, pypi_package_version: version } = PypiSourceSchema.parse(source);
  const index = ctx.config.pypiIndexUrl.replace(/\/+$/, '');
  const apiUrl = `${index}/pypi/${encodeURIComponent(name)}${version ? `/${encodeURIComponent(version)}` : ''}/json`;
  ctx.log(`Fetching PyPI metadata ${apiUrl}\n`);
  const parsed = PypiReleaseSchema.safeParse(await fetchJson(apiUrl, { fetch: ctx.fetch, signal: ctx.signal }));
  if (!parsed.success) throw new BuildFailedError(`pypi: unexpected metadata from ${apiUrl}`);
  const { info, urls } = parsed.data;
  const sdist = urls.find((u) => u.packagetype === 'sdist');
  if (!sdist) throw new BuildFailedError(`pypi: ${info.name} ${info.version} has no source distribution (sdist)`);
  const fileName = sdist.filename ?? fileNameFromUrl(sdist.url, `${info.name}-${info.version}.tar.gz`);
  const dir = join(ctx.workDir, 'pypi');
  await mkdir(dir, { recursive: true });
  ctx.log(`Downloading sdist ${sdist.url}\n`);
  await downloadFile(sdist.url, join(dir, fileName), { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
  const spec = join(dir, `python-${info.name.toLowerCase()}.spec`);
  const projectUrl = `${index}/project/${info.name}/`;
  await writeFile(spec, pythonSpec({ ...info, url: projectUrl, sdistFileName: fileName }));
  return buildSrpmFromSpec(ctx, spec, dir);
}
