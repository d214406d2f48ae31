import type { PublishOutcome } from './publish-repo.js';
import { mergeRequests, PublishRequest, repositoryKey, type PublishRequestInput } from './publish-request.js';

interface Waiting {
  req: PublishRequest;
  resolve: (o: PublishOutcome) => void;
  reject: (e: unknown) => void;
}

interface RepoState {
  pending: Waiting[];
  draining: boolean;
}

/** Counting semaphore bounding how many repositories publish at once. */
class Slots {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }
}

/**
 * In-process publish queue (the local stand-in for SQS FIFO with the repository as
 * message group). Runs for one repository are serialized; requests that arrive while
 * a run is in progress (or waiting for a slot) are merged into the next run with
 * `mergeRequests`. Different repositories run in parallel, at most `concurrency`.
 * `request` resolves with the outcome of the run that included it.
 */
export class RepoPublishQueue {
  private readonly repos = new Map<string, RepoState>();
  private readonly slots: Slots;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly publish: (req: PublishRequest) => Promise<PublishOutcome>,
    opts: { concurrency?: number } = {},
  ) {
    this.slots = new Slots(opts.concurrency ?? 4);
  }

  request(input: PublishRequestInput): Promise<PublishOutcome> {
    const req = PublishRequest.parse(input);
    const key = repositoryKey(req);
    return new Promise<PublishOutcome>((resolve, reject) => {
      let st = this.repos.get(key);
      if (!st) {
        st = { pending: [], draining: false };
        this.repos.set(key, st);
      }
      st.pending.push({ req, resolve, reject });
      if (!st.draining) {
        st.draining = true;
        void this.drain(key, st);
      }
    });
  }

  /** Resolves once no repository has pending or running work. */
  idle(): Promise<void> {
    if (this.repos.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async drain(key: string, st: RepoState): Promise<void> {
    while (st.pending.length > 0) {
      await this.slots.acquire();
      // Everything that arrived until now (including while waiting for a slot) is one run.
      const batch = st.pending.splice(0);
      try {
        const out = await this.publish(mergeRequests(batch.map((w) => w.req)));
        batch.forEach((w) => w.resolve(out));
      } catch (e) {
        batch.forEach((w) => w.reject(e));
      } finally {
        this.slots.release();
      }
    }
    st.draining = false;
    this.repos.delete(key);
    if (this.repos.size === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }
}
