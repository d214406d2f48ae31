import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { resultKeyOf } from './result-key.js';

/**
 * `<name>.log` of a result dir that keeps only `<name>.log.gz`, as Copr's does (the
 * builder ships build.log.gz, root.log.gz, …; the service gzips the live log when the task
 * closes): the CDN asks S3 first and, on a miss, this answers with the unpacked text, as
 * the local results server does (functions/local/results-mount.ts), so links and readers
 * using the plain names keep working. A log longer than a Lambda answer may be shows its tail.
 */
export interface PackedLogResponse {
  readonly status: 200 | 404;
  readonly body: string;
}

/** A Lambda response stays well under its 6 MB limit. */
export const MAX_PACKED_VIEW_BYTES = 4 * 1024 * 1024;

export async function packedLogView(s3: S3Client, bucket: string, logKey: string, maxBytes = MAX_PACKED_VIEW_BYTES): Promise<PackedLogResponse> {
  let packed: Buffer;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${logKey}.gz` }));
    packed = res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return { status: 404, body: 'Not found\n' };
    throw err;
  }
  const text = gunzipSync(packed);
  if (text.length <= maxBytes) return { status: 200, body: text.toString('utf8') };
  const skipped = text.length - maxBytes;
  const name = logKey.slice(logKey.lastIndexOf('/') + 1);
  return { status: 200, body: `[... the first ${skipped} bytes are not shown here; the complete log is ${name}.gz]\n${text.subarray(skipped).toString('utf8')}` };
}

/** The bucket key of a `.../<name>.log` request path inside a result dir, or null (result-key.ts). */
export function packedLogKeyOf(rawPath: string): string | null {
  const k = resultKeyOf(rawPath);
  return k && k.name.endsWith('.log') ? k.key : null;
}
