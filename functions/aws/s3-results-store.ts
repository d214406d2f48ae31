import {
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
export class S3ResultsStore implements ResultsStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly uploadTtlSeconds = 3600,
  ) {}

  async put(key: string, data: Buffer | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data }));
  }

  /**
   * On AWS request bodies reach the API Lambda through API Gateway (10 MB at most), so
   * a staged file here is small: it is read and put in one request.
   */
  async putFile(key: string, path: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: await readFile(path) }));
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

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.replace(/\/+$/, '') === '') throw new Error('refusing to delete the whole bucket');
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
      );
    }
  }

  async uploadTarget(key: string): Promise<UploadTarget> {
    const url = await getSignedUrl(this.s3, new PutObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.uploadTtlSeconds });
    return { url, method: 'PUT', headers: {} };
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
