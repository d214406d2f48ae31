import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { LIVE_LOG_NAME, liveLogChunkPrefix, parseLiveLogChunkKey } from '../core/results-store.js';
import { packedLogView } from './s3-packed-log.js';
import { resultKeyOf } from './result-key.js';

/**
 * `builder-live.log` of a running build on the results CDN. Builders ship only the new
 * bytes of their log, and S3 has no append, so each part is an object of its own
 * (S3ResultsStore.writeLiveLogChunk). CloudFront asks S3 first; while the complete log is
 * not there yet it falls back to this view, which serves the chunks of the latest
 * attempt joined in order, up to the first missing one.
 */
export interface LiveLogResponse {
  readonly status: 200 | 404;
  readonly body: string;
}

/** A Lambda response stays well under its 6 MB limit: a longer live log shows its tail. */
export const MAX_LIVE_VIEW_BYTES = 4 * 1024 * 1024;

interface Chunk {
  key: string;
  offset: number;
  size: number;
}

export async function liveLogView(s3: S3Client, bucket: string, logKey: string, maxBytes = MAX_LIVE_VIEW_BYTES): Promise<LiveLogResponse> {
  const prefix = liveLogChunkPrefix(logKey);
  const byAttempt = new Map<number, Chunk[]>();
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of res.Contents ?? []) {
      const parsed = o.Key === undefined ? null : parseLiveLogChunkKey(prefix, o.Key);
      if (!parsed || o.Key === undefined) continue;
      const list = byAttempt.get(parsed.attempt) ?? [];
      list.push({ key: o.Key, offset: parsed.offset, size: o.Size ?? 0 });
      byAttempt.set(parsed.attempt, list);
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  const latest = Math.max(-1, ...byAttempt.keys());
  const chunks = (byAttempt.get(latest) ?? []).sort((a, b) => a.offset - b.offset);
  // Only the contiguous run from byte 0: a chunk still being resent leaves a hole after it.
  const run: Chunk[] = [];
  let end = 0;
  for (const c of chunks) {
    if (c.offset !== end) break;
    run.push(c);
    end += c.size;
  }
  // A finished build keeps only builder-live.log.gz (core/backend-log.ts), as Copr's does.
  if (run.length === 0) return packedLogView(s3, bucket, logKey, maxBytes);
  let from = run.length;
  let bytes = 0;
  while (from > 0 && bytes + (run[from - 1]?.size ?? 0) <= maxBytes) bytes += run[--from]?.size ?? 0;
  // A single chunk larger than the budget: show it anyway (chunks are at most 1 MiB).
  if (from === run.length) from = run.length - 1;
  const shown = run.slice(from);
  const parts = await Promise.all(shown.map((c) => getBytes(s3, bucket, c.key)));
  const skipped = run[from]?.offset ?? 0;
  const note = skipped > 0 ? `[... the first ${skipped} bytes are not shown here; the complete log is in place once the build ends]\n` : '';
  return { status: 200, body: note + Buffer.concat(parts).toString('utf8') };
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
}

/** Whether the CDN sent a live-log path here (results.ts LIVE_LOG_PATH: `.log`, `.log.gz`). */
export function isLiveLogPath(rawPath: string): boolean {
  return /\/builder-live\.log[^/]*$/.test(rawPath);
}

/** The bucket key of a `.../builder-live.log` request path, or null for any other path. */
export function liveLogKeyOf(rawPath: string): string | null {
  const k = resultKeyOf(rawPath);
  return k && k.name === LIVE_LOG_NAME ? k.key : null;
}
