import { performance } from 'node:perf_hooks';
import type { App, FinishReport, NextTaskReply, TaskContext } from '../../functions/core/app.js';
import type { TaskInput } from '../../functions/core/builder-protocol.js';
import { LIVE_LOG_NAME } from '../../functions/core/results-store.js';
import { taskResultPrefix } from '../../functions/core/task-lifecycle.js';
import { emptyFootprint, type DbCounter, type Footprint } from './counting-db.js';
import type { Scheduler } from './sim-time.js';

/**
 * The builder protocol as the API Lambda serves it (functions/api/routes/builder.ts):
 * every request resolves the bearer credential to its task session
 * (`app.builder.session`), then runs the one use case of the route. Each request is
 * counted in the simulated second it is made, with the table work it caused and the
 * wall time it took here (the Lambda duration estimate).
 *
 * Repeated idempotent requests (heartbeats, upload-url) are the bulk of the traffic
 * and would take hours on DynamoDB Local. They are sent for real at most once per
 * `realEverySeconds` per builder (always more often than the reaper's timeout, so
 * leases stay true); the others are counted with the footprint of that builder's
 * last real request of the same kind: same requests, same item writes per
 * partition key (its own task's keys and the shared index keys), same capacity
 * units. `realEverySeconds = 0` sends every request.
 */
export type CallKind = 'task' | 'started' | 'heartbeat' | 'live-log' | 'upload-url' | 'finished' | 'next-task' | 'leave';

export interface CallStats {
  real: number;
  replayed: number;
  wallMs: number[];
}

export class BuilderApi {
  /** Builder API requests per simulated second. */
  readonly perSecond = new Map<number, number>();
  readonly stats = new Map<CallKind, CallStats>();
  /** Lambda-billed milliseconds (wall time here, replays at the real call's time). */
  billedMs = 0;
  private readonly last = new Map<string, { at: number; footprint: Footprint; ms: number }>();

  constructor(
    private readonly app: App,
    private readonly db: DbCounter,
    private readonly sched: Scheduler,
    readonly realEverySeconds: number,
  ) {}

  private stat(kind: CallKind): CallStats {
    let s = this.stats.get(kind);
    if (!s) {
      s = { real: 0, replayed: 0, wallMs: [] };
      this.stats.set(kind, s);
    }
    return s;
  }

  private count(): void {
    const s = this.sched.now;
    this.perSecond.set(s, (this.perSecond.get(s) ?? 0) + 1);
  }

  /** One request, sent for real. */
  private async real<T>(kind: CallKind, builderId: string, fn: () => Promise<T>): Promise<T> {
    this.count();
    const footprint = emptyFootprint();
    const t0 = performance.now();
    const out = await this.db.as(`builder ${kind}`, () => this.db.measure(footprint, fn));
    const ms = performance.now() - t0;
    const s = this.stat(kind);
    s.real++;
    s.wallMs.push(ms);
    this.billedMs += Math.ceil(ms);
    this.last.set(`${builderId}\u0000${kind}`, { at: this.sched.now, footprint, ms });
    return out;
  }

  /** A repeatable request: real, or counted with the footprint of this builder's last real one. */
  private async repeatable(kind: CallKind, builderId: string, fn: () => Promise<void>, storeOnly?: () => Promise<void>): Promise<void> {
    const prev = this.last.get(`${builderId}\u0000${kind}`);
    if (prev && this.realEverySeconds > 0 && this.sched.now - prev.at < this.realEverySeconds) {
      this.count();
      // What the request does outside the table (a chunk into the results store) still happens.
      await this.db.as(`builder ${kind}`, async () => storeOnly?.());
      this.db.replay(prev.footprint);
      this.stat(kind).replayed++;
      this.billedMs += Math.ceil(prev.ms);
      return;
    }
    await this.real(kind, builderId, fn);
  }

  /** Forgets a builder's footprints (its task changed: the keys it writes changed). */
  forget(builderId: string): void {
    for (const kind of ['heartbeat', 'live-log', 'upload-url'] as const) this.last.delete(`${builderId}\u0000${kind}`);
  }

  /** GET /backend/builder/task */
  task(builderId: string, credential: string): Promise<{ session: TaskContext; input: TaskInput }> {
    return this.real('task', builderId, async () => {
      const session = await this.app.builder.session(credential);
      return { session, input: await this.app.builder.task(session) };
    });
  }

  /** POST /backend/builder/started */
  started(builderId: string, credential: string): Promise<void> {
    return this.real('started', builderId, async () => this.app.builder.started(await this.app.builder.session(credential)));
  }

  /** POST /backend/builder/heartbeat; returns the cancel flag (false for a replayed beat). */
  async heartbeat(builderId: string, credential: string): Promise<boolean> {
    let cancel = false;
    await this.repeatable('heartbeat', builderId, async () => {
      cancel = (await this.app.builder.heartbeat(await this.app.builder.session(credential))).cancel;
    });
    return cancel;
  }

  /**
   * PUT /backend/builder/live-log/{offset}: the new bytes of the live log. A replayed
   * chunk is counted with its own size (the store's byte count), the table footprint of
   * the builder's last real one.
   */
  liveLog(builderId: string, credential: string, offset: number, bytes: number): Promise<void> {
    const chunk = Buffer.alloc(bytes);
    return this.repeatable('live-log', builderId, async () => {
      const session = await this.app.builder.session(credential);
      await this.app.ports.results.writeLiveLogChunk(`${taskResultPrefix(session)}/${LIVE_LOG_NAME}`, session.task.attempts, offset, chunk);
    }, async () => {
      await this.app.ports.results.writeLiveLogChunk('', 0, offset, chunk);
    });
  }

  /** POST /backend/builder/upload-url (the S3 PUT that follows is counted by the caller). */
  uploadUrl(builderId: string, credential: string, path: string): Promise<void> {
    return this.repeatable('upload-url', builderId, async () => {
      const session = await this.app.builder.session(credential);
      await this.app.ports.results.uploadTarget(`${taskResultPrefix(session)}/${path}`, credential);
    });
  }

  /** The builder's direct S3 PUT of a result file (no API request): here, the marker the core checks. */
  async putResult(session: TaskContext, path: string): Promise<void> {
    await this.app.ports.results.put(`${taskResultPrefix(session)}/${path}`, '');
  }

  /** POST /backend/builder/finished */
  finished(builderId: string, credential: string, report: FinishReport): Promise<void> {
    return this.real('finished', builderId, async () => this.app.builder.finished(await this.app.builder.session(credential), report));
  }

  /** POST /backend/builder/next-task (warm builders; the builder credential, no task session). */
  nextTask(builderId: string, builderCredential: string): Promise<NextTaskReply> {
    return this.real('next-task', builderId, () => this.app.builder.nextTask(builderCredential));
  }

  /** POST /backend/builder/leave */
  leave(builderId: string, builderCredential: string): Promise<void> {
    return this.real('leave', builderId, () => this.app.builder.leave(builderCredential));
  }

  get requests(): number {
    let n = 0;
    for (const v of this.perSecond.values()) n += v;
    return n;
  }
}
