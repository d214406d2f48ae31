// CLI entry of the builder agent:
//   tsx builder-ami/agent/main.ts --api <url> --task <task_id> --credential-file <path>
//       [--builder-credential-file <path> --idle-seconds <n>]
// or env COPR_API_URL, COPR_TASK_ID, COPR_TASK_CREDENTIAL (COPR_BUILDER_CREDENTIAL,
// COPR_IDLE_SECONDS). Exit 0 once the outcome is reported (whatever it is), 1 when the
// agent could not talk to the API. With a builder credential it is a warm builder: after
// its task it asks for more (warm-loop.ts) until told to stop or idle for the idle period.
import { closeSync, openSync, readFileSync, utimesSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { HEARTBEAT_SECONDS } from '../../functions/core/builder-protocol.js';
import { runAgent } from './agent.js';
import { DEFAULT_AGENT_CONFIG } from './config.js';
import { DEFAULT_RETRY_POLICY } from './http-retry.js';
import { LookasideInstancesSchema } from './lookaside-config.js';
import type { Sandbox } from './sandbox.js';
import { createBwrapSandbox } from './sandbox-bwrap.js';
import { createMockSandbox } from './sandbox-mock.js';
import { runWarmLoop, WarmBuilderClient } from './warm-loop.js';

const EnvSchema = z.object({
  COPR_API_URL: z.string().optional(),
  COPR_TASK_ID: z.string().optional(),
  COPR_TASK_CREDENTIAL: z.string().optional(),
  COPR_BUILDER_CREDENTIAL: z.string().optional(),
  COPR_IDLE_SECONDS: z.coerce.number().nonnegative().default(0),
  // Touched before every task and poll: the EC2 bootstrap's watchdog reads its age.
  COPR_ALIVE_FILE: z.string().optional(),
  COPR_BUILDER_SANDBOX: z.enum(['bwrap', 'mock']).default('bwrap'),
  COPR_HEARTBEAT_SECONDS: z.coerce.number().positive().default(HEARTBEAT_SECONDS),
  COPR_WORK_ROOT: z.string().optional(),
  COPR_PYPI_URL: z.string().default(DEFAULT_AGENT_CONFIG.pypiIndexUrl),
  COPR_RUBYGEMS_URL: z.string().default(DEFAULT_AGENT_CONFIG.rubygemsUrl),
  COPR_MAX_DOWNLOAD_BYTES: z.coerce.number().int().positive().default(DEFAULT_AGENT_CONFIG.maxDownloadBytes),
  COPR_RAWHIDE_VERSION: z.coerce.number().int().positive().default(DEFAULT_AGENT_CONFIG.rawhideVersion),
  // "1": clone URLs may be paths on this machine (tests, development only).
  COPR_ALLOW_LOCAL_GIT: z.enum(['0', '1']).default('0'),
  // %vendor of built packages (Copr's configured vendor); unset = "Unknown Copr - user <owner>".
  COPR_BUILDER_VENDOR: z.string().min(1).optional(),
  /** Where scripts/ensure-tito.sh installed tito (the bundled agent cannot find it by its own path). */
  COPR_TITO_DIR: z.string().min(1).optional(),
  // JSON list of DistGit instances with their lookaside caches; replaces the defaults.
  COPR_DISTGIT_LOOKASIDE: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      try {
        return LookasideInstancesSchema.parse(JSON.parse(s));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `COPR_DISTGIT_LOOKASIDE: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  // Per-attempt timeout and total retry time of calls to the service (http-retry.ts).
  COPR_API_TIMEOUT_SECONDS: z.coerce.number().positive().default(DEFAULT_RETRY_POLICY.attemptTimeoutMs / 1000),
  COPR_API_RETRY_BUDGET_SECONDS: z.coerce.number().positive().default(DEFAULT_RETRY_POLICY.totalBudgetMs / 1000),
});

function fail(message: string): never {
  process.stderr.write(`copr-builder-agent: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string' },
      task: { type: 'string' },
      'credential-file': { type: 'string' },
      'builder-credential-file': { type: 'string' },
      'idle-seconds': { type: 'string' },
    },
  });
  const envParsed = EnvSchema.safeParse(process.env);
  if (!envParsed.success) fail(`bad environment: ${z.prettifyError(envParsed.error)}`);
  const env = envParsed.data;
  const apiUrl = values.api ?? env.COPR_API_URL;
  const taskId = values.task ?? env.COPR_TASK_ID;
  const credentialFile = values['credential-file'];
  const credential = credentialFile ? readFileSync(credentialFile, 'utf8').trim() : env.COPR_TASK_CREDENTIAL;
  if (!apiUrl || !taskId || !credential) fail('need --api, --task and --credential-file (or COPR_API_URL, COPR_TASK_ID, COPR_TASK_CREDENTIAL)');
  const sandbox: Sandbox = env.COPR_BUILDER_SANDBOX === 'mock' ? createMockSandbox() : createBwrapSandbox();

  const retry = { attemptTimeoutMs: env.COPR_API_TIMEOUT_SECONDS * 1000, totalBudgetMs: env.COPR_API_RETRY_BUDGET_SECONDS * 1000 };
  const runOne = async (id: string, taskCredential: string): Promise<void> => {
    const outcome = await runAgent({
      apiUrl,
      taskId: id,
      credential: taskCredential,
      sandbox,
      heartbeatSeconds: env.COPR_HEARTBEAT_SECONDS,
      workRoot: env.COPR_WORK_ROOT,
      retry,
      config: {
        pypiIndexUrl: env.COPR_PYPI_URL,
        rubygemsUrl: env.COPR_RUBYGEMS_URL,
        maxDownloadBytes: env.COPR_MAX_DOWNLOAD_BYTES,
        rawhideVersion: env.COPR_RAWHIDE_VERSION,
        allowLocalGitSources: env.COPR_ALLOW_LOCAL_GIT === '1',
        vendor: env.COPR_BUILDER_VENDOR ?? null,
        ...(env.COPR_TITO_DIR ? { titoDir: env.COPR_TITO_DIR } : {}),
        ...(env.COPR_DISTGIT_LOOKASIDE ? { distgitLookaside: env.COPR_DISTGIT_LOOKASIDE } : {}),
      },
    });
    process.stderr.write(`copr-builder-agent: task ${id} ${outcome.status}${outcome.fail_reason ? `: ${outcome.fail_reason}` : ''}\n`);
  };
  const alive = (): void => {
    if (!env.COPR_ALIVE_FILE) return;
    const t = new Date();
    try {
      utimesSync(env.COPR_ALIVE_FILE, t, t);
    } catch {
      closeSync(openSync(env.COPR_ALIVE_FILE, 'a'));
    }
  };

  alive();
  const builderFile = values['builder-credential-file'];
  const builderCredential = builderFile ? readFileSync(builderFile, 'utf8').trim() : env.COPR_BUILDER_CREDENTIAL;
  const idleSeconds = values['idle-seconds'] !== undefined ? Number(values['idle-seconds']) : env.COPR_IDLE_SECONDS;
  if (builderCredential && !(Number.isFinite(idleSeconds) && idleSeconds >= 0)) fail('--idle-seconds must be a number of seconds');
  const client = builderCredential ? new WarmBuilderClient({ apiUrl, builderCredential, retry }) : null;
  try {
    await runOne(taskId, credential);
  } catch (err) {
    // The first task failed to report: leave, so the service stops counting this builder.
    await client?.leave().catch(() => undefined);
    throw err;
  }
  if (!client) return;
  if (idleSeconds <= 0) return void (await client.leave().catch(() => undefined));
  const warm = await runWarmLoop({
    runTask: runOne,
    client,
    idleMs: idleSeconds * 1000,
    alive,
    report: (m) => process.stderr.write(`copr-builder-agent: ${m}\n`),
  });
  process.stderr.write(`copr-builder-agent: warm builder done after ${warm.tasks} more task(s) (${warm.reason})\n`);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
