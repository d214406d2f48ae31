import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builderBaseEnv } from '../config.js';
import type { Fleet, LaunchOptions } from '../core/dispatcher.js';
import type { Task } from '../core/build-model.js';

/**
 * Builders as local child processes: the same agent the EC2 instances run
 * (builder-ami/agent/main.ts), with rpmbuild inside bubblewrap instead of mock.
 * The credentials go through 0600 files, never the command line. A warm builder's
 * process stays up between tasks of its sandbox, with its work dir, until it has
 * been idle for its idle period.
 */
const AGENT = resolve(fileURLToPath(new URL('../../builder-ami/agent/main.ts', import.meta.url)));
/** tsx's loader, resolved from here: the agent runs in its own work dir, outside the project. */
const TSX_LOADER = import.meta.resolve('tsx');

/**
 * The agent bundled once with esbuild: starting a plain ESM bundle takes a fraction
 * of loading the TypeScript sources through tsx, which is most of the time from
 * claim to the builder fetching its task. Falls back to tsx if bundling fails.
 */
async function bundleAgent(outFile: string, log?: (m: string) => void): Promise<string[] | null> {
  try {
    const { build } = await import('esbuild');
    await build({
      entryPoints: [AGENT],
      outfile: outFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    });
    return [outFile];
  } catch (err) {
    log?.(`builder agent bundle failed, running it through tsx: ${(err as Error).message}`);
    return null;
  }
}

export interface LocalFleetOptions {
  apiUrl: string;
  workDir: string;
  /** Extra environment for the agent (index URLs, heartbeat period). */
  env?: Record<string, string>;
  log?: (msg: string) => void;
}

export class LocalFleet implements Fleet {
  private readonly children = new Map<string, ChildProcess>();
  private readonly meta = new Map<string, { taskId: string; launchedAt: number }>();
  private agentArgs: Promise<string[]> | null = null;

  constructor(private readonly opts: LocalFleetOptions) {
    mkdirSync(opts.workDir, { recursive: true, mode: 0o700 });
  }

  get running(): number {
    return this.children.size;
  }

  /** PIDs of running builders by builder id (tests kill them to simulate a lost builder). */
  pids(): Map<string, number> {
    return new Map([...this.children].map(([id, c]) => [id, c.pid ?? -1]));
  }

  async launch(task: Task, credential: string, builderId: string, options: LaunchOptions = {}): Promise<void> {
    const dir = join(this.opts.workDir, builderId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const credFile = join(dir, 'credential');
    writeFileSync(credFile, credential, { mode: 0o600 });
    const warmArgs: string[] = [];
    if (options.warm) {
      const builderFile = join(dir, 'builder-credential');
      writeFileSync(builderFile, options.warm.builderCredential, { mode: 0o600 });
      warmArgs.push('--builder-credential-file', builderFile, '--idle-seconds', String(options.warm.idleSeconds));
    }
    const logFd = openSync(join(this.opts.workDir, `${builderId}.log`), 'a');
    this.agentArgs ??= bundleAgent(join(this.opts.workDir, 'agent.mjs'), this.opts.log).then((b) => b ?? ['--import', TSX_LOADER, AGENT]);
    const agent = await this.agentArgs;
    const child = spawn(
      process.execPath,
      [...agent, '--api', this.opts.apiUrl, '--task', task.task_id, '--credential-file', credFile, ...warmArgs],
      {
        cwd: dir,
        env: {
          ...builderBaseEnv(),
          HOME: dir,
          COPR_WORK_ROOT: dir,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // One machine, a handful of builders: quick beats, so the local reaper (20 s) is quick too.
          COPR_HEARTBEAT_SECONDS: '2',
          ...this.opts.env,
        },
        stdio: ['ignore', logFd, logFd],
        detached: true, // own process group, so terminate() reaches rpmbuild too
      },
    );
    closeSync(logFd);
    this.children.set(builderId, child);
    this.meta.set(builderId, { taskId: task.task_id, launchedAt: Date.now() });
    child.on('exit', (code, signal) => {
      this.children.delete(builderId);
      this.meta.delete(builderId);
      rmSync(dir, { recursive: true, force: true });
      // Keep the agent's own log only when something went wrong.
      if (code === 0) rmSync(join(this.opts.workDir, `${builderId}.log`), { force: true });
      this.opts.log?.(`builder ${builderId} (${task.task_id}) exited ${signal ?? code}`);
    });
    await new Promise<void>((ok, fail) => {
      child.once('spawn', () => ok());
      child.once('error', fail);
    });
  }

  async terminate(builderId: string): Promise<void> {
    const child = this.children.get(builderId);
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  async list(): Promise<Array<{ builderId: string; taskId: string | null; launchedAt: number | null }>> {
    return [...this.meta].map(([builderId, m]) => ({ builderId, taskId: m.taskId, launchedAt: m.launchedAt }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.terminate(id)));
  }
}
