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
  exists(key: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  deletePrefix(prefix: string): Promise<void>;
  /** Where a builder holding `credential` PUTs the file for `key`. */
  uploadTarget(key: string, credential: string): Promise<UploadTarget>;
  /**
   * Stores whose clients can write directly (S3): a time-limited PUT for `key`
   * that needs no other credential (large SRPM uploads from the dashboard).
   */
  directUploadTarget?(key: string): Promise<UploadTarget>;
  /** Stores that keep some keys private (S3): a time-limited GET URL for `key`. */
  downloadUrl?(key: string): Promise<string>;
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
