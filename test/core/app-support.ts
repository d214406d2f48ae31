import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalResultsStore } from '../../functions/adapters/local-results-store.js';
import { createApp, defaultAppSettings, type App, type AppSettings } from '../../functions/core/app.js';
import type { Task } from '../../functions/core/build-model.js';
import { hashCredential } from '../../functions/core/dispatcher.js';
import { MemoryEventSink } from '../../functions/core/events.js';
import type { Caller } from '../../functions/core/model.js';
import { seedMockChroots } from '../../functions/core/mock-chroots.js';
import type { Fleet, Logger, Ports, PublishRequest } from '../../functions/core/ports.js';
import { createProject } from '../../functions/core/projects.js';
import { createUser } from '../../functions/core/users.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoActionStore } from '../../functions/store/dynamo-action-store.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { DynamoJobClaims } from '../../functions/store/dynamo-job-claims.js';
import { DynamoPublishLedger } from '../../functions/store/dynamo-publish-ledger.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/**
 * The application core without HTTP: `createApp` over real adapters (a fresh table in
 * DynamoDB Local, results in a temp dir) with recording ones where the world would
 * act (builders, publisher, wake-ups, events) and a clock the test moves.
 */
export class RecordingFleet implements Fleet {
  launched: Array<{ task: Task; credential: string; builderId: string }> = [];
  terminated: string[] = [];
  async launch(task: Task, credential: string, builderId: string): Promise<void> {
    this.launched.push({ task, credential, builderId });
  }
  async terminate(builderId: string): Promise<void> {
    this.terminated.push(builderId);
  }
  async list(): Promise<[]> {
    return [];
  }
}

export interface CoreHarness {
  app: App;
  ports: Ports;
  fleet: RecordingFleet;
  events: MemoryEventSink;
  published: PublishRequest[];
  wakes: { dispatcher: number; actions: number };
  clock: { now(): number; advance(ms: number): void };
  alice: Caller;
  /** Composes another App over the same adapters with some ports replaced (crash injection). */
  withPorts(over: Partial<Ports>, settings?: Partial<AppSettings>): App;
  close(): void;
}

const quiet: Logger = { info: () => undefined, error: () => undefined };

export async function coreHarness(opts: { chroots?: string[]; settings?: Partial<AppSettings> } = {}): Promise<CoreHarness> {
  const db = documentClient(process.env.DYNAMODB_ENDPOINT);
  const table = `core-${randomUUID()}`;
  await ensureTable(db, table);
  const dir = mkdtempSync(join(tmpdir(), 'copr-core-'));
  let now = 1_800_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const store = new DynamoStore(db, table);
  await seedMockChroots(store);
  const fleet = new RecordingFleet();
  const events = new MemoryEventSink();
  const published: PublishRequest[] = [];
  const wakes = { dispatcher: 0, actions: 0 };
  const ports: Ports = {
    store,
    builds: new DynamoBuildStore(db, table),
    actions: new DynamoActionStore(db, table),
    claims: new DynamoJobClaims(db, table),
    results: new LocalResultsStore(join(dir, 'results'), 'http://127.0.0.1:9'),
    fleet,
    events,
    publish: async (req) => void published.push(req),
    publishLedger: new DynamoPublishLedger(db, table),
    wakePublisher: async () => undefined,
    wake: async () => void wakes.dispatcher++,
    wakeActions: async () => void wakes.actions++,
    clock,
    log: quiet,
  };
  const settings: AppSettings = { ...defaultAppSettings('http://127.0.0.1:9/results', 4), ...opts.settings };
  const { user } = await createUser(store, clock, 'alice', {});
  const alice: Caller = { user };
  await createProject(store, clock, alice, 'alice', { name: 'p', chroots: opts.chroots ?? ['fedora-44-x86_64', 'epel-10-x86_64'] }, false);
  return {
    app: createApp(ports, settings),
    ports,
    fleet,
    events,
    published,
    wakes,
    clock,
    alice,
    withPorts: (over, s = {}) => createApp({ ...ports, ...over }, { ...settings, ...s }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Claims a pending task as the dispatcher would; returns the builder's credential. */
export async function claim(h: CoreHarness, taskId: string): Promise<string> {
  const credential = `${taskId}.secret-${randomUUID()}`;
  const ok = await h.ports.builds.claimTask(taskId, {
    builder_id: `b-${taskId}`,
    credential_hash: hashCredential(credential),
    credential_expires: h.clock.now() + 3_600_000,
    now: h.clock.now(),
  });
  if (!ok) throw new Error(`task ${taskId} could not be claimed`);
  return credential;
}

/** Uploads an SRPM stage's results and reports success through the builder session. */
export async function succeedSrpm(h: CoreHarness, credential: string, name: string): Promise<void> {
  const s = await h.app.builder.session(credential);
  const prefix = `alice/${s.build.project_dirname}/srpm-builds/${String(s.build.id).padStart(8, '0')}`;
  await h.ports.results.put(`${prefix}/${name}-1.0-1.src.rpm`, 'srpm');
  await h.ports.results.put(`${prefix}/success`, '');
  await h.app.builder.finished(s, { status: 'succeeded', srpm_filename: `${name}-1.0-1.src.rpm`, results: { name, epoch: null, version: '1.0', release: '1' } });
}

/**
 * A store whose `failAt`-th write (counting every call that is not a read: get*,
 * list*, find*) throws, as a process dying right there would leave things.
 */
export function crashingAt<T extends object>(target: T, counter: { writes: number; failAt: number }): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || /^(get|list|find)/.test(prop)) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      }
      return async (...args: unknown[]) => {
        counter.writes++;
        if (counter.writes === counter.failAt) throw new Error(`crash at write ${counter.failAt} (${prop})`);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
      };
    },
  });
}
