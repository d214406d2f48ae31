import { join } from 'node:path';
import { jsonLogger } from '../adapters/json-logger.js';
import { JsonlEventSink } from '../adapters/jsonl-event-sink.js';
import { LocalFleet } from '../adapters/local-fleet.js';
import { LocalResultsStore } from '../adapters/local-results-store.js';
import type { Config } from '../config.js';
import { defaultAppSettings, type AppSettings } from '../core/app.js';
import type { Clock, Logger, Ports, Store } from '../core/ports.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoActionStore } from '../store/dynamo-action-store.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { DynamoJobClaims } from '../store/dynamo-job-claims.js';
import { DynamoPublishLedger } from '../store/dynamo-publish-ledger.js';
import { ledgerPublishSink } from '../core/publish-ledger.js';
import type { LocalWakeups } from './wakeups.js';

/**
 * The local composition root's adapters: every port of functions/core/ports.ts on
 * one machine. DynamoDB Local for the stores and the publish ledger, the data dir for
 * results and events, child processes for builders, in-process wake-ups. Plugins
 * (functions/local/*-plugin.ts) may bring their own adapter for a port (the builds
 * plugin's publisher and builders, a test's recorder); the service merges them over
 * these once, before `createApp`.
 */
export interface LocalEnv {
  dataDir: string;
  url: string;
  config: Config;
  store: Store;
  clock: Clock;
  wakeups: LocalWakeups;
  log: Logger;
  results: LocalResultsStore;
  /** Publish requests, kept in the table until a publisher run that included them finished. */
  publishLedger: DynamoPublishLedger;
}

export function localPorts(env: LocalEnv): Ports {
  const db = documentClient(env.config.DYNAMODB_ENDPOINT, env.config.AWS_REGION);
  const log = env.log;
  return {
    store: env.store,
    builds: new DynamoBuildStore(db, env.config.TABLE_NAME),
    actions: new DynamoActionStore(db, env.config.TABLE_NAME),
    claims: new DynamoJobClaims(db, env.config.TABLE_NAME),
    results: env.results,
    fleet: new LocalFleet({ apiUrl: env.url, workDir: join(env.dataDir, 'builders'), log: (m) => log.info(m) }),
    events: JsonlEventSink.inDataDir(env.dataDir),
    // Without a publisher running (the builds plugin brings one), a request waits in
    // the ledger and is replayed when one starts; the wake-up goes nowhere.
    publish: ledgerPublishSink(env.publishLedger, async () => undefined, env.clock),
    publishLedger: env.publishLedger,
    wakePublisher: async () => undefined,
    wake: () => env.wakeups.fire('dispatcher'),
    wakeActions: () => env.wakeups.fire('actions'),
    clock: env.clock,
    log,
  };
}

/** Settings of `npm start`: a small builder pool, a quick reaper, strays found within a minute. */
export function localSettings(config: Config): AppSettings {
  return {
    ...withDispatch(defaultAppSettings(config.RESULTS_BASE_URL, config.COPR_MAX_BUILDERS), config),
    reaper: { heartbeatTimeoutMs: 20_000, maxAttempts: 3 },
    strayGraceMs: 60_000,
  };
}

/** Warm builders locally too: an idle agent process asks for work every 2 s until its idle period ends. */
function withDispatch(s: AppSettings, config: Config): AppSettings {
  return {
    ...s,
    dispatch: {
      ...s.dispatch,
      launchConcurrency: config.DISPATCH_LAUNCH_CONCURRENCY,
      launchMaxFailures: config.DISPATCH_LAUNCH_MAX_FAILURES,
      warm: { reuse: config.BUILDER_REUSE, idleMs: config.BUILDER_IDLE_SECONDS * 1000, emptyIdleMs: config.BUILDER_EMPTY_IDLE_SECONDS * 1000, pollMs: 2_000 },
    },
  };
}

export function localEnvBase(dataDir: string, url: string, config: Config): Pick<LocalEnv, 'results' | 'publishLedger' | 'log'> {
  return {
    log: jsonLogger({ quiet: config.COPR_QUIET }),
    results: new LocalResultsStore(join(dataDir, 'results'), url),
    publishLedger: new DynamoPublishLedger(documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION), config.TABLE_NAME),
  };
}
