import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { createApiHandler, type ApiHandler } from '../api/app.js';
import { createAuthenticator } from '../api/auth.js';
import type { AppContext } from '../api/context.js';
import { buildRouter } from '../api/routes/index.js';
import type { Route, Router } from '../api/router.js';
import { createApp, type App, type AppSettings } from '../core/app.js';
import { seedMockChroots } from '../core/mock-chroots.js';
import { systemClock, type Clock, type Logger, type Ports } from '../core/ports.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoStore } from '../store/dynamo-store.js';
import { ensureTable } from '../store/table-admin.js';
import { localEnvBase, localPorts, localSettings, type LocalEnv } from './compose.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { writeResult } from './http-bridge.js';
import { handleApiRequest, internalError, type IntakeDeps } from './request-intake.js';
import { removeServiceFile, writeServiceFile } from './service-file.js';
import { loadLocalIssuer, type LocalIssuer } from './issuer.js';
import { resultsMount } from './results-mount.js';
import { LocalWakeups } from './wakeups.js';
// jose's JWK type is wider than aws-jwt-verify's; the issuer only emits RSA public keys.
import type { Jwks } from 'aws-jwt-verify/jwk';

/**
 * The whole service on one machine: DynamoDB Local (data on disk), the API handlers
 * behind a Node HTTP server on 127.0.0.1, the local OIDC issuer, and whatever
 * background workers and extra HTTP mounts the later parts plug in.
 */
export interface LocalServiceOptions {
  dataDir: string;
  port?: number;
  host?: string;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local (tests). */
  dynamoEndpoint?: string;
  tableName?: string;
  clock?: Clock;
  /** Extra environment for loadConfig (tests). */
  env?: Record<string, string>;
  /** Extension points for later parts of the system. */
  plugins?: LocalPlugin[];
}

/**
 * A part of the local system: adapters, settings, routes, HTTP mounts and
 * background work. The service composes once: the default adapters
 * (functions/local/compose.ts) with every plugin's `ports` merged over them in
 * plugin order, settings likewise, then `createApp`; then `routes`, `mounts` and
 * `start` get the composed App.
 */
export interface LocalPlugin {
  name: string;
  /** Adapters this plugin brings in place of the defaults (the builds plugin's builders and publisher). */
  ports?: (env: LocalEnv) => Partial<Ports>;
  /** Settings this plugin changes (builder limits, reaper timing, runner retries). */
  settings?: (settings: AppSettings) => AppSettings;
  routes?: (base: LocalBase) => Route[];
  /** Non-API prefixes served directly, tried before the API. */
  mounts?: (base: LocalBase) => Array<{ prefix: string; handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> }>;
  /** Called once the API is up; returns a stop function. */
  start?: (base: LocalBase) => Promise<(() => Promise<void>) | void> | (() => Promise<void>) | void;
}

export interface LocalBase {
  dataDir: string;
  url: string;
  config: Config;
  ctx: AppContext;
  app: App;
  env: LocalEnv;
  issuer: LocalIssuer;
}

export interface LocalService extends LocalBase {
  api: ApiHandler;
  /** Every API route this service answers (plugins' included): test/security enumerates them. */
  router: Router;
  stop(): Promise<void>;
}

export async function startLocalService(opts: LocalServiceOptions): Promise<LocalService> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const host = opts.host ?? '127.0.0.1';
  const stops: Array<() => Promise<void>> = [];

  let ddb: DynamoDbLocal | null = null;
  let endpoint = opts.dynamoEndpoint;
  if (!endpoint) {
    ddb = await startDynamoDbLocal({ dataDir: resolve(dataDir, 'dynamodb') });
    endpoint = ddb.endpoint;
  }

  // The server listens at once (the port is known early, for the issuer's URLs) and
  // answers 503 in Copr's shape until every part is up: a request never hangs.
  let intake: Intake | null = null;
  const server: Server = createServer((req, res) => serve(req, res, intake));
  // `Expect: 100-continue` (curl's uploads): the intake sends the 100 only once it decided to read the body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => serve(req, res, intake));
  // Uploads of the documented size must be reachable on slow links; headers stay on Node's default timeout.
  server.requestTimeout = UPLOAD_REQUEST_TIMEOUT_MS;
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(opts.port ?? 8080, host, () => ok());
    });
  } catch (err) {
    await ddb?.stop(); // e.g. the port is taken: leave no DynamoDB Local behind
    throw err;
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://${host}:${port}`;

  try {
    const config = loadConfig(undefined, {
      FRONTEND_URL: url,
      RESULTS_BASE_URL: `${url}/results`,
      OIDC_ISSUER: `${url}/oidc`,
      OIDC_AUDIENCE: 'copr-local',
      TABLE_NAME: opts.tableName ?? 'copr',
      DYNAMODB_ENDPOINT: endpoint,
      ...opts.env,
    });
    const db = documentClient(endpoint, config.AWS_REGION);
    await ensureTable(db, config.TABLE_NAME);
    const store = new DynamoStore(db, config.TABLE_NAME);
    await seedMockChroots(store);
    const clock = opts.clock ?? systemClock;
    const issuer = await loadLocalIssuer(dataDir, config.OIDC_ISSUER!, config.OIDC_AUDIENCE!, { mint: config.COPR_DEV_LOGIN });
    const auth = createAuthenticator({
      store,
      clock,
      frontendUrl: config.FRONTEND_URL,
      oidc: { issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks as unknown as Jwks, usernameClaim: config.OIDC_USERNAME_CLAIM },
    });
    const plugins = opts.plugins ?? [];
    const env: LocalEnv = { dataDir, url, config, store, clock, wakeups: new LocalWakeups(), ...localEnvBase(dataDir, url, config) };
    const ports = plugins.reduce<Ports>((acc, p) => ({ ...acc, ...p.ports?.(env) }), localPorts(env));
    const settings = plugins.reduce<AppSettings>((acc, p) => p.settings?.(acc) ?? acc, localSettings(config));
    const app = createApp(ports, settings);
    const ctx: AppContext = { config, store, clock, auth, app };
    const base: LocalBase = { dataDir, url, config, ctx, app, env, issuer };
    const router = buildRouter(plugins.flatMap((p) => p.routes?.(base) ?? []));
    const api = createApiHandler(ctx, router);
    const mounts = [resultsMount(env.results), ...plugins.flatMap((p) => p.mounts?.(base) ?? [])];
    const stagingDir = resolve(dataDir, 'uploads-staging');
    // Leftovers of a crashed run are never anyone's upload any more.
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
    const deps: IntakeDeps = { router, ctx, api, stagingDir };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      if (path === '/oidc/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(issuer.jwks));
        return;
      }
      const mount = mounts.find((m) => path.startsWith(m.prefix));
      if (mount) {
        if ((req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
        return await mount.handle(req, res);
      }
      await handleApiRequest(req, res, deps);
    };

    for (const p of plugins) {
      const stop = await p.start?.(base);
      if (stop) stops.push(stop);
    }
    intake = { handle, log: app.ports.log };
    writeServiceFile(dataDir, url);

    return {
      ...base,
      api,
      router,
      async stop() {
        for (const s of stops.reverse()) await s();
        intake = null;
        removeServiceFile(dataDir);
        server.closeAllConnections();
        await new Promise<void>((ok) => server.close(() => ok()));
        await ddb?.stop();
      },
    };
  } catch (err) {
    server.closeAllConnections();
    server.close();
    await ddb?.stop();
    throw err;
  }
}

/** A whole upload may take this long; beyond it Node closes the connection. */
export const UPLOAD_REQUEST_TIMEOUT_MS = 60 * 60 * 1000;

const STARTING = JSON.stringify({ output: 'notok', error: 'The service is starting, try again in a moment' });

/**
 * Every request, with the last-resort guard: whatever a handler throws (or a stream
 * it uses emits) ends as a 500 in Copr's shape and a log line, never as a crash.
 */
/** The composed service's request handler, and the logger its failures go to. */
interface Intake {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  log: Logger;
}

function serve(req: IncomingMessage, res: ServerResponse, intake: Intake | null): void {
  // Client aborts surface as 'error' events; with no listener they would end the process.
  req.on('error', () => {});
  res.on('error', () => {});
  if (!intake) {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close', 'content-length': Buffer.byteLength(STARTING) });
    res.end(req.method === 'HEAD' ? undefined : STARTING);
    return;
  }
  intake.handle(req, res).catch((err: unknown) => {
    // The path only: a query string may carry credentials.
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    intake.log.error(`local server: ${(err as Error)?.stack ?? String(err)}`, { method: req.method ?? '', path });
    if (!res.headersSent) {
      const r = internalError();
      writeResult(res, { ...r, headers: { ...(r.headers ?? {}), connection: 'close' } }, req.method === 'HEAD');
    } else {
      res.destroy();
    }
  });
}
