import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createApp, type App, type CheckedSubmission, type TaskContext } from '../../functions/core/app.js';
import { awsSettings } from '../../functions/aws/compose.js';
import { loadConfig } from '../../functions/config.js';
import type { Task } from '../../functions/core/build-model.js';
import type { LaunchOptions } from '../../functions/core/dispatcher.js';
import { seedMockChroots } from '../../functions/core/mock-chroots.js';
import type { Caller } from '../../functions/core/model.js';
import type { Logger, Ports, PublishRequest } from '../../functions/core/ports.js';
import { createProject } from '../../functions/core/projects.js';
import { createUser } from '../../functions/core/users.js';
import { DynamoActionStore } from '../../functions/store/dynamo-action-store.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { DynamoJobClaims } from '../../functions/store/dynamo-job-claims.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { BuilderApi } from './builder-api.js';
import { simBuilder, DEFAULT_BUILDER_MODEL, type BuilderModel, type BuilderWorld } from './builders.js';
import { DbCounter } from './counting-db.js';
import { leanSend } from './lean-dynamo.js';
import { CountingEvents, MemoryResults, SimFleet, type BuilderActor } from './sim-ports.js';
import { Scheduler, SimClock } from './sim-time.js';
import { planBuilds, planOwners, seededRandom, type PlannedBuild } from './workload.js';

/**
 * One simulated run: the real core (`createApp` over the real DynamoDB stores on
 * DynamoDB Local) with simulated time, builders, fleet, queues and publisher.
 * The world around the core is modelled as deployed on AWS (lib/constructs):
 * - dispatcher: SQS wake-ups, batch 10, 1 s window, at most 2 concurrent invocations,
 *   120 s Lambda timeout (an invocation past it is killed mid-pass), a deadline 30 s before it;
 * - reaper: every 60 s (reap, stray builders, wake);
 * - builder API: the routes of functions/api/routes/builder.ts (builder-api.ts);
 * - publisher: FIFO per repository, up to 10 requests merged per Fargate run.
 */
export type Strategy = 'cold' | 'warm';

export interface SimOptions {
  endpoint: string;
  table: string;
  builds: number;
  fleet: number;
  strategy: Strategy;
  owners?: number;
  chroots?: string[];
  seed?: number;
  /** Single-build owners submit within this many seconds (default 2 h). */
  spreadSeconds?: number;
  /** Builds per second each mass or medium owner submits (default 10). */
  submitRate?: number;
  /** Multiplies every build duration (default 1; tests shorten the work). */
  workScale?: number;
  /** Real heartbeat/upload-url requests at most this often per builder (0: all real). */
  realEverySeconds?: number;
  model?: Partial<BuilderModel>;
  /** Simulated seconds per RunInstances call. */
  launchSeconds?: number;
  /** Stop after this many simulated seconds even if builds are left (default 3 days). */
  maxSimSeconds?: number;
  /** Submissions in flight at once (wall-clock concurrency, not simulated). */
  submitConcurrency?: number;
  /** Warm builders' idle period when nothing of their sandbox is queued (null: the stack's default). */
  emptyIdleSeconds?: number | null;
  /** How table commands travel: the SDK, or the same requests posted directly (lean-dynamo.ts; default). */
  transport?: 'sdk' | 'lean';
  onProgress?: (line: string) => void;
}

export interface BuildRecord {
  plan: PlannedBuild;
  id: number;
  srpmLaunchedAt: number | null;
  finalAt: number | null;
  pendingChroots: number;
}

export interface InvocationStats {
  invocations: number;
  billedMs: number;
}

export interface SimResult {
  options: Required<Omit<SimOptions, 'onProgress' | 'model'>> & { model: BuilderModel };
  app: App;
  db: DbCounter;
  api: BuilderApi;
  fleet: SimFleet;
  events: CountingEvents;
  results: MemoryResults;
  builds: BuildRecord[];
  published: Array<{ at: number; req: PublishRequest }>;
  dispatcher: InvocationStats & { killed: number; lockBusy: number; started: number };
  reaper: InvocationStats;
  submits: { requests: number; billedMs: number };
  sqs: { dispatchSends: number; dispatchBatches: number };
  s3: { puts: number; bytes: number };
  simSeconds: number;
  wallMs: number;
  /** Simulated second at which the last build became final (null: not all did). */
  lastFinalAt: number | null;
}

/** The dispatcher Lambda's timeout (lib/constructs/workers.ts) and the margin its handler keeps (STOP_BEFORE_TIMEOUT_MS). */
const DISPATCHER_TIMEOUT_SECONDS = 120;
const STOP_BEFORE_TIMEOUT_SECONDS = 30;

const quiet: Logger = { info: () => undefined, error: () => undefined };

/** A DocumentClient of its own: the counter replaces its `send`, the shared one stays untouched. */
function countedClient(endpoint: string, counter: DbCounter, transport: 'sdk' | 'lean') {
  const base = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const doc = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  return counter.wrap(doc, transport === 'lean' ? (sdk) => leanSend(endpoint, sdk) : undefined);
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
    }),
  );
}

export async function simulate(opts: SimOptions): Promise<SimResult> {
  const wall0 = performance.now();
  const options = {
    endpoint: opts.endpoint,
    table: opts.table,
    builds: opts.builds,
    fleet: opts.fleet,
    strategy: opts.strategy,
    owners: opts.owners ?? 50,
    chroots: opts.chroots ?? ['fedora-rawhide-x86_64'],
    seed: opts.seed ?? 14,
    spreadSeconds: opts.spreadSeconds ?? 7200,
    submitRate: opts.submitRate ?? 10,
    workScale: opts.workScale ?? 1,
    realEverySeconds: opts.realEverySeconds ?? 0,
    launchSeconds: opts.launchSeconds ?? 1,
    maxSimSeconds: opts.maxSimSeconds ?? 3 * 86_400,
    submitConcurrency: opts.submitConcurrency ?? 16,
    transport: opts.transport ?? 'lean',
    emptyIdleSeconds: opts.emptyIdleSeconds ?? null,
    model: { ...DEFAULT_BUILDER_MODEL, ...opts.model },
  };
  const progress = opts.onProgress ?? (() => undefined);

  const clock = new SimClock();
  const sched = new Scheduler(clock);
  const db = new DbCounter(() => sched.now);
  const client = countedClient(options.endpoint, db, options.transport);
  await ensureTable(client, options.table);

  const results = new MemoryResults();
  const events = new CountingEvents();
  const published: SimResult['published'] = [];
  const sqs = { dispatchSends: 0, dispatchBatches: 0 };
  const dispatcher = { invocations: 0, billedMs: 0, killed: 0, lockBusy: 0, started: 0 };
  const reaper = { invocations: 0, billedMs: 0 };
  const submits = { requests: 0, billedMs: 0 };
  const s3 = { puts: 0, bytes: 0 };
  let wakeMessages = 0;
  let windowScheduled = false;

  // The builder actor is set once the world exists (the fleet needs it at launch time).
  let actor: BuilderActor = async () => undefined;
  const fleetSettings = { launchSeconds: options.launchSeconds, launchConcurrency: 1, lambdaTimeoutSeconds: DISPATCHER_TIMEOUT_SECONDS };
  const fleet = new SimFleet(sched, fleetSettings, (i) => actor(i));

  const ports: Ports = {
    store: new DynamoStore(client, options.table),
    builds: new DynamoBuildStore(client, options.table),
    actions: new DynamoActionStore(client, options.table),
    claims: new DynamoJobClaims(client, options.table),
    // Publishing is modelled (the publish port below); the ledger is there for maintenance's reconcile.
    publishLedger: new DynamoPublishLedger(client, options.table),
    wakePublisher: async () => undefined,
    results,
    fleet,
    events,
    publish: async (req) => void published.push({ at: sched.now, req }),
    wake: async () => {
      sqs.dispatchSends++;
      wakeMessages++;
      if (!windowScheduled) {
        windowScheduled = true;
        sched.exclusive(sched.now + 1, dispatchWindow);
      }
    },
    wakeActions: async () => undefined,
    clock,
    log: quiet,
  };
  // Cold: one task per builder (BUILDER_REUSE=off); warm: the stack's default reuse rule and idle period.
  const config = loadConfig({
    MAX_BUILDERS: String(options.fleet),
    RESULTS_BASE_URL: 'https://results.invalid/results',
    ...(options.strategy === 'cold' ? { BUILDER_REUSE: 'off' } : {}),
    ...(options.emptyIdleSeconds === null ? {} : { BUILDER_EMPTY_IDLE_SECONDS: String(options.emptyIdleSeconds) }),
  });
  const app = createApp(ports, awsSettings(config));
  fleetSettings.launchConcurrency = app.settings.dispatch.launchConcurrency;

  /**
   * One SQS batching window of the dispatcher's event source: up to 2 invocations
   * of up to 10 messages. Only the first runs a real pass: the second would start
   * while the first holds the lease lock, mark it dirty and return (counted, not run).
   */
  async function dispatchWindow(): Promise<void> {
    windowScheduled = false;
    const n = Math.min(2, Math.ceil(wakeMessages / 10));
    if (n === 0) return;
    wakeMessages -= Math.min(wakeMessages, n * 10);
    sqs.dispatchBatches += n;
    dispatcher.invocations += n;
    dispatcher.lockBusy += n - 1;
    fleet.invocationStarted();
    const t0 = performance.now();
    let killed = false;
    const kill = new Promise<'killed'>((resolve) => {
      fleet.onKilled = () => {
        killed = true;
        resolve('killed');
      };
    });
    // functions/handlers/dispatcher.ts: stop claiming STOP_BEFORE_TIMEOUT_MS before the timeout.
    const deadline = clock.now() + (DISPATCHER_TIMEOUT_SECONDS - STOP_BEFORE_TIMEOUT_SECONDS) * 1000;
    const outcome = await Promise.race([db.as('dispatcher', () => app.dispatch({ deadline })), kill]);
    if (killed || outcome === 'killed') {
      dispatcher.killed++;
      dispatcher.billedMs += DISPATCHER_TIMEOUT_SECONDS * 1000;
    } else {
      dispatcher.started += outcome;
      dispatcher.billedMs += Math.ceil(performance.now() - t0) + clock.offset;
    }
    fleet.onKilled = () => undefined;
    if (wakeMessages > 0 && !windowScheduled) {
      windowScheduled = true;
      sched.exclusive(sched.now + 1, dispatchWindow);
    }
  }

  // ---- the world: owners, projects, the planned builds --------------------------------
  await seedMockChroots(ports.store);
  const callers = new Map<string, Caller>();
  for (const o of planOwners(options)) {
    const { user } = await createUser(ports.store, clock, o.owner);
    const caller: Caller = { user };
    callers.set(o.owner, caller);
    await createProject(ports.store, clock, caller, o.owner, { name: 'p', chroots: options.chroots }, false);
  }
  const plan = planBuilds(options);
  const records: BuildRecord[] = [];
  const byId = new Map<number, BuildRecord>();
  let finals = 0;
  let lastFinalAt: number | null = null;

  const world: BuilderWorld = {
    sched,
    api: new BuilderApi(app, db, sched, options.realEverySeconds),
    model: options.model,
    rand: seededRandom(options.seed + 1),
    s3,
    planOf: (id) => {
      const r = byId.get(id);
      if (!r) throw new Error(`build ${id} was not planned`);
      return r.plan;
    },
    onTaskDone: (session: TaskContext, status, at) => {
      const r = byId.get(session.build.id);
      if (!r || r.finalAt !== null) return;
      if (session.task.kind === 'srpm') {
        if (status === 'succeeded') return;
        r.pendingChroots = 0;
      } else r.pendingChroots--;
      if (r.pendingChroots <= 0) {
        r.finalAt = at;
        finals++;
        lastFinalAt = at;
      }
    },
  };
  actor = simBuilder(world);

  const launchedOriginal = fleet.launch.bind(fleet);
  fleet.launch = async (task: Task, credential: string, builderId: string, launchOptions?: LaunchOptions) => {
    const r = byId.get(task.build_id);
    if (r && task.kind === 'srpm' && r.srpmLaunchedAt === null) r.srpmLaunchedAt = clock.seconds();
    return launchedOriginal(task, credential, builderId, launchOptions);
  };

  // Submissions, grouped by second; one check per owner and second (the API checks each request the same way).
  const bySecond = new Map<number, PlannedBuild[]>();
  for (const p of plan) bySecond.set(p.submitAt, [...(bySecond.get(p.submitAt) ?? []), p]);
  for (const [at, group] of bySecond) {
    sched.spawn(at, () => db.as('submit', async () => {
      const checked = new Map<string, CheckedSubmission>();
      await pool(group, options.submitConcurrency, async (p) => {
        const t0 = performance.now();
        let c = checked.get(p.owner);
        if (!c) {
          c = await app.builds.check(callers.get(p.owner)!, p.owner, 'p', { chroots: options.chroots });
          checked.set(p.owner, c);
        }
        const build = await app.builds.submit(c, { source_type: 'link', source_dict: { url: `https://example.invalid/${p.pkg}-1.0-1.src.rpm` } });
        submits.requests++;
        submits.billedMs += Math.ceil(performance.now() - t0);
        const r: BuildRecord = { plan: p, id: build.id, srpmLaunchedAt: null, finalAt: null, pendingChroots: options.chroots.length };
        records.push(r);
        byId.set(build.id, r);
      });
    }));
  }

  // The reaper's schedule.
  const reaperTick = async (): Promise<void> => {
    const t0 = performance.now();
    await db.as('reaper', async () => {
      await app.reap();
      await app.terminateStrays();
      await ports.wake();
    });
    reaper.invocations++;
    reaper.billedMs += Math.ceil(performance.now() - t0);
    if (finals < plan.length) sched.spawn(sched.now + 60, reaperTick);
  };
  sched.spawn(60, reaperTick);

  let lastReport = performance.now();
  // After the last build, warm builders still wait out their idle period: their instance time counts too.
  const anyAlive = () => [...fleet.instances.values()].some((i) => i.endedAt === null || i.endedAt > sched.now);
  while ((finals < plan.length || anyAlive()) && sched.now <= options.maxSimSeconds) {
    if (!(await sched.step())) break;
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      progress(
        `  t=${sched.now}s final ${finals}/${plan.length} alive ${fleet.aliveAt(sched.now)} ` +
          `requests ${world.api.requests} wall ${((performance.now() - wall0) / 1000).toFixed(0)}s`,
      );
    }
  }

  return {
    options,
    app,
    db,
    api: world.api,
    fleet,
    events,
    results,
    builds: records,
    published,
    dispatcher,
    reaper,
    submits,
    sqs,
    s3,
    simSeconds: sched.now,
    wallMs: performance.now() - wall0,
    lastFinalAt: finals === plan.length ? lastFinalAt : null,
  };
}
