// A warm builder's life after its first task: ask the service for the next task that
// fits this builder (same architecture and sandbox, decided by the service), run it,
// ask again; stop when the service says so or after the idle period without work. The
// work root stays between tasks, so caches kept there (dnf metadata, mock's buildroot
// cache on EC2) are reused. Calls carry the builder credential issued at launch.
import { NextTaskResponseSchema, type NextTaskResponse } from '../../functions/core/builder-protocol.js';
import type { FetchFn } from './download.js';
import { DEFAULT_RETRY_POLICY, fetchWithRetry, type RetryPolicy } from './http-retry.js';

export interface WarmClientOptions {
  apiUrl: string;
  builderCredential: string;
  fetch?: FetchFn;
  retry?: Partial<RetryPolicy>;
}

/** The two warm-builder calls of the builder protocol. */
export class WarmBuilderClient {
  private readonly base: string;
  private readonly policy: RetryPolicy;

  constructor(private readonly opts: WarmClientOptions) {
    this.base = opts.apiUrl.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  }

  private async post(path: string, totalBudgetMs: number): Promise<unknown> {
    const init = { method: 'POST', headers: { authorization: `Bearer ${this.opts.builderCredential}`, accept: 'application/json', 'content-type': 'application/json' }, body: '{}' };
    const res = await fetchWithRetry(this.opts.fetch ?? fetch, `${this.base}/backend/builder/${path}`, init, { what: `POST ${path}`, policy: this.policy, totalBudgetMs });
    return res.body === '' ? {} : JSON.parse(res.body);
  }

  async nextTask(): Promise<NextTaskResponse> {
    const parsed = NextTaskResponseSchema.safeParse(await this.post('next-task', 60_000));
    if (!parsed.success) throw new Error('POST next-task: unexpected response');
    return parsed.data;
  }

  async leave(): Promise<void> {
    await this.post('leave', 10_000);
  }
}

export interface WarmLoopOptions {
  /** Runs one task to its reported outcome (the agent's runAgent). */
  runTask(taskId: string, credential: string): Promise<void>;
  client: Pick<WarmBuilderClient, 'nextTask' | 'leave'>;
  /** Stop after this long without a task (the service normally says stop first). */
  idleMs: number;
  /** Called before every task and every poll (the instance watchdog's sign of life). */
  alive?: () => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  report?: (message: string) => void;
}

export interface WarmLoopResult {
  /** Tasks run after the first one. */
  tasks: number;
  reason: 'stop' | 'idle';
}

/** Longest wait between polls, and after a failed poll the first and longest backoff. */
const MAX_POLL_MS = 30_000;
const ERROR_BACKOFF_MS = { base: 2_000, max: 60_000 };

export async function runWarmLoop(o: WarmLoopOptions): Promise<WarmLoopResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const report = o.report ?? (() => undefined);
  let tasks = 0;
  let idleSince = now();
  let errors = 0;
  for (;;) {
    o.alive?.();
    const idleLeft = idleSince + o.idleMs - now();
    if (idleLeft <= 0) {
      await o.client.leave().catch((err: Error) => report(`leave failed: ${err.message}`));
      return { tasks, reason: 'idle' };
    }
    let reply: NextTaskResponse;
    try {
      reply = await o.client.nextTask();
      errors = 0;
    } catch (err) {
      // The service is unreachable for now: keep trying until the idle period ends.
      report(`next-task failed: ${(err as Error).message}`);
      await sleep(Math.min(idleLeft, ERROR_BACKOFF_MS.max, ERROR_BACKOFF_MS.base * 2 ** errors++));
      continue;
    }
    if ('stop' in reply) return { tasks, reason: 'stop' };
    if (reply.task_id === null) {
      await sleep(Math.min(idleLeft, MAX_POLL_MS, Math.max(1, reply.retry_after) * 1000));
      continue;
    }
    report(`warm builder: next task ${reply.task_id}`);
    try {
      await o.runTask(reply.task_id, reply.credential);
    } catch (err) {
      // Its outcome could not be reported; the service's reaper takes the task back.
      report(`task ${reply.task_id} ended without a report: ${(err as Error).message}`);
    }
    tasks++;
    idleSince = now();
  }
}
