// Downloads one URL to a file with a size cap, so a hostile or mistaken source URL cannot
// fill the builder's disk. Failures become readable fail reasons ("download failed: HTTP 404").
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { BuildFailedError } from './errors.js';

export type FetchFn = typeof fetch;

export interface DownloadOptions {
  fetch: FetchFn;
  signal: AbortSignal;
  maxBytes: number;
}

export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 ** 3;

async function writeCapped(body: ReadableStream<Uint8Array>, dest: string, maxBytes: number, url: string): Promise<void> {
  const out = createWriteStream(dest);
  let total = 0;
  try {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new BuildFailedError(`download failed: ${url} is larger than ${maxBytes} bytes`);
      }
      if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Fetches `url` into `dest`; throws BuildFailedError on HTTP errors, size overflow, network errors. */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  let res: Response;
  try {
    res = await opts.fetch(url, { signal: opts.signal, redirect: 'follow' });
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason;
    throw new BuildFailedError(`download failed: ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw new BuildFailedError(`download failed: HTTP ${res.status} for ${url}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > opts.maxBytes) {
    await res.body.cancel();
    throw new BuildFailedError(`download failed: ${url} is larger than ${opts.maxBytes} bytes`);
  }
  try {
    await writeCapped(res.body, dest, opts.maxBytes, url);
  } catch (err) {
    await rm(dest, { force: true });
    if (opts.signal.aborted) throw opts.signal.reason;
    if (err instanceof BuildFailedError) throw err;
    throw new BuildFailedError(`download failed: ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** Fetches and parses a JSON document (PyPI / RubyGems APIs), with the same error wording. */
export async function fetchJson(url: string, opts: Omit<DownloadOptions, 'maxBytes'>): Promise<unknown> {
  let res: Response;
  try {
    res = await opts.fetch(url, { signal: opts.signal, headers: { accept: 'application/json' } });
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason;
    throw new BuildFailedError(`download failed: ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new BuildFailedError(`download failed: HTTP ${res.status} for ${url}`);
  try {
    return await res.json();
  } catch (err) {
    throw new BuildFailedError(`bad JSON from ${url}`, { cause: err });
  }
}
