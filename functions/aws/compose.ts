import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createAuthenticator } from '../api/auth.js';
import type { AppContext } from '../api/context.js';
import { loadConfig, type Config } from '../config.js';
import { DEFAULT_BUILD_SETTINGS } from '../core/builds.js';
import { createBuildsView } from '../core/build-views.js';
import type { DispatcherDeps } from '../core/dispatcher.js';
import { systemClock } from '../core/ports.js';
import type { LifecycleDeps } from '../core/task-lifecycle.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { DynamoStore } from '../store/dynamo-store.js';
import { Ec2Fleet } from './ec2-fleet.js';
import { RESULTS_S3_CLIENT_CONFIG, S3ResultsStore } from './s3-results-store.js';
import { sendPublish, sendWake } from './sqs-queues.js';

/**
 * The AWS composition root: clients created once per Lambda container, config read
 * and validated at cold start. Handlers import what they need from here.
 */
let cached: { config: Config; sqs: SQSClient; s3: S3Client; ec2: EC2Client } | null = null;

function base() {
  cached ??= { config: loadConfig(), sqs: new SQSClient({}), s3: new S3Client({ ...RESULTS_S3_CLIENT_CONFIG }), ec2: new EC2Client({}) };
  return cached;
}

export function awsConfig(): Config {
  return base().config;
}

function stores() {
  const { config } = base();
  const db = documentClient(config.DYNAMODB_ENDPOINT);
  return { store: new DynamoStore(db, config.TABLE_NAME), builds: new DynamoBuildStore(db, config.TABLE_NAME) };
}

export function awsLifecycle(): LifecycleDeps {
  const { config, sqs, s3 } = base();
  const { store, builds } = stores();
  return {
    store,
    builds,
    clock: systemClock,
    settings: DEFAULT_BUILD_SETTINGS,
    results: new S3ResultsStore(s3, config.RESULTS_BUCKET ?? ''),
    resultsBaseUrl: config.RESULTS_BASE_URL,
    wake: () => sendWake(sqs, config.DISPATCH_QUEUE_URL, 'api'),
    publish: (req) => sendPublish(sqs, config.PUBLISH_QUEUE_URL, req),
  };
}

export function awsFleet(): Ec2Fleet {
  const { config, ec2 } = base();
  return new Ec2Fleet(ec2, {
    launchTemplates: config.BUILDER_LAUNCH_TEMPLATES,
    subnets: config.BUILDER_SUBNETS,
    apiUrl: config.FRONTEND_URL,
    deployment: config.BUILDER_TAG_VALUE,
  });
}

export function awsDispatcherDeps(): DispatcherDeps {
  const { config } = base();
  return {
    builds: stores().builds,
    fleet: awsFleet(),
    clock: systemClock,
    limits: { total: config.MAX_BUILDERS, perArch: {}, perOwner: Math.max(1, Math.ceil(config.MAX_BUILDERS / 2)), perSandbox: config.MAX_BUILDERS },
    credentialTtlMs: 2 * DEFAULT_BUILD_SETTINGS.timeoutMax * 1000,
    log: (m) => console.log(m),
  };
}

export function awsAppContext(): AppContext {
  const { config, sqs } = base();
  const { store, builds } = stores();
  const lifecycle = awsLifecycle();
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
      buildSystem: lifecycle,
      builds: createBuildsView(store, builds, config),
      repos: {
        async regenerate(project) {
          for (const c of await store.listProjectChroots(project.ownername, project.name)) {
            await sendPublish(sqs, config.PUBLISH_QUEUE_URL, { owner: project.ownername, dirname: project.name, chroot: c.mock_chroot, full: true });
          }
        },
      },
    },
  };
}
