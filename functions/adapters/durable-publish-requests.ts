import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PublishRequestInput } from '../publish/publish-request.js';

/**
 * Publish requests of `npm start` survive a crash: each request is written to a
 * file before it is queued in memory and removed once a run that included it has
 * finished. At start-up the files left behind are queued again, so a build that
 * succeeded just before a crash still reaches its repository (on AWS the SQS FIFO
 * queue gives the same guarantee). Replaying a request twice is harmless: runs are
 * idempotent.
 */
export class DurablePublishRequests {
  /** Orders requests recorded within one millisecond (a UUID alone would not). */
  private seq = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Records the request; returns a handle to call once it has been published. */
  record(req: PublishRequestInput): () => void {
    const seq = String(this.seq++).padStart(10, '0');
    const name = `${String(Date.now()).padStart(15, '0')}-${seq}-${randomUUID()}.json`;
    const tmp = join(this.dir, `.${name}`);
    writeFileSync(tmp, JSON.stringify(req));
    renameSync(tmp, join(this.dir, name)); // never a half-written request file
    return () => rmSync(join(this.dir, name), { force: true });
  }

  /** Requests recorded but not confirmed (from before a crash), oldest first. */
  pending(): Array<{ req: PublishRequestInput; done: () => void }> {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort()
      .flatMap((f) => {
        const path = join(this.dir, f);
        try {
          return [{ req: JSON.parse(readFileSync(path, 'utf8')) as PublishRequestInput, done: () => rmSync(path, { force: true }) }];
        } catch {
          rmSync(path, { force: true }); // unreadable: nothing to replay
          return [];
        }
      });
  }
}
