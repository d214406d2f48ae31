import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coprCliConfig } from '../../functions/local/bootstrap-admin.js';
import { actionsPlugin } from '../../functions/local/actions-plugin.js';
import { buildsPlugin, type LocalBuildSystem } from '../../functions/local/builds-plugin.js';
import type { LocalPlugin } from '../../functions/local/service.js';
import { webPlugin } from '../../functions/local/web-plugin.js';
import { createUser } from '../../functions/core/users.js';
import { CoprClient } from './copr-client.js';
import { startTestService, type TestService } from './service.js';

/**
 * The REAL copr-cli (from .venv-test, pinned in requirements-test.txt) against a
 * local service: the same server `npm start` runs, on a free port with a temp data
 * dir, and a copr-cli config like the one `npm start` writes. Every run gets a
 * private HOME so the client's caches and `~/.config/copr` never leak between runs.
 */
const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const COPR_CLI = join(REPO, '.venv-test', 'bin', 'copr-cli');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliUser {
  name: string;
  configPath: string;
  /** The same credentials for direct API calls (checks that copr-cli cannot show). */
  api: CoprClient;
  /** Runs `copr-cli --config <this user's config> ...args`. */
  run(args: string[], opts?: { timeoutMs?: number; cwd?: string }): Promise<CliResult>;
}

export interface CliEnv {
  t: TestService;
  url: string;
  work: string;
  /** Set when started with `builds: true`. */
  builds: LocalBuildSystem | null;
  user(name: string, opts?: { admin?: boolean; groups?: string[] }): Promise<CliUser>;
  stop(): Promise<void>;
}

export function runCoprCli(configPath: string, args: string[], home: string, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((ok) => {
    execFile(
      COPR_CLI,
      ['--config', configPath, '--no-color', ...args],
      {
        cwd: opts.cwd ?? home,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 << 20,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        ok({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * `builds`: the local build pipeline; `maxBuilders: 0` keeps every build queued (for
 * cancel and delete without racing a builder). `web`: serve the dashboard shell from
 * `distDir` (tests give a small index.html).
 */
export async function startCliEnv(
  opts: {
    builds?: boolean;
    maxBuilders?: number;
    web?: { distDir: string };
    /** Service settings (functions/config.ts), e.g. DISTGIT_INSTANCES. */
    env?: Record<string, string>;
    /** Builder agent settings (builder-ami/agent/main.ts), e.g. COPR_DISTGIT_LOOKASIDE. */
    agentEnv?: Record<string, string>;
  } = {},
): Promise<CliEnv> {
  if (!existsSync(COPR_CLI)) throw new Error(`${COPR_CLI} is missing: run scripts/ensure-py.sh (npm test does)`);
  process.env.COPR_QUIET = '1';
  const work = await mkdtemp(join(tmpdir(), 'copr-cli-e2e-'));
  let builds: LocalBuildSystem | null = null;
  const plugins: LocalPlugin[] = [];
  if (opts.builds) {
    plugins.push(buildsPlugin({ maxBuilders: opts.maxBuilders ?? 2, reapEveryMs: 500, agentEnv: opts.agentEnv, onReady: (s) => (builds = s) }), actionsPlugin({ pollMs: 500 }));
  }
  if (opts.web) plugins.push(webPlugin({ distDir: opts.web.distDir }));
  const t = await startTestService({ plugins, env: opts.env });
  const url = t.service.url;
  return {
    t,
    url,
    work,
    get builds() {
      return builds;
    },
    async user(name, o = {}) {
      const store = t.service.ctx.store;
      const { token } = await createUser(store, t.service.ctx.clock, name, o);
      for (const g of o.groups ?? []) {
        if (!(await store.getGroup(g))) await store.createGroup({ id: await store.nextId('group'), name: g, created_on: 0 });
      }
      const home = join(work, `home-${name}`);
      await mkdir(home, { recursive: true });
      const configPath = join(home, 'copr.conf');
      await writeFile(
        configPath,
        coprCliConfig({ login: token.api_login, token: token.api_token, username: name, url, expiration: token.api_token_expiration }),
        { mode: 0o600 },
      );
      return {
        name,
        configPath,
        api: new CoprClient(url, { login: token.api_login, token: token.api_token }, name),
        run: (args, ro) => runCoprCli(configPath, args, home, ro),
      };
    },
    async stop() {
      await t.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

const FINISHED = ['succeeded', 'failed', 'canceled', 'skipped'];

/**
 * Polls `copr-cli status <id>` until the build is finished (copr-cli's own watch
 * sleeps 30 s between polls, too slow for tests); returns the final state.
 */
export async function waitForCliStatus(u: CliUser, id: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await u.run(['status', String(id)]);
    last = r.code === 0 ? r.stdout.trim() : `exit ${r.code}: ${r.stderr.trim()}`;
    if (FINISHED.includes(last)) return last;
    if (Date.now() > deadline) throw new Error(`build ${id} not finished within ${timeoutMs} ms (last: ${last})`);
    await new Promise((r2) => setTimeout(r2, 500));
  }
}

/** `Created builds: 12` → 12 (copr-cli build/buildscm/... --nowait output). */
export function createdBuildId(stdout: string): number {
  const m = /Created builds: (\d+)/.exec(stdout);
  if (!m) throw new Error(`no build id in copr-cli output:\n${stdout}`);
  return Number(m[1]);
}
