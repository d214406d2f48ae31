import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type ListingEntry, renderIndexHtml } from '../publish/listing.js';

/**
 * Directory listings of the results bucket, as the results host serves them
 * (functions/local/results-mount.ts does the same locally): the index.html the
 * publisher wrote, else a live listing of the keys below the directory. Without
 * the live one, the result directory of a failed or running build (which no
 * publish ever lists) would be a 404 and `copr-cli download-build` would get nothing.
 */
export interface ListingResponse {
  readonly status: 200 | 301 | 400 | 404;
  readonly body: string;
  readonly location?: string;
}

/** Key prefixes never listed: uploaded SRPMs (private) and the publisher's staging names. */
const HIDDEN = (name: string): boolean => name.startsWith('.') || name.startsWith('_') || name === 'index.html';

export async function resultsListing(s3: S3Client, bucket: string, rawPath: string): Promise<ListingResponse> {
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath).replace(/^\/+/, '');
  } catch {
    return { status: 400, body: 'Bad path\n' };
  }
  const segments = rel.split('/').filter((s) => s.length > 0);
  if (rel.includes('\0') || segments.some((s) => s === '..' || HIDDEN(s))) return { status: 404, body: 'Not found\n' };
  if (!rawPath.endsWith('/')) return { status: 301, body: '', location: `${rawPath}/` };
  const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;

  const index = await getText(s3, bucket, `${prefix}index.html`);
  if (index !== null) return { status: 200, body: index };

  const entries: ListingEntry[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of res.CommonPrefixes ?? []) {
      const name = (p.Prefix ?? '').slice(prefix.length).replace(/\/$/, '');
      if (name && !HIDDEN(name)) entries.push({ name, isDir: true, size: 0, mtimeMs: 0 });
    }
    for (const o of res.Contents ?? []) {
      const name = (o.Key ?? '').slice(prefix.length);
      if (name && !HIDDEN(name)) entries.push({ name, isDir: false, size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  if (entries.length === 0) return { status: 404, body: 'Not found\n' };
  return { status: 200, body: renderIndexHtml(`/${prefix}`, entries, { parentLink: segments.length > 0 }) };
}

async function getText(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body ? await res.Body.transformToString('utf8') : null;
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return null;
    throw err;
  }
}
