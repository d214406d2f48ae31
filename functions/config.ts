import { homedir } from 'node:os';
import { resolve } from 'node:path';
import * as z from 'zod';
import { LookasideInstancesSchema } from '../builder-ami/agent/lookaside-config.js';
import { DistgitInstanceSchema, distgitInstancesWith } from './core/sources.js';

/**
 * Runtime configuration, read once from the environment and validated. The CDK
 * stack sets exactly these variables (see lib/ and test/cdk/), and `npm start`
 * fills them with local defaults (functions/local/).
 */
const Env = z.object({
  /** DynamoDB table holding every entity (single-table model, functions/store/table.ts). */
  TABLE_NAME: z.string().min(3).default('copr'),
  /** Override for DynamoDB Local; unset on AWS. */
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  /** The region of clients given an endpoint (DynamoDB Local); on AWS the SDK reads it itself. */
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Public URL of the frontend/API (no trailing slash), used in messages and links. */
  FRONTEND_URL: z.string().url().default('http://127.0.0.1:8080'),
  /** Public base URL of the results (`<BACKEND_BASE_URL>/results/...`), no trailing slash. */
  RESULTS_BASE_URL: z.string().url().default('http://127.0.0.1:8080/results'),
  /** OIDC issuer and audience for bearer tokens; JWKS URI defaults to the issuer's. */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_AUDIENCE: z.string().optional(),
  OIDC_JWKS_URI: z.string().url().optional(),
  /** JWT claim holding the Copr username. */
  OIDC_USERNAME_CLAIM: z.string().default('preferred_username'),
  /**
   * Largest body of an inline SRPM upload (`build/create/upload`); AWS Lambda's own
   * payload limit makes it 4 MiB there (functions/api/uploads.ts).
   */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(2 * 1024 ** 3),
  /**
   * AWS: the dashboard's index.html as deployed, so the API answers `/coprs` pages with it
   * and a server-rendered summary (functions/api/html/dashboard-pages.ts). Unset locally,
   * where the web plugin reads web/dist itself.
   */
  DASHBOARD_SHELL: z.string().min(1).optional(),
  /** Days an API token stays valid (upstream default 180). */
  API_TOKEN_DAYS: z.coerce.number().int().positive().default(180),
  /** Queue URLs (SQS on AWS; names of in-process queues locally). */
  DISPATCH_QUEUE_URL: z.string().default('dispatch'),
  PUBLISH_QUEUE_URL: z.string().default('publish'),
  ACTION_QUEUE_URL: z.string().default('actions'),
  /** Results bucket on AWS. */
  RESULTS_BUCKET: z.string().optional(),
  /** AWS builders: JSON map architecture → launch template id, subnets (comma separated). */
  BUILDER_LAUNCH_TEMPLATES: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of arch → launch template id' });
        return z.NEVER;
      }
    }),
  BUILDER_SUBNETS: z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  /**
   * DistGit instances beyond (or replacing, by name) upstream's fedora, centos and
   * centos-stream: JSON list of {name, priority, clone_url, package_uri, namespaced_package_uri}.
   * Builders find the lookaside cache of an instance by its clone URL (COPR_DISTGIT_LOOKASIDE).
   */
  DISTGIT_INSTANCES: z
    .string()
    .default('[]')
    .transform((s, ctx) => {
      try {
        return distgitInstancesWith(z.array(DistgitInstanceSchema).parse(JSON.parse(s)));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a JSON list of DistGit instances: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /**
   * AWS builders: their DistGit instances with lookaside caches, the agent's
   * COPR_DISTGIT_LOOKASIDE (docs/builder.md), passed in each builder's user data; checked
   * here so a bad value fails the dispatcher's start, not every build. '' = the agent's defaults.
   */
  BUILDER_DISTGIT_LOOKASIDE: z
    .string()
    .default('')
    .transform((s, ctx) => {
      if (s === '') return s;
      try {
        return JSON.stringify(LookasideInstancesSchema.parse(JSON.parse(s)));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a JSON list of lookaside caches: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /** Value of the `copr:builder` tag on this deployment's builder instances. */
  BUILDER_TAG_VALUE: z.string().default('copr'),
  /** Builders running at once (the dispatcher's total limit). */
  MAX_BUILDERS: z.coerce.number().int().positive().default(20),
  /**
   * AWS builders: instance types per architecture, preferred first, tried in turn (and
   * over the subnets) when EC2 has no capacity; `{}` = the launch template's type only.
   */
  BUILDER_INSTANCE_TYPES: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.array(z.string().min(1))).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of arch → list of instance types' });
        return z.NEVER;
      }
    }),
  /**
   * Warm builders (AWS and local): which tasks a builder may run after its first one.
   * `sandbox` (Copr's rule: same owner, project and submitter), `owner`, or `off` (one
   * task per builder). An idle builder terminates after BUILDER_IDLE_SECONDS.
   */
  BUILDER_REUSE: z.enum(['off', 'sandbox', 'owner']).default('sandbox'),
  BUILDER_IDLE_SECONDS: z.coerce.number().int().nonnegative().default(300),
  /** The idle period when no task of the builder's sandbox is queued at all (capped at BUILDER_IDLE_SECONDS). */
  BUILDER_EMPTY_IDLE_SECONDS: z.coerce.number().int().nonnegative().default(60),
  /** Builder launches in flight at once in one dispatch pass. */
  DISPATCH_LAUNCH_CONCURRENCY: z.coerce.number().int().positive().max(100).default(16),
  /** Failed launches in a row after which a task fails with the launch error (backoff 30 s doubling to 15 min in between). */
  DISPATCH_LAUNCH_MAX_FAILURES: z.coerce.number().int().positive().default(24),
  /** Publisher (Fargate) task to run createrepo in. */
  PUBLISHER_CLUSTER_ARN: z.string().optional(),
  PUBLISHER_TASK_DEFINITION_ARN: z.string().optional(),
  PUBLISHER_SUBNETS: z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  PUBLISHER_SECURITY_GROUP: z.string().optional(),
  PUBLISHER_CONTAINER_NAME: z.string().default('publisher'),
  PUBLISHER_ASSIGN_PUBLIC_IP: z.enum(['ENABLED', 'DISABLED']).default('DISABLED'),
  /** EventBridge bus for build and project notifications (unset: no notifications). */
  EVENT_BUS_NAME: z.string().optional(),
  /**
   * Local development login (functions/local/oidc-plugin.ts): `1` lets anyone who can
   * reach the local server log in as any user, admin included. Off unless set;
   * `npm start` sets it (with a warning). Never set on AWS (Cognito logs users in there).
   */
  COPR_DEV_LOGIN: z
    .string()
    .default('0')
    .transform((v) => ['1', 'true', 'yes'].includes(v.trim().toLowerCase())),
  /** KMS key that seals the per-project signing keys. */
  SIGNING_KMS_KEY_ID: z.string().optional(),
  /** The publisher container's repository and lease holder (container overrides set by the publish trigger). */
  PUBLISH_REPOSITORY: z.string().optional(),
  PUBLISH_LEASE_HOLDER: z.string().optional(),
  /** `npm start` only: builders at once, `1` silences info log lines, `off` stops the maintenance timers. */
  COPR_MAX_BUILDERS: z.coerce.number().int().positive().default(2),
  COPR_QUIET: z
    .string()
    .optional()
    .transform((v) => v === '1'),
  COPR_MAINTENANCE: z
    .string()
    .optional()
    .transform((v) => v !== 'off'),
});

export type Config = z.infer<typeof Env>;

/** `overrides` win over the environment (the local service sets its own URLs). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, string | undefined> = {}): Config {
  env = { ...env, ...overrides };
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

type OptionalKey = 'RESULTS_BUCKET' | 'SIGNING_KMS_KEY_ID' | 'PUBLISHER_CLUSTER_ARN' | 'PUBLISHER_TASK_DEFINITION_ARN' | 'EVENT_BUS_NAME' | 'PUBLISH_REPOSITORY' | 'PUBLISH_LEASE_HOLDER';

/**
 * A setting this composition cannot run without (the results bucket of a Lambda
 * that writes results): a missing one fails at start-up, naming the variable,
 * instead of as an odd error on the first request.
 */
export function requireConfig(config: Config, key: OptionalKey): string {
  const value = config[key];
  if (!value) throw new Error(`Invalid configuration: ${key} is required by this function and is not set`);
  return value;
}

/**
 * What of the server's environment a local builder process gets: enough to run node
 * and the tools, nothing else. The server's environment may hold AWS keys, admin
 * tokens or the issuer's settings; a builder needs none of them (its credential
 * comes through a file).
 */
const BUILDER_ENV_PASSTHROUGH = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'] as const;

export function builderBaseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of BUILDER_ENV_PASSTHROUGH) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The user's cache dir (XDG), for tools the local service compiles once (functions/local/dynamodb-local.ts). */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_CACHE_HOME ?? resolve(homedir(), '.cache');
}
