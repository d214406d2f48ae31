// `link` and `upload` sources: a URL of a ready SRPM, or of a .spec to build one from.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile } from '../download.js';
import { assertSrpm } from '../rpm-query.js';
import type { StageContext } from '../stage-context.js';
import { LinkSourceSchema } from '../task.js';
import { buildSrpmFromSpec, type ProducedSrpm } from './spec-build.js';

/** The file name a URL points at, made safe to use as a local file name. */
export function fileNameFromUrl(url: string, fallback: string): string {
  let last = '';
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    last = '';
  }
  const safe = last.replace(/[^\w.+~-]/g, '_');
  return safe === '' || safe.startsWith('.') ? fallback : safe;
}

export async function srpmFromLink(ctx: StageContext, source: unknown): Promise<ProducedSrpm> {
  const { url, pkg } = LinkSourceSchema.parse(source);
  const name = fileNameFromUrl(pkg ? `http://x/${encodeURIComponent(pkg)}` : url, 'download.src.rpm');
  if (name.endsWith('.spec')) {
    const specDir = join(ctx.workDir, 'spec-src');
    await mkdir(specDir, { recursive: true });
    ctx.log(`Downloading spec ${url}\n`);
    await downloadFile(url, join(specDir, name), { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
    // Like Copr's mock --buildsrpm for spec URLs: Source URLs in the spec are fetched.
    return buildSrpmFromSpec(ctx, join(specDir, name), specDir, { fetchRemoteSources: true });
  }
  const outDir = join(ctx.workDir, 'srpm-out');
  await mkdir(outDir, { recursive: true });
  const dest = join(outDir, name.endsWith('.rpm') ? name : `${name}.src.rpm`);
  ctx.log(`Downloading SRPM ${url}\n`);
  await downloadFile(url, dest, { fetch: ctx.fetch, signal: ctx.signal, maxBytes: ctx.config.maxDownloadBytes });
  await assertSrpm(dest, ctx.signal);
  return { srpm: dest };
}
