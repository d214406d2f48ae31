import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { createAuthenticator } from '../api/auth.js';
import type { AppContext } from '../api/context.js';
import { loadConfig, requireConfig, type Config } from '../config.js';
import { createApp, defaultAppSettings, type App, type AppSettings } from '../core/app.js';
import { systemClock, type Ports } from '../core/ports.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoActionStore } from '../store/dynamo-action-store.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { DynamoJobClaims } from '../store/dynamo-job-claims.js';
import { DynamoPublishLedger } from '../store/dynamo-publish-ledger.js';
import { ledgerPublishSink } from '../core/publish-ledger.js';
import { DynamoStore } from '../store/dynamo-store.js';
import { withBuildMetrics } from './build-metrics.js';
import { awsFleet } from './compose-fleet.js';
import { RESULTS_S3_CLIENT_CONFIG, S3ResultsStore } from './s3-results-store.js';
import { sendPublishWake, sendWake } from './sqs-queues.js';

/**
 * The AWS composition root: config read and validated at cold start, clients and
 * adapters created once per Lambda container, then `createApp` (functions/core/app.ts).
 * Every handler takes its use cases from the one App, so the API, the workers and
 * the scheduled jobs can do exactly the same things. `origin` names the function in
 * the wake-ups it sends to the action runner (the dispatcher's say `api`, as they
 * always have).
 */
let cached: { config: Config; app: App } | null = null;

function composed(origin: string): { config: Config; app: App } {
  if (!cached) {
    const config = loadConfig();
    cached = { config, app: createApp(awsPorts(config, origin), awsSettings(config)) };
  }
  return cached;
}

function awsPorts(config: Config, origin: string): Ports {
  const bucket = requireConfig(config, 'RESULTS_BUCKET');
  const sqs = new SQSClient({});
  const db = documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION);
  const publishLedger = new DynamoPublishLedger(db, config.TABLE_NAME);
  const wakePublisher: Ports['wakePublisher'] = (repo, ids) => sendPublishWake(sqs, config.PUBLISH_QUEUE_URL, repo, ids);
  return {
    store: new DynamoStore(db, config.TABLE_NAME),
    builds: new DynamoBuildStore(db, config.TABLE_NAME),
    actions: new DynamoActionStore(db, config.TABLE_NAME),
    claims: new DynamoJobClaims(db, config.TABLE_NAME),
    results: new S3ResultsStore(new S3Client({ ...RESULTS_S3_CLIENT_CONFIG }), bucket),
    fleet: awsFleet(config),
    // Failed builds also become a CloudWatch metric (EMF log line), with or without a bus.
    events: withBuildMetrics(config.EVENT_BUS_NAME ? new EventBridgeSink(new EventBridgeClient({}), config.EVENT_BUS_NAME) : undefined),
    // The request goes into the table's ledger first; the FIFO message only wakes the trigger.
    publish: ledgerPublishSink(publishLedger, wakePublisher, systemClock),
    publishLedger,
    wakePublisher,
    wake: () => sendWake(sqs, config.DISPATCH_QUEUE_URL, 'api'),
    wakeActions: () => sendWake(sqs, config.ACTION_QUEUE_URL, origin),
    clock: systemClock,
    log: jsonLogger({ component: origin }),
  };
}

/** What the stack configures: builder limits (half per owner, so a second owner always finds room). */
export function awsSettings(config: Config): AppSettings {
  const s = defaultAppSettings(config.RESULTS_BASE_URL, config.MAX_BUILDERS);
  return {
    ...s,
    dispatch: {
      ...s.dispatch,
      limits: { ...s.dispatch.limits, perOwner: Math.max(1, Math.ceil(config.MAX_BUILDERS / 2)) },
      launchConcurrency: config.DISPATCH_LAUNCH_CONCURRENCY,
      launchMaxFailures: config.DISPATCH_LAUNCH_MAX_FAILURES,
      warm: {
        ...s.dispatch.warm,
        reuse: config.BUILDER_REUSE,
        idleMs: config.BUILDER_IDLE_SECONDS * 1000,
        emptyIdleMs: config.BUILDER_EMPTY_IDLE_SECONDS * 1000,
      },
    },
    strayGraceMs: 10 * 60_000,
  };
}

/** The application core of this container (composed on first use, at cold start). */
export function awsApp(origin = 'api'): App {
  return composed(origin).app;
}

export function awsAppContext(): AppContext {
  const { app, config } = composed('api');
  const auth = createAuthenticator({
    store: app.ports.store,
    clock: app.ports.clock,
    frontendUrl: config.FRONTEND_URL,
    oidc: config.OIDC_ISSUER
      ? {
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE ?? null,
          jwksUri: config.OIDC_JWKS_URI ?? `${config.OIDC_ISSUER.replace(/\/$/, '')}/.well-known/jwks.json`,
          usernameClaim: config.OIDC_USERNAME_CLAIM,
        }
      : null,
  });
  return { config, store: app.ports.store, clock: app.ports.clock, auth, app };
}
