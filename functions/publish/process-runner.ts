import { spawn } from 'node:child_process';

/** Outcome of one child process. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the child's stdin (then closed). */
  input?: string;
  /** Return a non-zero exit instead of throwing (callers that inspect `code`). */
  allowFailure?: boolean;
}

/**
 * Port for running external tools (createrepo_c, gpg, rpm, rpmsign). Publishing code
 * only talks to this interface, so tests can count or observe runs without mocking
 * the tools themselves, and the Fargate task can supply its own runner.
 */
export interface ProcessRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export class ProcessError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${cmd} exited with ${result.code}: ${result.stderr.trim().slice(-2000)}`);
    this.name = 'ProcessError';
  }
}

/** Local adapter: spawn without a shell (arguments are never interpreted). */
export const spawnRunner: ProcessRunner = {
  run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, [...args], {
        cwd: opts.cwd,
        env: opts.env, // unset: the child inherits this process's environment
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr?.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const result: RunResult = {
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        };
        if (result.code !== 0 && !opts.allowFailure) reject(new ProcessError(cmd, args, result));
        else resolve(result);
      });
      if (child.stdin) {
        // A tool may exit without reading its input; that shows in its exit code, not as EPIPE.
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.input);
      }
    });
  },
};

/** Wraps a runner, counting runs per command name and keeping their arguments (tests, metrics). */
export class CountingRunner implements ProcessRunner {
  readonly counts = new Map<string, number>();
  readonly calls: { name: string; args: readonly string[] }[] = [];
  constructor(private readonly inner: ProcessRunner = spawnRunner) {}

  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    const name = cmd.split('/').pop() ?? cmd;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.calls.push({ name, args: [...args] });
    return this.inner.run(cmd, args, opts);
  }

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}
