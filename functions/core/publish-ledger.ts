import type { Clock, PublishLedger, PublishRepository, PublishRequest, PublishSink, PublishWakeUp } from './ports.js';

/**
 * The publish ledger's use cases on the requesting side (the publisher's side is
 * functions/publish/publish-runs.ts). A request is durable once `record` returned;
 * the wake-up after it only saves waiting for maintenance, so losing or
 * deduplicating one loses nothing.
 */

/** `owner/dirname/chroot[/devel]`: the repository's name in keys, message groups and logs. */
export function publishRepositoryKey(repo: Pick<PublishRepository, 'owner' | 'dirname' | 'chroot' | 'devel'>): string {
  return `${repo.owner}/${repo.dirname}/${repo.chroot}${repo.devel ? '/devel' : ''}`;
}

export function repositoryOf(req: Pick<PublishRequest, 'owner' | 'dirname' | 'chroot' | 'devel'>): PublishRepository {
  return { owner: req.owner, dirname: req.dirname, chroot: req.chroot, devel: req.devel === true };
}

/** The `publish` port of both compositions: record first, then wake. */
export function ledgerPublishSink(ledger: PublishLedger, wake: PublishWakeUp, clock: Clock): PublishSink {
  return async (req) => {
    const ids = await ledger.record(req, clock.now());
    await wake(repositoryOf(req), ids);
  };
}

export interface StalePublishDeps {
  ledger: PublishLedger;
  wake: PublishWakeUp;
  clock: Clock;
  /** An entry pending longer than this whose repository has no live run gets a new wake-up. */
  staleAfterMs: number;
}

/**
 * Wakes the publisher again for repositories whose requests have waited longer than
 * `staleAfterMs` while nobody holds their lease: the wake-up was lost, the run that
 * took it crashed, or a run failed. Returns what it woke, for the maintenance report.
 */
export async function wakeStalePublishes(deps: StalePublishDeps, limit = 200): Promise<string[]> {
  const now = deps.clock.now();
  const woken: string[] = [];
  for (const repo of await deps.ledger.repositoriesPendingSince(now - deps.staleAfterMs, limit)) {
    const lease = await deps.ledger.leaseOf(repo);
    if (lease && lease.until > now) continue; // a run is on it and will read the entry
    await deps.wake(repo, []);
    woken.push(publishRepositoryKey(repo));
  }
  return woken;
}
