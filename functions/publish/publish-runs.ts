import type { Clock, LedgerEntry, PublishLedger, PublishRepository } from '../core/ports.js';
import { publishRepositoryKey } from '../core/publish-ledger.js';
import { mergeRequests, PublishRequest } from './publish-request.js';

/**
 * The publisher's use case, the same on AWS (the Fargate task) and under `npm
 * start` (functions/local/ledger-publisher.ts): while holding the repository's
 * lease, read its pending ledger entries, publish them merged as one run, mark them
 * done; repeat until none is left. The lease is renewed while a run works, so a
 * second run of the same repository cannot start however the wake-ups arrive.
 */
export interface DrainDeps {
  ledger: PublishLedger;
  clock: Clock;
  /** One publishing run of the merged request. */
  publish: (req: PublishRequest) => Promise<void>;
  /** How long a lease lasts without renewal (a crashed run blocks its repository this long). */
  leaseMs: number;
  /** Entries merged into one run at most (a backlog is published in several runs). */
  batchLimit?: number;
  log?: (msg: string) => void;
}

export class LeaseLost extends Error {
  constructor(repo: string) {
    super(`the publish lease of ${repo} was lost`);
    this.name = 'LeaseLost';
  }
}

export interface DrainReport {
  runs: number;
  entries: number;
}

/**
 * Publishes the repository's pending entries. `holder` must hold the lease already
 * (the AWS trigger acquires it before starting the task), or `acquire` says to take
 * it here. Returns without doing anything when another holder has it. A failed run
 * releases the lease and leaves its entries pending, for the next wake-up or for
 * maintenance.
 */
export async function drainRepository(deps: DrainDeps, repo: PublishRepository, holder: string, opts: { acquire: boolean }): Promise<DrainReport> {
  const name = publishRepositoryKey(repo);
  const report: DrainReport = { runs: 0, entries: 0 };
  if (opts.acquire && !(await deps.ledger.acquireLease(repo, holder, deps.clock.now(), deps.leaseMs))) return report;
  try {
    for (;;) {
      if (!(await deps.ledger.renewLease(repo, holder, deps.clock.now(), deps.leaseMs))) throw new LeaseLost(name);
      const entries = await deps.ledger.pending(repo, deps.batchLimit ?? 1000);
      if (entries.length === 0) {
        await deps.ledger.releaseLease(repo, holder);
        // An entry recorded after the read above had its wake-up dropped while we held
        // the lease: take the lease back for it, unless the wake-up's run already has it.
        if ((await deps.ledger.pending(repo, 1)).length === 0) return report;
        if (!(await deps.ledger.acquireLease(repo, holder, deps.clock.now(), deps.leaseMs))) return report;
        continue;
      }
      await withRenewal(deps, repo, holder, () => deps.publish(mergeRequests(entries.map(asRequest))));
      await deps.ledger.markDone(repo, entries, deps.clock.now());
      report.runs += 1;
      report.entries += entries.length;
      deps.log?.(`published ${name}: ${entries.length} ledger entries`);
    }
  } catch (err) {
    await deps.ledger.releaseLease(repo, holder).catch(() => undefined);
    throw err;
  }
}

function asRequest(e: LedgerEntry): PublishRequest {
  return PublishRequest.parse(e.request);
}

/** Runs `work` renewing the lease every third of its length; fails if the lease was lost meanwhile. */
async function withRenewal(deps: DrainDeps, repo: PublishRepository, holder: string, work: () => Promise<void>): Promise<void> {
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = deps.ledger.renewLease(repo, holder, deps.clock.now(), deps.leaseMs).then(
      (ok) => void (lost ||= !ok),
      () => undefined, // a failed renewal is retried on the next tick; the lease has slack
    );
  }, Math.max(1000, Math.floor(deps.leaseMs / 3)));
  try {
    await work();
  } finally {
    clearInterval(timer);
    await renewing;
  }
  // Another run may have taken over: the metadata is published either way (runs are
  // idempotent), but the entries stay pending so the new holder publishes them too.
  if (lost || !(await deps.ledger.renewLease(repo, holder, deps.clock.now(), deps.leaseMs))) throw new LeaseLost(publishRepositoryKey(repo));
}
