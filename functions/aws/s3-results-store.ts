import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readFile, rm } from 'node:fs/promises';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { liveLogChunkKey, liveLogChunkPrefix, type ResultsStore, type UploadTarget } from '../core/results-store.js';

/**
 * Configuration for the S3 client behind S3ResultsStore. Since SDK 3.729 the client
 * adds a CRC32 checksum to every PutObject by default; in a presigned PUT (no body at
 * signing time) that is the CRC32 of an empty body, signed into the URL, and the
 * builder's real upload no longer matches it. Checksums only where S3 requires them.
 */
export const RESULTS_S3_CLIENT_CONFIG = { requestChecksumCalculation: 'WHEN_REQUIRED' } as const;

/**
 * Results in the S3 bucket behind the results CloudFront. Builders upload with
 * presigned PUT URLs for one key each, minted only for their own result dir, so
 * their instance role needs no S3 permission at all.
 */
/**
 * What S3 answers for a key, as the local results server does (functions/local/results-mount.ts):
 * a gzipped log is plain text with Content-Encoding, so browsers and the dashboard's log
 * viewer show its text while wget-style downloads keep the .gz bytes.
 */
export function objectHeaders(key: string): { ContentType?: string; ContentEncoding?: string } {
  return key.endsWith('.log.gz') ? { ContentType: 'text/plain; charset=utf-8', ContentEncoding: 'gzip' } : {};
}

/** Content types of the files a builder uploads, by name; anything else is plain bytes. */
const UPLOAD_TYPES: ReadonlyArray<readonly [suffix: string, type: string]> = [
  ['.rpm', 'application/x-rpm'],
  ['.log', 'text/plain; charset=utf-8'],
  ['.spec', 'text/plain; charset=utf-8'],
  ['.json', 'application/json'],
  ['.tar.gz', 'application/gzip'],
];

/**
 * The headers of a builder's upload: always a Content-Type, so every file is served as
 * what it is, and so an empty file (an empty `installed_pkgs.log`, `success`) is a plain
 * empty PUT that every S3 implementation takes (the rehearsal's S3 answered 500 to one
 * without a type, and the builder retried it until its budget ran out).
 */
export function uploadHeaders(key: string): { ContentType: string; ContentEncoding?: string } {
  const own = objectHeaders(key);
  if (own.ContentType !== undefined) return { ...own, ContentType: own.ContentType };
  return { ContentType: UPLOAD_TYPES.find(([suffix]) => key.endsWith(suffix))?.[1] ?? 'application/octet-stream' };
}

export class S3ResultsStore implements ResultsStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly uploadTtlSeconds = 3600,
  ) {}

  async put(key: string, data: Buffer | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ...objectHeaders(key) }));
  }

  /**
   * On AWS request bodies reach the API Lambda through API Gateway (10 MB at most), so
   * a staged file here is small: it is read and put in one request.
   */
  async putFile(key: string, path: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: await readFile(path), ...objectHeaders(key) }));
    await rm(path, { force: true });
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  /**
   * A GET and a PUT with `to`'s own headers, not CopyObject: what is copied here came in
   * a request body (10 MB at most through API Gateway), and a PUT types the object the
   * same way as every other put (the emulators the tests use differ from S3 on which
   * headers a CopyObject keeps).
   */
  async copy(from: string, to: string): Promise<boolean> {
    const data = await this.get(from);
    if (data === null) return false;
    await this.put(to, data);
    return true;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.replace(/\/+$/, '') === '') throw new Error('refusing to delete the whole bucket');
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
      );
    }
  }

  /**
   * A builder's `build.log.gz` goes straight to S3, so the object headers are signed into
   * its URL and handed to the builder to send: the log is then served as text like the
   * ones the service writes itself.
   */
  async uploadTarget(key: string): Promise<UploadTarget> {
    const extra = uploadHeaders(key);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ...extra });
    const url = await getSignedUrl(this.s3, command, { expiresIn: this.uploadTtlSeconds });
    const headers: Record<string, string> = { 'content-type': extra.ContentType };
    if (extra.ContentEncoding !== undefined) headers['content-encoding'] = extra.ContentEncoding;
    return { url, method: 'PUT', headers };
  }

  directUploadTarget(key: string): Promise<UploadTarget> {
    return this.uploadTarget(key);
  }

  /**
   * S3 has no append: each chunk is an object of its own (results-store.ts
   * liveLogChunkKey), and the results CDN serves their concatenation while the complete
   * log is missing (functions/aws/s3-live-log.ts). A resent chunk overwrites itself.
   */
  async writeLiveLogChunk(key: string, attempt: number, offset: number, data: Buffer): Promise<'stored'> {
    await this.put(liveLogChunkKey(key, attempt, offset), data);
    return 'stored';
  }

  async dropLiveLogChunks(key: string): Promise<void> {
    await this.deletePrefix(liveLogChunkPrefix(key));
  }

  /** A presigned GET: uploaded SRPMs are not served by the CDN. */
  async downloadUrl(key: string): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.uploadTtlSeconds });
  }
}
