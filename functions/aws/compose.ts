import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import { createAuthenticator } from '../api/auth.js';
import type { AppContext } from '../api/context.js';
import { loadConfig, type Config } from '../config.js';
import { DEFAULT_BUILD_SETTINGS } from '../core/builds.js';
import { createBuildsView } from '../core/build-views.js';
import type { EventSink } from '../core/events.js';
import { systemClock } from '../core/ports.js';
import type { LifecycleDeps } from '../core/task-lifecycle.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { DynamoStore } from '../store/dynamo-store.js';
import type { ActionDeps, EnqueueDeps } from '../core/action-ports.js';
import { enqueueChrootRemoval, enqueueCreaterepo, enqueueFork, enqueueProjectDeletion } from '../core/actions.js';
import { DynamoActionStore } from '../store/dynamo-action-store.js';
import { withBuildMetrics } from './build-metrics.js';
import { RESULTS_S3_CLIENT_CONFIG, S3ResultsStore } from './s3-results-store.js';
import { sendPublish, sendWake } from './sqs-queues.js';

/**
 * The AWS composition root: clients created once per Lambda container, config read
 * and validated at cold start. Handlers import what they need from here; the EC2
 * side (functions/aws/compose-fleet.ts) is separate so the API bundle stays small.
 */
let cached: { config: Config; sqs: SQSClient; s3: S3Client } | null = null;

function base() {
  cached ??= { config: loadConfig(), sqs: new SQSClient({}), s3: new S3Client({ ...RESULTS_S3_CLIENT_CONFIG }) };
  return cached;
}

let events: EventSink | undefined;

/** Notifications to EventBridge, when the stack gives this function a bus. */
export function awsEvents(): EventSink {
  const { config } = base();
  // Failed builds also become a CloudWatch metric (EMF log line), with or without a bus.
  events ??= withBuildMetrics(config.EVENT_BUS_NAME ? new EventBridgeSink(new EventBridgeClient({}), config.EVENT_BUS_NAME) : undefined);
  return events;
}

export function awsConfig(): Config {
  return base().config;
}

export function awsStores() {
  const { config } = base();
  const db = documentClient(config.DYNAMODB_ENDPOINT);
  return { store: new DynamoStore(db, config.TABLE_NAME), builds: new DynamoBuildStore(db, config.TABLE_NAME) };
}

export function awsLifecycle(): LifecycleDeps {
  const { config, sqs, s3 } = base();
  const { store, builds } = awsStores();
  return {
    store,
    builds,
    clock: systemClock,
    settings: DEFAULT_BUILD_SETTINGS,
    results: new S3ResultsStore(s3, config.RESULTS_BUCKET ?? ''),
    resultsBaseUrl: config.RESULTS_BASE_URL,
    wake: () => sendWake(sqs, config.DISPATCH_QUEUE_URL, 'api'),
    events: awsEvents(),
    publish: (req) => sendPublish(sqs, config.PUBLISH_QUEUE_URL, req),
  };
}

export function awsActionStore(): DynamoActionStore {
  const { config } = base();
  return new DynamoActionStore(documentClient(config.DYNAMODB_ENDPOINT), config.TABLE_NAME);
}

/** What the action runner needs (functions/handlers/actions.ts). */
export function awsActionDeps(): ActionDeps {
  const lifecycle = awsLifecycle();
  return {
    store: lifecycle.store,
    builds: lifecycle.builds,
    results: lifecycle.results,
    actions: awsActionStore(),
    clock: systemClock,
    resultsBaseUrl: lifecycle.resultsBaseUrl,
    publish: (req) => lifecycle.publish(req),
  };
}

export function awsAppContext(): AppContext {
  const { config, sqs } = base();
  const { store, builds } = awsStores();
  const lifecycle = awsLifecycle();
  const actions = awsActionStore();
  const enq: EnqueueDeps = { store, actions, clock: systemClock, wake: () => sendWake(sqs, config.ACTION_QUEUE_URL, 'api') };
  const auth = createAuthenticator({
    store,
    clock: systemClock,
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
  return {
    config,
    store,
    clock: systemClock,
    auth,
    services: {
      events: awsEvents(),
      buildSystem: lifecycle,
      builds: createBuildsView(store, builds, config),
      // Regenerate, fork copies and project deletion are queued actions, run by
      // functions/handlers/actions.ts (woken through the actions queue).
      repos: { regenerate: async (p) => void (await enqueueCreaterepo(enq, p)) },
      forks: { copyBuilds: async (src, dst) => void (await enqueueFork(enq, src, dst)) },
      actions: {
        deleteProject: async (p) => void (await enqueueProjectDeletion(enq, p)),
        removeChroot: async (p, chroot) => void (await enqueueChrootRemoval(enq, p, chroot)),
        list: (owner, project) => actions.listProjectActions(owner, project),
      },
    },
  };
}
