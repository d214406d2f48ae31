import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Build, Task } from '../functions/core/build-model.js';
import { newBuild, newTask } from '../functions/core/builds.js';
import { dispatchPass, type DispatcherDeps, type Fleet } from '../functions/core/dispatcher.js';
import { systemClock } from '../functions/core/ports.js';
import type { Limits } from '../functions/core/scheduler.js';
import { documentClient } from '../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../functions/store/dynamo-build-store.js';
import { ensureTable } from '../functions/store/table-admin.js';
import { inParallel, ms, percentile, type BenchPart, type PartResult } from './harness.js';
import { startBenchDynamo } from './local-stack.js';

/**
 * Owner fairness of the dispatcher: owner A has 10,000 pending builds and holds
 * every slot; owner B submits one build. Active tasks then finish one at a time
 * and a dispatcher pass runs after each; we count the hand-outs (launches) until
 * B's task is launched. Fair means B gets the first slot that frees up. The
 * dispatcher is the real `dispatchPass` on a real DynamoDB Local table; only the
 * Fleet is a recorder (launching nothing).
 */
const PENDING = 10_000;
/** A small queue, to show the pass cost does not follow the queue length. */
const SMALL = 100;
const LIMITS: Limits = { total: 4, perArch: {}, perOwner: 4, perSandbox: 4 };
const ROUNDS = 30;
const ARCH = 'x86_64';

function buildOf(id: number, owner: string, now: number): Build {
  return newBuild(id, owner, 'p', {
    source_type: 'link',
    source_dict: { url: `https://example.com/pkg-${id}-1.src.rpm` },
    submitter: owner,
    submitted_on: Math.floor(now / 1000),
    chroots_requested: ['fedora-44-x86_64'],
  });
}

class RecordingFleet implements Fleet {
  readonly launched: Task[] = [];
  async launch(task: Task): Promise<void> {
    this.launched.push(task);
  }
  async terminate(): Promise<void> {}
  async list(): Promise<[]> {
    return [];
  }
}

interface Scenario {
  pending: number;
  pendingReadBack: number;
  seedMs: number;
  fill: { started: number; ms: number };
  idleMs: number;
  passTimes: number[];
  handOuts: number;
  bAt: { handOuts: number; round: number; ms: number } | null;
  launchedB: number;
}

/** Seeds `pending` tasks of owner A into a fresh table, fills the slots, submits B, frees slots one by one. */
async function scenario(db: DynamoDBDocumentClient, table: string, pending: number): Promise<Scenario> {
  await ensureTable(db, table);
  const builds = new DynamoBuildStore(db, table);
  const now = Date.now();

  // Seed A's pending SRPM tasks through the store's batch enqueue (90 per
  // transaction, each also marking A's owner queue). The build items themselves
  // are left out: the dispatcher never reads them, and createBuild's one
  // transaction per build costs ~7 ms on DynamoDB Local (70 s for 10,000).
  const seedStart = performance.now();
  const tasks = Array.from({ length: pending }, (_, i) => newTask(buildOf(i + 1, 'owner-a', now), null, ARCH, now));
  const chunks = Array.from({ length: Math.ceil(pending / 900) }, (_, i) => tasks.slice(i * 900, (i + 1) * 900));
  await inParallel(chunks, 2, (chunk) => builds.enqueueTasks(chunk));
  const seedMs = performance.now() - seedStart;
  const pendingReadBack = (await builds.listPendingTasks('owner-a', pending + 1)).length;

  const fleet = new RecordingFleet();
  const deps: DispatcherDeps = { builds, fleet, clock: systemClock, limits: LIMITS, credentialTtlMs: 3_600_000 };
  const timedPass = async () => {
    const t0 = performance.now();
    const started = await dispatchPass(deps);
    return { started, ms: performance.now() - t0 };
  };

  // A takes every slot before B shows up.
  const fill = await timedPass();
  const idle = await timedPass(); // no free slot: reads only

  // B's build goes in the way submitBuild writes it: build + SRPM task + owner queue, one transaction.
  const bBuild = buildOf(pending + 1, 'owner-b', Date.now());
  const bTaskId = String(bBuild.id);
  const submittedAt = performance.now();
  await builds.createBuild(bBuild, [], [newTask(bBuild, null, ARCH, Date.now())], null);

  const active = [...fill.started];
  const passTimes: number[] = [];
  let handOuts = 0;
  let bAt: Scenario['bAt'] = null;
  for (let round = 1; round <= ROUNDS; round++) {
    const done = active.shift();
    if (!done) break;
    await builds.finishTask(done.task_id, 'succeeded', ['starting', 'running']);
    const pass = await timedPass();
    passTimes.push(pass.ms);
    for (const t of pass.started) {
      handOuts++;
      active.push(t);
      if (t.task_id === bTaskId && !bAt) bAt = { handOuts, round, ms: performance.now() - submittedAt };
    }
  }
  return {
    pending,
    pendingReadBack,
    seedMs,
    fill: { started: fill.started.length, ms: fill.ms },
    idleMs: idle.ms,
    passTimes,
    handOuts,
    bAt,
    launchedB: fleet.launched.filter((t) => t.owner === 'owner-b').length,
  };
}

export const fairnessPart: BenchPart = {
  name: 'fairness',
  title: `one build of owner B behind ${PENDING.toLocaleString('en')} pending builds of owner A`,
  async run(): Promise<PartResult> {
    const ddb = await startBenchDynamo();
    try {
      const db = documentClient(ddb.endpoint);
      const small = await scenario(db, 'copr-bench-fairness-small', SMALL);
      const big = await scenario(db, 'copr-bench-fairness', PENDING);
      const both = [small, big];
      const row = (label: string, f: (s: Scenario) => string | number) => [label, ...both.map(f)];
      const cols = both.map((s) => `${s.pending.toLocaleString('en')} pending`);
      return {
        tables: [
          {
            title: `fairness: limits.total = ${LIMITS.total} (owner A holds all), slots freed one at a time`,
            head: ['measure', ...cols],
            rows: [
              row('owner A pending SRPM tasks (read back)', (s) => s.pendingReadBack),
              row('seeding time', (s) => `${(s.seedMs / 1000).toFixed(1)} s`),
              row('hand-outs until B launched (incl. B)', (s) => s.bAt?.handOuts ?? `not within ${ROUNDS} rounds`),
              row('freed slots until B launched', (s) => s.bAt?.round ?? '-'),
              row('time from B submit to B launched', (s) => (s.bAt ? `${ms(s.bAt.ms)} ms` : '-')),
              row('B launched exactly once', (s) => (s.launchedB === 1 ? 'yes' : `no (${s.launchedB})`)),
              row('a global FIFO would need (hand-outs)', (s) => s.pending + 1),
            ],
            notes: ['Time to B includes finishing one active task (a conditional write) and one dispatcher pass.'],
          },
          {
            title: 'dispatcher pass time (real dispatchPass on DynamoDB Local)',
            head: ['pass', ...both.flatMap((s) => [`${s.pending.toLocaleString('en')}: p50 ms`, 'max ms'])],
            rows: [
              ['fill: 4 free slots (first pass)', ...both.flatMap((s) => [ms(s.fill.ms), ms(s.fill.ms)])],
              ['no free slot', ...both.flatMap((s) => [ms(s.idleMs), ms(s.idleMs)])],
              [
                `1 free slot after a finish (${ROUNDS} passes)`,
                ...both.flatMap((s) => [ms(percentile(s.passTimes, 50)), ms(Math.max(...s.passTimes))]),
              ],
            ],
            notes: [
              'A pass reads the active tasks, the pending-owner index and the head (20) of each owner queue, then claims (one transaction per launch).',
              `The ${SMALL}-pending run goes first, so it also carries the JIT warm-up of the first pass.`,
            ],
          },
        ],
      };
    } finally {
      await ddb.stop();
    }
  },
};
