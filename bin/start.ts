#!/usr/bin/env -S npx tsx
/**
 * `npm start`: the whole service on this machine, on embedded defaults.
 * Data lives in $COPR_DATA_DIR (default .copr-local/) and survives restarts.
 */
import { resolve } from 'node:path';
import { ensureLocalAdmin } from '../functions/local/bootstrap-admin.js';
import { localPlugins } from '../functions/local/plugins.js';
import { installProcessGuards } from '../functions/local/process-guards.js';
import { startLocalService } from '../functions/local/service.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

async function main(): Promise<void> {
  const dataDir = resolve(process.env.COPR_DATA_DIR ?? '.copr-local');
  const port = Number(process.env.PORT ?? 8080);
  installProcessGuards('copr');
  // `npm start` is for development: its dashboard login is the local issuer, on unless COPR_DEV_LOGIN=0.
  process.env.COPR_DEV_LOGIN ??= '1';
  console.log(`copr: starting (data dir ${dataDir})`);
  const service = await startLocalService({ dataDir, port, plugins: localPlugins() });
  const admin = await ensureLocalAdmin(service.ctx.store, service.ctx.clock, dataDir, service.url, service.config.API_TOKEN_DAYS);
  console.log(`copr: API and dashboard on ${service.url}/`);
  if (service.issuer.mints) {
    console.warn('copr: WARNING: the development login is ON (COPR_DEV_LOGIN=1): anyone who can reach');
    console.warn(`copr: WARNING: ${service.url} can log in as any user, the site admin included.`);
    console.warn('copr: WARNING: set COPR_DEV_LOGIN=0 to turn it off (API tokens keep working).');
  }
  console.log(`copr: ${admin.created ? 'created' : 'reusing'} local admin; copr-cli config at ${admin.configPath}`);
  console.log(`copr: try  copr-cli --config ${admin.configPath} list-chroots`);
  console.log('copr: press Ctrl-C to stop');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`copr: ${signal}, stopping`);
    await service.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`copr: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
