import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PublishRepository } from '../../functions/core/ports.js';
import { ledgerPublishSink } from '../../functions/core/publish-ledger.js';
import { LedgerPublisher } from '../../functions/local/ledger-publisher.js';
import { drainRepository, LeaseLost } from '../../functions/publish/publish-runs.js';
import type { PublishRequest } from '../../functions/publish/publish-request.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoPublishLedger, NAMES_PER_ENTRY, splitRequest } from '../../functions/store/dynamo-publish-ledger.js';
import { ensureTable } from '../../functions/store/table-admin.js';

const CHROOT = 'fedora-44-x86_64';
const repo = (dirname: string): PublishRepository => ({ owner: 'o', dirname, chroot: CHROOT, devel: false });

/** The publish ledger's use cases on DynamoDB Local, with a publish function the test holds. */
describe('publish ledger: LedgerPublisher and drainRepository', () => {
  let ledger: DynamoPublishLedger;
  const clock = { now: () => Date.now() };
  const publishers: LedgerPublisher[] = [];

  beforeAll(async () => {
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    const table = `ledger-pub-${Date.now()}`;
    await ensureTable(db, table);
    ledger = new DynamoPublishLedger(db, table);
  });
  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
  });

  it('splits a large request into entries and merges them back to the same request', () => {
    const adds = Array.from({ length: NAMES_PER_ENTRY * 2 + 3 }, (_, i) => `${String(i).padStart(8, '0')}-x`);
    const parts = splitRequest({ ...repo('p'), adds, deletes: ['00000000-gone'], full: true });
    expect(parts).toHaveLength(4);
    expect(parts.every((p) => p.adds.length + (p.deletes?.length ?? 0) <= NAMES_PER_ENTRY && p.full === true)).toBe(true);
    expect(parts.flatMap((p) => p.adds)).toEqual(adds);
  });

  it('one run per repository at a time, requests arriving meanwhile merged into the next run, repositories in parallel within the bound', async () => {
    const seen: PublishRequest[] = [];
    const perRepo = new Map<string, number>();
    let active = 0;
    let maxActive = 0;
    let maxPerRepo = 0;
    const gates: Array<() => void> = [];
    const publisher = new LedgerPublisher({
      ledger,
      clock,
      concurrency: 2,
      publish: async (r) => {
        perRepo.set(r.dirname, (perRepo.get(r.dirname) ?? 0) + 1);
        maxPerRepo = Math.max(maxPerRepo, perRepo.get(r.dirname) ?? 0);
        active += 1;
        maxActive = Math.max(maxActive, active);
        seen.push(r);
        await new Promise<void>((res) => gates.push(res));
        active -= 1;
        perRepo.set(r.dirname, (perRepo.get(r.dirname) ?? 1) - 1);
      },
    });
    publishers.push(publisher);
    const request = ledgerPublishSink(ledger, async (r) => publisher.wake(r), clock);
    await request({ ...repo('p'), adds: ['1-a'] });
    await request({ ...repo('q'), adds: ['1-x'] });
    await request({ ...repo('r'), adds: ['1-y'] });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(2);
    // While p runs, more requests for it are recorded; the same one twice is kept twice.
    await request({ ...repo('p'), adds: ['2-b'] });
    await request({ ...repo('p'), adds: [], deletes: ['0-z'], full: true });
    await request({ ...repo('p'), adds: [], deletes: ['0-z'], full: true });
    while (seen.length < 4 || gates.length > 0 || active > 0) {
      gates.shift()?.();
      await new Promise((res) => setTimeout(res, 10));
    }
    await publisher.idle();
    expect(maxActive).toBe(2);
    expect(maxPerRepo).toBe(1);
    const forP = seen.filter((r) => r.dirname === 'p');
    expect(forP).toHaveLength(2);
    expect(forP[1]).toMatchObject({ adds: ['2-b'], deletes: ['0-z'], full: true });
    for (const d of ['p', 'q', 'r']) expect(await ledger.pending(repo(d), 10)).toEqual([]);
  });

  it('a failing run leaves its entries pending, and the next wake-up publishes them', async () => {
    let calls = 0;
    const logged: string[] = [];
    const publisher = new LedgerPublisher({
      ledger,
      clock,
      log: (m) => logged.push(m),
      publish: async () => {
        calls += 1;
        if (calls === 1) throw new Error('createrepo failed');
      },
    });
    publishers.push(publisher);
    const request = ledgerPublishSink(ledger, async (r) => publisher.wake(r), clock);
    await request({ ...repo('f'), adds: ['1-a'] });
    await publisher.idle();
    expect(logged.some((l) => l.includes('createrepo failed'))).toBe(true);
    expect((await ledger.pending(repo('f'), 10)).map((e) => e.request.adds)).toEqual([['1-a']]);
    expect(await ledger.leaseOf(repo('f'))).toBeNull();
    publisher.wake(repo('f'));
    await publisher.idle();
    expect(calls).toBe(2);
    expect(await ledger.pending(repo('f'), 10)).toEqual([]);
  });

  it('a run that lost its lease to another holder does not mark its entries done', async () => {
    await ledger.record({ ...repo('l'), adds: ['1-a'] }, clock.now());
    expect(await ledger.acquireLease(repo('l'), 'first', clock.now(), 60_000)).toBe(true);
    const run = drainRepository(
      {
        ledger,
        clock,
        leaseMs: 60_000,
        publish: async () => {
          // Meanwhile the lease ran out and another run took it.
          await ledger.releaseLease(repo('l'), 'first');
          expect(await ledger.acquireLease(repo('l'), 'second', clock.now(), 60_000)).toBe(true);
        },
      },
      repo('l'),
      'first',
      { acquire: false },
    );
    await expect(run).rejects.toBeInstanceOf(LeaseLost);
    expect((await ledger.pending(repo('l'), 10)).map((e) => e.request.adds)).toEqual([['1-a']]);
    expect((await ledger.leaseOf(repo('l')))?.holder).toBe('second');
    // The second run publishes them (here: just marks them done) and lets go.
    await ledger.markDone(repo('l'), await ledger.pending(repo('l'), 10), clock.now());
    await ledger.releaseLease(repo('l'), 'second');
  });

  it('at start-up, replays every repository with pending entries', async () => {
    await ledger.record({ ...repo('s1'), adds: ['1-a'] }, clock.now());
    await ledger.record({ ...repo('s2'), adds: ['1-b'] }, clock.now());
    const published: string[] = [];
    const publisher = new LedgerPublisher({ ledger, clock, publish: async (r) => void published.push(r.dirname) });
    publishers.push(publisher);
    expect(await publisher.replay()).toBeGreaterThanOrEqual(2);
    await publisher.idle();
    expect(published).toEqual(expect.arrayContaining(['s1', 's2']));
    expect(await ledger.repositoriesPendingSince(clock.now() + 1, 100)).toEqual([]);
  });
});
