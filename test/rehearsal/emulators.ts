import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local.js';
import { REPO_ROOT } from '../../lib/handlers.js';
import { ACCOUNT, REGION } from './cfn.js';

/**
 * The emulated account: moto in server mode (EC2, SSM, ECS, KMS, IAM, EventBridge,
 * Cognito, Logs, SNS), DynamoDB Local for the table, fauxqs for S3 and SQS. Each on
 * a free port, each stopped by `stop()`.
 */
export interface Emulators {
  readonly moto: string;
  readonly dynamodb: string;
  readonly fauxqs: string;
  stop(): Promise<void>;
}

const MOTO = join(REPO_ROOT, '.venv-test/bin/moto_server');

async function waitHttp(url: string, child: ChildProcess, what: string, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${what} did not start in time`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  if (!existsSync(MOTO)) throw new Error(`${MOTO} is missing: run bash scripts/ensure-py.sh`);
  const port = await freePort();
  const log = createWriteStream(join(tmpdir(), `rehearsal-moto-${port}.log`));
  const child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ACCOUNT_ID: ACCOUNT, AWS_DEFAULT_REGION: REGION },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    log.write(d);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${endpoint}/moto-api/`, child, 'moto_server');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

export async function startEmulators(): Promise<Emulators> {
  const [moto, ddb, fauxqs] = await Promise.all([
    startMoto(),
    startDynamoDbLocal(),
    startFauxqs({ port: 0, logger: false }) as Promise<FauxqsServer>,
  ]);
  const d: DynamoDbLocal = ddb;
  return {
    moto: moto.endpoint,
    dynamodb: d.endpoint,
    fauxqs: fauxqs.address.replace('localhost', '127.0.0.1'),
    stop: async () => {
      await Promise.all([moto.stop(), d.stop(), fauxqs.stop()]);
    },
  };
}
