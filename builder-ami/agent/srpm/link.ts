// `link` and `upload` sources: a URL of a ready SRPM, or of a .spec to build one from.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile } from '../download.js';
import { assertSrpm } from '../rpm-query.js';
import type { StageContext } from '../stage-context.js';
import { LinkSourceSchema } from '../task.js';
import { buildSrpmFromSpec, type ProducedSrpm } from './spec-build.js';

/** `raw` made safe to use as a local file name (no path parts, no hidden files). */
export function safeFileName(raw: string, fallback: string): string {
  const safe = raw.replace(/[^\w.+~-]/g, '_');
  return safe === '' || safe.startsWith('.') ? fallback : safe;
}

/** The file name a URL points at, made safe to use as a local file name. */
export function fileNameFromUrl(url: string, fallback: string): string {
  try {
    return safeFileName(decodeURIComponent(new URL(url).pathname.split('/').pop() ?? ''), fallback);
  } catch {
    return fallback;
  }
}

export async function srpmFromLink(ctx: StageContext, source: unknown): Promise<ProducedSrpm> {
  const { url, pkg } = LinkSourceSchema.parse(source);
  const name = pkg ? safeFileName(pkg, 'download.src.rpm') : fileNameFromUrl(url, 'download.src.rpm');
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
  await assertSrpm(ctx, dest);
  return { srpm: dest };
}
