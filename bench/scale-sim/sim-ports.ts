import type { Task } from '../../functions/core/build-model.js';
import type { CoprEvent, EventSink } from '../../functions/core/events.js';
import type { LaunchOptions } from '../../functions/core/dispatcher.js';
import type { Fleet, ResultsStore } from '../../functions/core/ports.js';
import type { UploadTarget } from '../../functions/core/results-store.js';
import type { Scheduler } from './sim-time.js';

/**
 * The simulated world around the core: a results bucket in memory (builders only
 * leave the `success` marker the core checks), an event bus that counts, and a
 * fleet that records launches and runs simulated builders instead of instances.
 */
export class MemoryResults implements ResultsStore {
  private readonly keys = new Set<string>();
  puts = 0;
  /** Live-log chunks stored (one S3 object each on AWS, functions/aws/s3-live-log.ts) and their bytes. */
  liveLog = { chunks: 0, bytes: 0 };

  async put(key: string): Promise<void> {
    this.puts++;
    this.keys.add(key);
  }
  async putFile(key: string): Promise<void> {
    await this.put(key);
  }
  async get(key: string): Promise<Buffer | null> {
    return this.keys.has(key) ? Buffer.alloc(0) : null;
  }
  async copy(from: string, to: string): Promise<boolean> {
    if (!this.keys.has(from)) return false;
    await this.put(to);
    return true;
  }
  async exists(key: string): Promise<boolean> {
    return this.keys.has(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.keys].filter((k) => k.startsWith(prefix));
  }
  async delete(key: string): Promise<void> {
    this.keys.delete(key);
  }
  async deletePrefix(prefix: string): Promise<void> {
    for (const k of [...this.keys]) if (k.startsWith(prefix)) this.keys.delete(k);
  }
  async writeLiveLogChunk(_key: string, _attempt: number, _offset: number, data: Buffer): Promise<'stored' | 'gap'> {
    this.liveLog.chunks++;
    this.liveLog.bytes += data.length;
    return 'stored';
  }
  async dropLiveLogChunks(): Promise<void> {}
  async uploadTarget(key: string): Promise<UploadTarget> {
    // A presigned PUT on AWS is computed locally by the SDK: no request, no table access.
    return { url: `https://results.invalid/${key}`, method: 'PUT', headers: {} };
  }
}

export class CountingEvents implements EventSink {
  readonly byType = new Map<string, number>();
  async publish(event: CoprEvent): Promise<void> {
    this.byType.set(event.type, (this.byType.get(event.type) ?? 0) + 1);
  }
  get total(): number {
    return [...this.byType.values()].reduce((a, b) => a + b, 0);
  }
}

export interface Instance {
  builderId: string;
  /** The task it was launched for (cold) or holds now (warm). */
  taskId: string | null;
  credential: string;
  /** A warm builder's own credential (next-task calls) and idle period; null for a one-task builder. */
  warm: { builderCredential: string; idleSeconds: number } | null;
  task: Task;
  /** Simulated seconds. */
  launchedAt: number;
  endedAt: number | null;
  terminatedByServer: boolean;
  tasksRun: number;
  /** Sandboxes of the tasks it ran (the isolation rule allows one). */
  sandboxes: Set<string>;
}

/** What a launched builder does (builders.ts): runs as a simulated actor from `at`. */
export type BuilderActor = (instance: Instance) => Promise<void>;

export interface FleetSettings {
  /** Simulated seconds one RunInstances call takes (the dispatcher waits for it). */
  launchSeconds: number;
  /** Launches the dispatcher keeps in flight at once: each costs the invocation launchSeconds / this. */
  launchConcurrency: number;
  /** The dispatcher Lambda's timeout: a launch that would end later never returns (the invocation is killed). */
  lambdaTimeoutSeconds: number;
}

/**
 * The Fleet port in simulated time. `launch` costs the dispatcher `launchSeconds`
 * of simulated time (clock offset: the invocation's own time), shared by the
 * launches it keeps in flight at once (`launchConcurrency`), and an invocation
 * that runs past the Lambda timeout is killed right there, as on AWS: the
 * promise never settles and `onKilled` tells the simulation.
 */
export class SimFleet implements Fleet {
  readonly instances = new Map<string, Instance>();
  launches = 0;
  killedInvocations = 0;
  /** Seconds of the current dispatcher invocation spent launching (reset per invocation). */
  private invocationStart = 0;
  onKilled: () => void = () => undefined;

  constructor(
    private readonly sched: Scheduler,
    private readonly settings: FleetSettings,
    private readonly actor: BuilderActor,
  ) {}

  /** Marks the start of a dispatcher invocation (its Lambda deadline counts from here). */
  invocationStarted(): void {
    this.invocationStart = this.sched.clock.seconds();
  }

  async launch(task: Task, credential: string, builderId: string, options?: LaunchOptions): Promise<void> {
    const clock = this.sched.clock;
    const cost = this.settings.launchSeconds / this.settings.launchConcurrency;
    if (clock.seconds() + cost - this.invocationStart > this.settings.lambdaTimeoutSeconds) {
      this.killedInvocations++;
      this.onKilled();
      return new Promise<void>(() => undefined);
    }
    clock.offset += cost * 1000;
    this.launches++;
    const instance: Instance = {
      builderId,
      taskId: task.task_id,
      credential,
      warm: options?.warm ?? null,
      task,
      launchedAt: clock.seconds(),
      endedAt: null,
      terminatedByServer: false,
      tasksRun: 0,
      sandboxes: new Set(),
    };
    this.instances.set(builderId, instance);
    this.sched.spawn(instance.launchedAt, () => this.actor(instance));
  }

  async terminate(builderId: string): Promise<void> {
    const i = this.instances.get(builderId);
    if (!i || i.endedAt !== null) return;
    i.terminatedByServer = true;
    i.endedAt = this.sched.clock.seconds();
  }

  async list(): Promise<Array<{ builderId: string; taskId: string | null; launchedAt: number | null }>> {
    return [...this.instances.values()]
      .filter((i) => i.endedAt === null)
      .map((i) => ({ builderId: i.builderId, taskId: i.taskId, launchedAt: this.sched.clock.epoch + i.launchedAt * 1000 }));
  }

  /** Instances alive at simulated second `s`. */
  aliveAt(s: number): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.launchedAt <= s && (i.endedAt === null || i.endedAt > s)) n++;
    return n;
  }
}
