#!/usr/bin/env -S npx tsx
/**
 * `copr-maintenance`: runs the scheduled maintenance jobs by hand against a local
 * data dir (the service may be running: jobs hold leases in the table, so they
 * never work on a subject together with the service's timers). On AWS, invoke the
 * maintenance function with `{"job": "<name>"}` instead.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { JOBS, isJobName, type JobName } from '../functions/core/maintenance.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: copr-maintenance --data-dir DIR JOB...

  JOB: ${JOBS.join(' | ')} | all

  --data-dir DIR   the data dir of \`npm start\` (DynamoDB Local, results, keys, events.jsonl)

Prints one JSON report per job. Republishing runs here, in this process: run
prune while the service is not publishing the same repositories.`;

class UsageError extends Error {}
class Failure extends Error {}

async function tableExists(db: { send(c: DescribeTableCommand): Promise<unknown> }, table: string): Promise<boolean> {
  try {
    await db.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}


async function runJobs(dataDir: string, jobs: JobName[]): Promise<void> {
  const [{ loadConfig }, { startDynamoDbLocal, findRunningDynamoDbLocal }, { documentClient }, { DynamoStore }, { GpgSigner }, { spawnRunner }, { publishRepository }, { KeyedMutex }, { createApp }, { systemClock }, { localEnvBase, localPorts, localSettings }, { LocalWakeups }] =
    await Promise.all([
      import('../functions/config.js'),
      import('../functions/local/dynamodb-local.js'),
      import('../functions/store/dynamo-client.js'),
      import('../functions/store/dynamo-store.js'),
      import('../functions/publish/gpg-signer.js'),
      import('../functions/publish/process-runner.js'),
      import('../functions/publish/publish-repo.js'),
      import('../functions/publish/keyed-mutex.js'),
      import('../functions/core/app.js'),
      import('../functions/core/ports.js'),
      import('../functions/local/compose.js'),
      import('../functions/local/wakeups.js'),
    ]);
  const dir = resolve(dataDir);
  const dbPath = join(dir, 'dynamodb');
  let endpoint = await findRunningDynamoDbLocal(dbPath);
  let stop = async () => {};
  if (!endpoint) {
    const ddb = await startDynamoDbLocal({ dataDir: dbPath });
    endpoint = ddb.endpoint;
    stop = () => ddb.stop();
  }
  const signer = new GpgSigner({ keysDir: join(dir, 'keys') });
  try {
    const config = loadConfig({ ...process.env, DYNAMODB_ENDPOINT: endpoint });
    const db = documentClient(endpoint);
    if (!(await tableExists(db, config.TABLE_NAME))) {
      throw new Failure(`table ${config.TABLE_NAME} does not exist in ${dbPath}; start the service (npm start) or run copr-admin create-tables`);
    }
    // The local composition (functions/local/compose.ts) with this process's own
    // publishing: republish runs here, one run per repository at a time. Wake-ups
    // reach no worker in this process: the service's dispatcher and runner poll.
    const env = {
      dataDir: dir,
      url: config.FRONTEND_URL,
      config,
      store: new DynamoStore(db, config.TABLE_NAME),
      clock: systemClock,
      wakeups: new LocalWakeups(),
      ...localEnvBase(dir, config.FRONTEND_URL, config),
    };
    const mutex = new KeyedMutex();
    const app = createApp(
      {
        ...localPorts(env),
        publish: (req) =>
          mutex.run(`${req.owner}/${req.dirname}/${req.chroot}`, async () => {
            await publishRepository(req, { resultsDir: env.results.root, signer, run: spawnRunner, clock: systemClock, resultsBaseUrl: config.RESULTS_BASE_URL });
          }),
      },
      localSettings(config),
    );
    for (const job of jobs) console.log(JSON.stringify(await app.maintenance.run(job)));
  } finally {
    await signer.close();
    await stop();
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (parsed.values.help) {
      console.log(USAGE);
      return 0;
    }
    if (parsed.positionals.length === 0) throw new UsageError('name at least one job');
    const jobs: JobName[] = [];
    for (const p of parsed.positionals) {
      if (p === 'all') jobs.push(...JOBS);
      else if (isJobName(p)) jobs.push(p);
      else throw new UsageError(`unknown job '${p}'`);
    }
    const dataDir = parsed.values['data-dir'];
    if (!dataDir) throw new UsageError('--data-dir is required (on AWS, invoke the maintenance function)');
    await runJobs(dataDir, [...new Set(jobs)]);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`copr-maintenance: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`copr-maintenance: ${err instanceof Failure ? err.message : ((err as Error).stack ?? String(err))}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
