import { type BenchPart, type Cell, type PartResult, type Table } from './harness.js';
import { startBenchDynamo } from './local-stack.js';
import { builderTraffic, costPer1000, fairness, hotKeys, keyPeak, peakAlive, publishRuns, queueThroughput, rampSeconds } from './scale-sim/metrics.js';
import { HEARTBEAT_SECONDS } from '../functions/core/builder-protocol.js';
import { PRICES_AS_OF } from './scale-sim/prices.js';
import { simulate, type SimResult, type Strategy } from './scale-sim/simulate.js';

/**
 * Scale simulation (issue 14): the real dispatcher, scheduler, stores and builder
 * protocol use cases on DynamoDB Local, with simulated time, fleet and builders
 * (bench/scale-sim/). Every scenario gets a fresh table.
 *
 * Size from the environment (the full run takes long on DynamoDB Local):
 *   SCALE_SIM_BUILDS      builds per scenario (default 1000; the issue's figure is 10000)
 *   SCALE_SIM_FLEETS      builder counts, comma-separated (default 200,1000)
 *   SCALE_SIM_STRATEGIES  cold,warm (default both; warm needs the next-task protocol)
 *   SCALE_SIM_REAL_EVERY  real heartbeat/upload-url request at most every N simulated
 *                         seconds per builder, the rest counted with its footprint (default 240; 0 = all real)
 *   SCALE_SIM_EMPTY_IDLE_SECONDS  warm builders' idle period when nothing of their sandbox is queued
 *                         (default: the stack's BUILDER_EMPTY_IDLE_SECONDS; 300 = the whole idle period, as before)
 *   SCALE_SIM_TRANSPORT   lean (default: the same DynamoDB requests posted directly, bench/scale-sim/lean-dynamo.ts)
 *                         or sdk (through the AWS SDK's middleware stack, as the deployed functions send them)
 */
const env = (name: string, fallback: string) => process.env[name] ?? fallback;

/** The builders' route throttle of the stack (BACKEND_THROTTLE, lib/constructs/api.ts; not imported: it would load the CDK). */
const BACKEND_THROTTLE = { rate: 500, burst: 1000 };

function config() {
  return {
    builds: Number(env('SCALE_SIM_BUILDS', '1000')),
    fleets: env('SCALE_SIM_FLEETS', '200,1000').split(',').map(Number),
    strategies: env('SCALE_SIM_STRATEGIES', 'cold,warm').split(',') as Strategy[],
    realEvery: Number(env('SCALE_SIM_REAL_EVERY', '240')),
    transport: env('SCALE_SIM_TRANSPORT', 'lean') === 'sdk' ? ('sdk' as const) : ('lean' as const),
    emptyIdle: process.env.SCALE_SIM_EMPTY_IDLE_SECONDS === undefined ? null : Number(process.env.SCALE_SIM_EMPTY_IDLE_SECONDS),
  };
}

const min = (s: number | null) => (s === null ? 'never' : `${(s / 60).toFixed(1)} min`);
const num = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });

interface Scenario {
  label: string;
  result: SimResult | null;
  unavailable?: string;
}

function tables(scenarios: Scenario[], cfg: ReturnType<typeof config>): Table[] {
  const ran = scenarios.filter((s): s is Scenario & { result: SimResult } => s.result !== null);
  const head = ['measure', ...ran.map((s) => s.label)];
  const row = (label: string, f: (r: SimResult) => Cell): Cell[] => [label, ...ran.map((s) => f(s.result))];
  const traffic = new Map(ran.map((s) => [s.result, builderTraffic(s.result, BACKEND_THROTTLE.rate, BACKEND_THROTTLE.burst)]));
  const t = (r: SimResult) => traffic.get(r)!;
  const fair = new Map(ran.map((s) => [s.result, fairness(s.result)]));
  const f = (r: SimResult) => fair.get(r)!;
  const costs = new Map(ran.map((s) => [s.result, costPer1000(s.result)]));
  const unavailable = scenarios.filter((s) => s.unavailable).map((s) => `${s.label}: ${s.unavailable}`);

  const outcome: Table = {
    title: `scale simulation: ${num(cfg.builds)} builds from 50 owners, SRPM stage + 1 chroot each`,
    head,
    rows: [
      row('builds final (succeeded or failed)', (r) => `${num(r.builds.filter((b) => b.finalAt !== null).length)} / ${num(r.options.builds)}`),
      row('simulated time to the last final build', (r) => (r.lastFinalAt === null ? `not all final by ${min(r.simSeconds)}` : min(r.lastFinalAt))),
      row('queued builds (all but the single owners) all final after', (r) => min(queueThroughput(r).seconds)),
      row('builds per hour (queued builds / that time)', (r) => {
        const q = queueThroughput(r).perHour;
        return q === null ? '-' : num(q);
      }),
      row('builder launches', (r) => num(r.fleet.launches)),
      row('tasks per builder (mean / max)', (r) => {
        const runs = [...r.fleet.instances.values()].map((i) => i.tasksRun);
        return `${num(runs.reduce((a, b) => a + b, 0) / Math.max(1, runs.length), 2)} / ${num(Math.max(0, ...runs))}`;
      }),
      row('builders that ran tasks of two sandboxes', (r) => num([...r.fleet.instances.values()].filter((i) => i.sandboxes.size > 1).length)),
      row('peak builders up at once', (r) => num(peakAlive(r))),
      row('dispatch ramp: 90% of the fleet up', (r) => min(rampSeconds(r, 0.9))),
      row('dispatch ramp: whole fleet up', (r) => min(rampSeconds(r, 1))),
      row('dispatcher invocations (killed at the Lambda timeout)', (r) => `${num(r.dispatcher.invocations)} (${num(r.dispatcher.killed)})`),
      row('fairness: single-build owners, max wait submit → builder launched', (r) => min(f(r).maxWaitToLaunch)),
      row('fairness: single-build owners, median wait', (r) => min(f(r).medianWaitToLaunch)),
      row('fairness: single-build owners, max submit → build final', (r) => min(f(r).maxToFinal)),
      row('wall time of the simulation here', (r) => `${num(r.wallMs / 1000)} s`),
    ],
    notes: [
      'Workload: 37 owners with one build each (submitted at random within 2 h), 3 mass-rebuild owners with 50/25/15% of the rest from t=0, 10 medium owners with the last 10% in one batch each within the first hour; batches are submitted at 10 builds/s per owner; seeded.',
      'Durations (seeded log-normal): EC2 boot + agent start median 60 s; SRPM stage 15 s setup + median 45 s; RPM stage buildroot init median 90 s + build median 180 s (long tail, cap 2 h); 3% SRPM and 8% RPM failures.',
      `Limits as the stack sets them (functions/aws/compose.ts awsSettings): total = fleet, per owner = half the fleet. RunInstances takes 1 simulated second inside the dispatcher invocation (up to DISPATCH_LAUNCH_CONCURRENCY in flight). Cold = BUILDER_REUSE=off, warm = the stack default (sandbox reuse, 300 s idle, 60 s when nothing of its sandbox is queued)${cfg.emptyIdle === null ? '' : `; here ${cfg.emptyIdle} s when nothing of its sandbox is queued`}.`,
      ...unavailable,
    ],
  };

  const trafficTable: Table = {
    title: 'builder API traffic (requests from builders to the API)',
    head,
    rows: [
      row('requests per build', (r) => num(r.api.requests / r.options.builds)),
      row('mean requests/s (first to last builder request)', (r) => num(t(r).mean, 1)),
      row('peak requests/s', (r) => num(t(r).peak)),
      row(`requests over the builders' throttle (${BACKEND_THROTTLE.rate} rps, burst ${BACKEND_THROTTLE.burst})`, (r) => `${num(t(r).overThrottle)} (${num((100 * t(r).overThrottle) / Math.max(1, r.api.requests), 1)}%)`),
      row('seconds with requests over the throttle', (r) => num(t(r).secondsOverThrottle)),
      row('peak writes/s on the ACTIVE index key (gsi3:ACTIVE)', (r) => num(keyPeak(r, 'gsi3:ACTIVE').peakPerSecond)),
      row('table commands sent to DynamoDB Local (all parts of the run)', (r) => num(r.db.sent)),
      row('builder requests sent for real / counted by footprint', (r) => {
        let real = 0;
        let replayed = 0;
        for (const s of r.api.stats.values()) {
          real += s.real;
          replayed += s.replayed;
        }
        return `${num(real)} / ${num(replayed)}`;
      }),
      row('live-log bytes shipped per build', (r) => `${num(r.s3.bytes / r.options.builds / 1024)} KiB`),
    ],
    notes: [
      'A builder request is one call of the builder protocol as the API Lambda serves it: credential → session, then the use case (functions/api/routes/builder.ts).',
      `Heartbeats and upload-url requests are sent for real at most every ${cfg.realEvery} simulated seconds per builder (below the reaper's 5 min timeout); the others are counted with the footprint of that builder's last real one (same item writes per key, same capacity units). 0 = all real.`,
      `The agent heartbeats every ${HEARTBEAT_SECONDS} s and ships the live log's new bytes after each beat (PUT /backend/builder/live-log/{offset}, builder-ami/agent/agent.ts); result files go through upload-url requests and direct S3 PUTs.`,
    ],
  };

  const keyRows: Cell[][] = [];
  for (const s of ran) {
    for (const k of hotKeys(s.result, 5)) keyRows.push([s.label, k.key, num(k.peakPerSecond), num(k.total)]);
  }
  const keysTable: Table = {
    title: 'hottest partition keys: peak item writes in one simulated second',
    head: ['scenario', 'partition key (base:pk or gsiN:pk)', 'peak writes/s', 'writes in the run'],
    rows: keyRows,
    notes: [
      'Counted by wrapping the DocumentClient the real stores use; index writes from a shadow of each item\'s GSI keys (projection ALL: every update of an indexed item rewrites its index entry; a changed key is a delete and a put).',
      'DynamoDB allows 1,000 write units per second per partition (index partitions included); a single key cannot be split further.',
    ],
  };

  const costHead = ['item', ...ran.map((s) => s.label)];
  const lineNames = ran[0] ? costs.get(ran[0].result)!.lines.map((l) => l.item) : [];
  const costTable: Table = {
    title: `cost per 1,000 builds at list prices (${PRICES_AS_OF})`,
    head: costHead,
    rows: [
      ...lineNames.map((name, i) => [name, ...ran.map((s) => `$${costs.get(s.result)!.lines[i]!.usd.toFixed(3)}`)]),
      ['total', ...ran.map((s) => `$${costs.get(s.result)!.total.toFixed(2)}`)],
      ['publisher runs (requests merged per run)', ...ran.map((s) => {
        const p = publishRuns(s.result);
        return `${num(p.runs)} (${num(p.requests / Math.max(1, p.runs), 1)})`;
      })],
    ],
    notes: [
      'EC2: simulated instance time from RunInstances to shutdown, billed per second with the 60 s minimum. Lambda: API requests at 1024 MB for the wall time each took here (DynamoDB Local on a loaded 2-core box: an overestimate), dispatcher and reaper at 512 MB (the dispatcher also pays the simulated RunInstances waits), the publish trigger waiting for its Fargate run.',
      'DynamoDB: write/read units as DynamoDB Local reports them (ReturnConsumedCapacity). Publisher runs are a model, not the publisher code: serialized per repository, up to 10 requests merged, 60 s per Fargate run (assumed).',
      ...unavailable,
    ],
  };
  return [outcome, trafficTable, keysTable, costTable];
}

export const scaleSimPart: BenchPart = {
  name: 'scale-sim',
  title: 'scale simulation: real core on DynamoDB Local, simulated time, fleet and builders',
  async run(): Promise<PartResult> {
    const cfg = config();
    const ddb = await startBenchDynamo();
    const scenarios: Scenario[] = [];
    try {
      let n = 0;
      for (const strategy of cfg.strategies) {
        for (const fleet of cfg.fleets) {
          const label = `${strategy}, ${num(fleet)} builders`;
          try {
            const result = await simulate({
              endpoint: ddb.endpoint,
              table: `copr-bench-scale-${++n}`,
              builds: cfg.builds,
              fleet,
              strategy,
              realEverySeconds: cfg.realEvery,
              transport: cfg.transport,
              emptyIdleSeconds: cfg.emptyIdle,
              onProgress: (line) => process.stderr.write(`${label}: ${line}\n`),
            });
            scenarios.push({ label, result });
            // Where the table work went (which part sent which commands): what bounds the run's wall time here.
            const by = [...result.db.sentBy].sort((a, b) => b[1] - a[1]);
            process.stderr.write(`${label}: table commands by part, ${num(result.db.sent)} in all, wall ${num(result.wallMs / 1000)} s\n`);
            for (const [k, n] of by) process.stderr.write(`${label}:   ${k.padEnd(40)} ${num(n).padStart(10)}\n`);
          } catch (err) {
            if (strategy !== 'warm') throw err;
            scenarios.push({ label, result: null, unavailable: `warm: not available (${(err as Error).message})` });
            break;
          }
        }
      }
    } finally {
      await ddb.stop();
    }
    return { tables: tables(scenarios, cfg) };
  },
};
