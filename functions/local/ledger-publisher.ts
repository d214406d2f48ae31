import { randomUUID } from 'node:crypto';
import type { Clock, PublishLedger, PublishRepository } from '../core/ports.js';
import { publishRepositoryKey } from '../core/publish-ledger.js';
import { drainRepository } from '../publish/publish-runs.js';
import type { PublishRequest } from '../publish/publish-request.js';

/**
 * The publisher under `npm start`: the same ledger and the same use case as the
 * Fargate task (functions/publish/publish-runs.ts), woken in-process instead of
 * through SQS. A wake-up starts a drain of that repository unless one is running
 * in this process (that one reads the ledger again before it stops); different
 * repositories drain in parallel, at most `concurrency`. Entries left from before a
 * restart are found by `replay`.
 */
export interface LedgerPublisherOptions {
  ledger: PublishLedger;
  clock: Clock;
  publish: (req: PublishRequest) => Promise<unknown>;
  concurrency?: number;
  leaseMs?: number;
  /** When another holder has the lease (a previous process that died), look again this much later. */
  retryMs?: number;
  log?: (msg: string) => void;
}

interface RepoState {
  repo: PublishRepository;
  again: boolean;
}

export class LedgerPublisher {
  private readonly active = new Map<string, RepoState>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly slotWaiters: (() => void)[] = [];
  private free: number;
  private stopped = false;

  constructor(private readonly opts: LedgerPublisherOptions) {
    this.free = opts.concurrency ?? 2;
  }

  /** The `wakePublisher` port. */
  wake(repo: PublishRepository): void {
    if (this.stopped) return;
    const key = publishRepositoryKey(repo);
    const st = this.active.get(key);
    if (st) {
      st.again = true;
      return;
    }
    const timer = this.retries.get(key);
    if (timer) {
      clearTimeout(timer);
      this.retries.delete(key);
    }
    const fresh: RepoState = { repo, again: true };
    this.active.set(key, fresh);
    void this.drain(key, fresh);
  }

  /** Wakes every repository with pending entries (at start-up: requests from before a crash). */
  async replay(): Promise<number> {
    const repos = await this.opts.ledger.repositoriesPendingSince(this.opts.clock.now() + 1, 10_000);
    repos.forEach((r) => this.wake(r));
    return repos.length;
  }

  /** Resolves once no repository is draining or waiting for a retry. */
  idle(): Promise<void> {
    if (this.active.size === 0 && this.retries.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    await this.idle();
  }

  private async drain(key: string, st: RepoState): Promise<void> {
    const holder = `local-${randomUUID()}`;
    let held = false;
    while (st.again && !this.stopped) {
      st.again = false;
      await this.acquireSlot();
      try {
        const before = await this.opts.ledger.pending(st.repo, 1);
        if (before.length === 0) continue;
        const report = await drainRepository(
          { ledger: this.opts.ledger, clock: this.opts.clock, publish: async (r) => void (await this.opts.publish(r)), leaseMs: this.opts.leaseMs ?? 60_000, log: this.opts.log },
          st.repo,
          holder,
          { acquire: true },
        );
        // Nothing drained although entries were pending: another holder has the lease.
        held = report.runs === 0 && (await this.opts.ledger.pending(st.repo, 1)).length > 0;
      } catch (e) {
        // The entries stay pending: the next wake-up or maintenance's reconcile retries them.
        this.opts.log?.(`publish of ${key} failed: ${(e as Error).message}`);
      } finally {
        this.releaseSlot();
      }
    }
    this.active.delete(key);
    if (held && !this.stopped) {
      const timer = setTimeout(() => {
        this.retries.delete(key);
        this.wake(st.repo);
      }, this.opts.retryMs ?? 2_000);
      this.retries.set(key, timer);
    }
    if (this.active.size === 0 && this.retries.size === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }

  private async acquireSlot(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((r) => this.slotWaiters.push(r));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.free += 1;
  }
}
