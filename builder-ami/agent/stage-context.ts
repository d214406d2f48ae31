// What every stage and SRPM provider works with: the injected ports plus a command runner
// that logs each command and streams its output into the live log.
import type { AgentConfig } from './config.js';
import type { FetchFn } from './download.js';
import { runCommand, runOrFail, type RunResult } from './run-command.js';
import type { Sandbox } from './sandbox.js';

export interface StageContext {
  /** The only host dir the sandbox can see and write; everything in it is untrusted. */
  workDir: string;
  /** The agent's own files (build.log); outside workDir, so a build cannot swap them for symlinks. */
  metaDir: string;
  /** The project's enable_net: whether a sandboxed step that needs network may have it. */
  enableNet: boolean;
  sandbox: Sandbox;
  /** Fires on cancel or timeout; every child process and download listens to it. */
  signal: AbortSignal;
  fetch: FetchFn;
  log: (text: string) => void;
  config: AgentConfig;
  /** Copr's build macros (copr_username, copr_projectname, buildtag, vendor), both stages. */
  buildMacros: Record<string, string>;
}

export interface StageRunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also collect the output here (e.g. for build.log). */
  onOutput?: (text: string) => void;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Runs a command with its output in the live log; returns the result whatever the exit code. */
export function runLogged(ctx: StageContext, argv: readonly string[], opts: StageRunOptions = {}): Promise<RunResult> {
  ctx.log(`$ ${argv.map(shellQuote).join(' ')}\n`);
  return runCommand(argv, {
    cwd: opts.cwd,
    env: opts.env,
    signal: ctx.signal,
    onOutput: (text) => {
      ctx.log(text);
      opts.onOutput?.(text);
    },
  });
}

/** runLogged, failing with `what` as the reason on a non-zero exit. */
export function runLoggedOrFail(ctx: StageContext, argv: readonly string[], what: string, opts: StageRunOptions = {}): Promise<RunResult> {
  ctx.log(`$ ${argv.map(shellQuote).join(' ')}\n`);
  return runOrFail(argv, { cwd: opts.cwd, env: opts.env, signal: ctx.signal, onOutput: ctx.log }, what);
}
