import { LAMBDA_MB, PRICES, PUBLISHER_TASK } from './prices.js';
import type { SimResult } from './simulate.js';

/**
 * The figures of one run, from what the simulation recorded. Nothing here runs
 * code under test: it only adds up requests, writes, instance time and prices.
 */

/** A publisher run (Fargate task started by the trigger Lambda, which waits for it). */
export const PUBLISH_RUN = {
  /** Seconds from RunTask to the task's exit: Fargate start-up (~40 s) and an incremental createrepo (~20 s). Assumed, not measured. */
  seconds: 60,
  /** FIFO batch size of the trigger's event source (lib/constructs/workers.ts). */
  batch: 10,
};

export interface PublishStats {
  requests: number;
  runs: number;
  runSeconds: number;
}

/** Runs per repository: serialized, each takes up to `batch` queued requests, starts when the previous ended. */
export function publishRuns(r: SimResult): PublishStats {
  const byRepo = new Map<string, number[]>();
  for (const p of r.published) {
    const key = `${p.req.owner}/${p.req.dirname}/${p.req.chroot}${p.req.devel ? '/devel' : ''}`;
    byRepo.set(key, [...(byRepo.get(key) ?? []), p.at]);
  }
  let runs = 0;
  for (const times of byRepo.values()) {
    times.sort((a, b) => a - b);
    let free = 0;
    let i = 0;
    while (i < times.length) {
      const start = Math.max(free, (times[i] ?? 0) + 1);
      let taken = 0;
      while (i < times.length && (times[i] ?? 0) < start && taken < PUBLISH_RUN.batch) {
        i++;
        taken++;
      }
      if (taken === 0) i++;
      runs++;
      free = start + PUBLISH_RUN.seconds;
    }
  }
  return { requests: r.published.length, runs, runSeconds: runs * PUBLISH_RUN.seconds };
}

export interface TrafficStats {
  first: number;
  last: number;
  mean: number;
  peak: number;
  /** Requests a 50 rps / burst 100 token bucket (the stage throttle, lib/constructs/api.ts) would refuse. */
  overThrottle: number;
  secondsOverThrottle: number;
}

export function builderTraffic(r: SimResult, rate = 50, burst = 100): TrafficStats {
  const seconds = [...r.api.perSecond.keys()];
  if (seconds.length === 0) return { first: 0, last: 0, mean: 0, peak: 0, overThrottle: 0, secondsOverThrottle: 0 };
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  let peak = 0;
  let tokens = burst;
  let over = 0;
  let secondsOver = 0;
  for (let s = first; s <= last; s++) {
    const n = r.api.perSecond.get(s) ?? 0;
    peak = Math.max(peak, n);
    tokens = Math.min(burst, tokens + rate);
    if (n > tokens) {
      over += n - tokens;
      secondsOver++;
      tokens = 0;
    } else tokens -= n;
  }
  return { first, last, mean: r.api.requests / (last - first + 1), peak, overThrottle: over, secondsOverThrottle: secondsOver };
}

export interface KeyPeak {
  key: string;
  peakPerSecond: number;
  total: number;
}

/** Highest writes in one second of one partition key. */
export function keyPeak(r: SimResult, key: string): KeyPeak {
  let p = 0;
  for (const bucket of r.db.perSecond.values()) p = Math.max(p, bucket.get(key) ?? 0);
  return { key, peakPerSecond: p, total: r.db.total.perKey.get(key) ?? 0 };
}

/** Highest writes in one second per partition key (base table and index keys), hottest first. */
export function hotKeys(r: SimResult, top = 6): KeyPeak[] {
  const peak = new Map<string, number>();
  for (const bucket of r.db.perSecond.values()) {
    for (const [k, n] of bucket) if (n > (peak.get(k) ?? 0)) peak.set(k, n);
  }
  return [...peak]
    .map(([key, p]) => ({ key, peakPerSecond: p, total: r.db.total.perKey.get(key) ?? 0 }))
    .sort((a, b) => b.peakPerSecond - a.peakPerSecond || b.total - a.total)
    .slice(0, top);
}

/** Seconds from the first submission until `fraction` of the fleet was up at once (null: never). */
export function rampSeconds(r: SimResult, fraction: number): number | null {
  const want = Math.ceil(r.options.fleet * fraction);
  const deltas: Array<[number, number]> = [];
  for (const i of r.fleet.instances.values()) {
    deltas.push([i.launchedAt, 1]);
    if (i.endedAt !== null) deltas.push([i.endedAt, -1]);
  }
  deltas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let alive = 0;
  for (const [t, d] of deltas) {
    alive += d;
    if (alive >= want) return t;
  }
  return null;
}

export function peakAlive(r: SimResult): number {
  const deltas: Array<[number, number]> = [];
  for (const i of r.fleet.instances.values()) {
    deltas.push([i.launchedAt, 1]);
    if (i.endedAt !== null) deltas.push([i.endedAt, -1]);
  }
  deltas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let alive = 0;
  let peak = 0;
  for (const [, d] of deltas) {
    alive += d;
    peak = Math.max(peak, alive);
  }
  return peak;
}

/**
 * Throughput of the queued work: every build but the single-build owners' (which
 * trickle in over the spread and would stretch the time) from t=0 until the last
 * of them is final.
 */
export function queueThroughput(r: SimResult): { builds: number; seconds: number | null; perHour: number | null } {
  const queued = r.builds.filter((b) => b.plan.kind !== 'single');
  if (queued.some((b) => b.finalAt === null) || queued.length === 0) return { builds: queued.length, seconds: null, perHour: null };
  const seconds = Math.max(...queued.map((b) => b.finalAt ?? 0));
  return { builds: queued.length, seconds, perHour: (queued.length * 3600) / seconds };
}

export interface Fairness {
  singleOwners: number;
  maxWaitToLaunch: number | null;
  medianWaitToLaunch: number | null;
  maxToFinal: number | null;
}

const median = (v: number[]) => (v.length === 0 ? null : [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] ?? null);

export function fairness(r: SimResult): Fairness {
  const singles = r.builds.filter((b) => b.plan.kind === 'single');
  const waits = singles.filter((b) => b.srpmLaunchedAt !== null).map((b) => (b.srpmLaunchedAt ?? 0) - b.plan.submitAt);
  const finals = singles.filter((b) => b.finalAt !== null).map((b) => (b.finalAt ?? 0) - b.plan.submitAt);
  return {
    singleOwners: singles.length,
    maxWaitToLaunch: waits.length ? Math.max(...waits) : null,
    medianWaitToLaunch: median(waits),
    maxToFinal: finals.length === singles.length && finals.length ? Math.max(...finals) : null,
  };
}

export interface CostLine {
  item: string;
  usage: string;
  usd: number;
}

/** Cost of the run at list prices, per 1,000 builds. */
export function costPer1000(r: SimResult): { lines: CostLine[]; total: number } {
  const per = 1000 / r.options.builds;
  let instanceSeconds = 0;
  let billedSeconds = 0;
  for (const i of r.fleet.instances.values()) {
    const end = i.endedAt ?? r.simSeconds;
    instanceSeconds += end - i.launchedAt;
    billedSeconds += Math.max(PRICES.ec2MinimumSeconds, end - i.launchedAt);
  }
  const ec2Rate = PRICES.ec2PerHour['c7i.xlarge'] ?? 0;
  const ebsPerSecond = (PRICES.gp3PerGibMonth * PRICES.builderRootGib) / (730 * 3600);
  const gbs = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);
  const pub = publishRuns(r);
  const builderRequests = r.api.requests;
  const apiRequests = builderRequests + r.submits.requests;
  const lambdaInvocations = apiRequests + r.dispatcher.invocations + r.reaper.invocations + pub.runs;
  const lambdaGbs =
    gbs(r.api.billedMs + r.submits.billedMs, LAMBDA_MB.api) +
    gbs(r.dispatcher.billedMs, LAMBDA_MB.dispatcher) +
    gbs(r.reaper.billedMs, LAMBDA_MB.reaper) +
    gbs(pub.runSeconds * 1000, LAMBDA_MB.publishTrigger);
  // SQS: each wake is a send; each batch handed to the dispatcher is a receive and a delete.
  const sqsStandard = r.sqs.dispatchSends + 2 * r.sqs.dispatchBatches;
  const sqsFifo = pub.requests + 2 * pub.runs;
  const fargateHours = pub.runSeconds / 3600;
  const lines: CostLine[] = [
    { item: `EC2 builders (c7i.xlarge $${ec2Rate}/h)`, usage: `${(instanceSeconds / 60).toFixed(0)} instance-min`, usd: (billedSeconds / 3600) * ec2Rate },
    { item: `EBS gp3 root volumes (${PRICES.builderRootGib} GiB)`, usage: `${(instanceSeconds / 60).toFixed(0)} volume-min`, usd: instanceSeconds * ebsPerSecond },
    { item: 'Lambda (API, dispatcher, reaper, publish trigger)', usage: `${lambdaInvocations} inv, ${lambdaGbs.toFixed(0)} GB-s`, usd: lambdaInvocations * PRICES.lambdaPerRequest + lambdaGbs * PRICES.lambdaPerGbSecond },
    { item: 'API Gateway HTTP API', usage: `${apiRequests} requests`, usd: apiRequests * PRICES.httpApiPerRequest },
    { item: 'DynamoDB on-demand', usage: `${r.db.total.wru.toFixed(0)} WRU, ${r.db.total.rru.toFixed(0)} RRU`, usd: r.db.total.wru * PRICES.dynamoPerWru + r.db.total.rru * PRICES.dynamoPerRru },
    { item: 'SQS (dispatch standard, publish FIFO)', usage: `${sqsStandard} + ${sqsFifo} requests`, usd: sqsStandard * PRICES.sqsStandardPerRequest + sqsFifo * PRICES.sqsFifoPerRequest },
    { item: `Fargate publisher (${PUBLISHER_TASK.vcpu} vCPU, ${PUBLISHER_TASK.gb} GB)`, usage: `${pub.runs} runs`, usd: fargateHours * (PUBLISHER_TASK.vcpu * PRICES.fargatePerVcpuHour + PUBLISHER_TASK.gb * PRICES.fargatePerGbHour) },
    { item: 'EventBridge events', usage: `${r.events.total} events`, usd: r.events.total * PRICES.eventBridgePerEvent },
    { item: 'S3 PUTs (results, live logs)', usage: `${r.s3.puts} PUTs`, usd: r.s3.puts * PRICES.s3PerPut },
  ].map((l) => ({ ...l, usd: l.usd * per }));
  return { lines, total: lines.reduce((a, l) => a + l.usd, 0) };
}
