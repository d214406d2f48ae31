/**
 * Where build results and repositories live: a directory tree on disk locally, an
 * S3 bucket on AWS. Keys are `/`-separated paths under the results root, the same
 * layout Copr serves (`<owner>/<dirname>/<chroot>/<NNNNNNNN>-<pkg>/...`).
 */
export interface UploadTarget {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

export interface ResultsStore {
  put(key: string, data: Buffer | string): Promise<void>;
  /** Stores a file from local disk without reading it into memory (streamed uploads); the file is consumed. */
  putFile(key: string, path: string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  /**
   * Stores a copy of `from` as `to` (typed by `to`'s name, like a put). Locally a file
   * copy, so a large upload is never read into memory. False when `from` is missing.
   */
  copy(from: string, to: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  deletePrefix(prefix: string): Promise<void>;
  /** Removes the one object `key` (none there: nothing happens); unlike deletePrefix, `a.log` spares `a.log.gz`. */
  delete(key: string): Promise<void>;
  /** Where a builder holding `credential` PUTs the file for `key`. */
  uploadTarget(key: string, credential: string): Promise<UploadTarget>;
  /**
   * Stores whose clients can write directly (S3): a time-limited PUT for `key`
   * that needs no other credential (large SRPM uploads from the dashboard).
   */
  directUploadTarget?(key: string): Promise<UploadTarget>;
  /** Stores that keep some keys private (S3): a time-limited GET URL for `key`. */
  downloadUrl?(key: string): Promise<string>;
  /**
   * Stores `data` at byte `offset` of the live log `key` of a running task: its builder
   * sends each new part of the log once. `attempt` tells the task's runs apart (a
   * requeued task starts its log again at 0). `gap` when the store knows it lacks bytes
   * before `offset`; the builder then sends again from where the store ends.
   */
  writeLiveLogChunk(key: string, attempt: number, offset: number, data: Buffer): Promise<'stored' | 'gap'>;
  /** Drops what writeLiveLogChunk kept beside `key` once the complete `key` is in place. */
  dropLiveLogChunks(key: string): Promise<void>;
}

/** The log a running build grows, shipped in new-byte chunks while it runs (spec §4.8). */
export const LIVE_LOG_NAME = 'builder-live.log';

/** Largest live-log chunk in one builder request (API Gateway carries it base64-encoded). */
export const MAX_LIVE_LOG_CHUNK = 1024 * 1024;

/**
 * Where a store without append (S3) keeps the chunks of a live log: a hidden directory
 * beside it (listings and the publisher skip dot names), one sub-directory per attempt,
 * one object per chunk named by its zero-padded offset, so a listing is in log order.
 */
export function liveLogChunkPrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  return `${key.slice(0, slash + 1)}.${key.slice(slash + 1)}.chunks/`;
}

export function liveLogChunkKey(key: string, attempt: number, offset: number): string {
  return `${liveLogChunkPrefix(key)}${String(attempt).padStart(4, '0')}/${String(offset).padStart(15, '0')}`;
}

/** The attempt and offset of a chunk key under `prefix` (liveLogChunkPrefix), or null. */
export function parseLiveLogChunkKey(prefix: string, chunkKey: string): { attempt: number; offset: number } | null {
  const m = /^(\d{4})\/(\d{15})$/.exec(chunkKey.slice(prefix.length));
  if (!chunkKey.startsWith(prefix) || !m) return null;
  return { attempt: Number(m[1]), offset: Number(m[2]) };
}

/** Everything of one dir of a project (`proj`, `proj:pr:1`): its repositories and results. */
export function projectDirPrefix(owner: string, dirname: string): string {
  return `${owner}/${dirname}/`;
}

/** One chroot's repository and results in one dir of a project. */
export function chrootDirPrefix(owner: string, dirname: string, chroot: string): string {
  return `${owner}/${dirname}/${chroot}/`;
}

/** Result directory prefixes of a task (spec §4.8). */
export function srpmResultPrefix(owner: string, dirname: string, buildId: number): string {
  return `${owner}/${dirname}/srpm-builds/${String(buildId).padStart(8, '0')}`;
}

export function rpmResultPrefix(owner: string, dirname: string, chroot: string, resultDir: string): string {
  return `${owner}/${dirname}/${chroot}/${resultDir}`;
}

/** A relative path inside a result dir: no traversal, no absolute paths, sane characters. */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > 512 || path.startsWith('/')) return false;
  return path.split('/').every((seg) => seg.length > 0 && seg !== '.' && seg !== '..' && /^[\w.+@:~-]+$/.test(seg));
}
