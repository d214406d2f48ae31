import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ResultsStore, UploadTarget } from '../core/results-store.js';
import { filesUnder } from './files-under.js';

/**
 * Results on local disk (`<data dir>/results/...`), served by the local server under
 * `/results/`. Builders upload through the API (`PUT /backend/builder/results/...`),
 * the local stand-in for the presigned S3 URLs used on AWS.
 */
export class LocalResultsStore implements ResultsStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly apiUrl: string,
  ) {
    this.root = resolve(root);
  }

  /** Absolute path of a key, refusing anything that would leave the root. */
  pathOf(key: string): string {
    const p = resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new Error(`key escapes the results root: ${key}`);
    return p;
  }

  async put(key: string, data: Buffer | string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a reader (the live log view) never sees a half-written file.
    const tmp = `${path}.${randomBytes(4).toString('hex')}.part`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }

  async putFile(key: string, source: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await rename(source, path); // the staging dir is usually on the same filesystem
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const tmp = `${path}.${randomBytes(4).toString('hex')}.part`;
      await copyFile(source, tmp);
      await rename(tmp, path);
      await rm(source, { force: true });
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch {
      return null;
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    const source = this.pathOf(from);
    const path = this.pathOf(to);
    if (!(await this.exists(from))) return false;
    await mkdir(dirname(path), { recursive: true });
    // Copied under a part name, then renamed: readers never see half a file.
    const tmp = `${path}.${randomBytes(4).toString('hex')}.part`;
    await copyFile(source, tmp);
    await rename(tmp, path);
    return true;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  list(prefix: string): Promise<string[]> {
    return filesUnder(this.root, this.pathOf(prefix));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.replace(/\/+$/, '') === '') throw new Error('refusing to delete the whole results root');
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  /**
   * A file on disk takes the chunk in place: written at its offset and cut after it, so
   * a resent chunk is harmless and a requeued task's log (offset 0 again) replaces the
   * old one. The results mount serves the file as it grows.
   */
  async writeLiveLogChunk(key: string, _attempt: number, offset: number, data: Buffer): Promise<'stored' | 'gap'> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      if (offset > (await file.stat()).size) return 'gap';
      await file.write(data, 0, data.length, offset);
      await file.truncate(offset + data.length);
      return 'stored';
    } finally {
      await file.close();
    }
  }

  /** Chunks went straight into the file: nothing to drop. */
  async dropLiveLogChunks(_key: string): Promise<void> {}

  async uploadTarget(key: string, credential: string): Promise<UploadTarget> {
    return {
      url: `${this.apiUrl}/backend/builder/results/${key.split('/').map(encodeURIComponent).join('/')}`,
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/octet-stream' },
    };
  }
}
