// Runs one child process as the leader of its own process group, so a cancel or timeout
// can kill everything it started (rpmbuild, make, a user's script and their children),
// not just the direct child.
import { spawn } from 'node:child_process';
import { BuildFailedError } from './errors.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /**
   * Receives stdout and stderr as they arrive (the live log), in whole lines: each
   * stream is buffered up to its next newline, so a line of one is never cut by the other.
   */
  onOutput?: (text: string) => void;
}

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  /** stdout and stderr interleaved line by line, as a human saw it. */
  output: string;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** A partial line longer than this is passed on as it is (a progress bar without newlines). */
const MAX_PENDING_LINE = 64 * 1024;

/**
 * Per-stream line buffer: the pipes deliver chunks cut anywhere, and writing them as
 * they come would glue the start of a stdout line to the end of a stderr line.
 */
class LineBuffer {
  private pending = '';

  constructor(private readonly emit: (text: string) => void) {}

  push(text: string): void {
    const data = this.pending + text;
    const cut = data.lastIndexOf('\n') + 1;
    if (cut > 0) this.emit(data.slice(0, cut));
    this.pending = data.slice(cut);
    if (this.pending.length > MAX_PENDING_LINE) this.flush();
  }

  flush(): void {
    if (this.pending === '') return;
    this.emit(this.pending);
    this.pending = '';
  }
}

/** Runs argv to completion (or until `signal` aborts, which kills the whole group). */
export function runCommand(argv: readonly string[], opts: RunOptions): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('runCommand: empty argv'));
  if (opts.signal.aborted) return Promise.reject(opts.signal.reason);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    const onAbort = (): void => killGroup(child.pid);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const merged = (text: string): void => {
      output += text;
      opts.onOutput?.(text);
    };
    const outLines = new LineBuffer(merged);
    const errLines = new LineBuffer(merged);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      outLines.push(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => errLines.push(text));
    // Leftover background children would keep the pipes open and 'close' would never come.
    child.on('exit', () => killGroup(child.pid));
    child.on('error', (err) => {
      opts.signal.removeEventListener('abort', onAbort);
      reject(new BuildFailedError(`cannot run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      opts.signal.removeEventListener('abort', onAbort);
      // A last line without a newline still belongs in the log.
      outLines.flush();
      errLines.flush();
      if (opts.signal.aborted) reject(opts.signal.reason);
      else resolve({ code, stdout, output });
    });
  });
}

/** Like runCommand, but a non-zero exit becomes a BuildFailedError with `what` as the reason. */
export async function runOrFail(argv: readonly string[], opts: RunOptions, what: string): Promise<RunResult> {
  const result = await runCommand(argv, opts);
  if (result.code !== 0) {
    const tail = result.output.trim().split('\n').slice(-3).join(' | ');
    throw new BuildFailedError(`${what} (exit ${result.code ?? 'signal'})${tail ? `: ${tail}` : ''}`);
  }
  return result;
}
