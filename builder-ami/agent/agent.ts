// One agent run: task from the API → runTask → outcome to the API, with a heartbeat loop
// that re-uploads the live log and turns a server-side cancel into an abort.
import { appendFileSync } from 'node:fs';
import { SafeAppender } from './disk-full.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuilderApiClient } from './api-client.js';
import type { AgentConfig } from './config.js';
import type { FetchFn } from './download.js';
import type { RetryPolicy } from './http-retry.js';
import { LIVE_LOG, runTask } from './run-task.js';
import type { Sandbox } from './sandbox.js';
import type { TaskOutcome } from './task.js';

export interface AgentRunOptions {
  apiUrl: string;
  /** The task this credential is for; a different task from the API is refused. */
  taskId: string;
  credential: string;
  sandbox: Sandbox;
  heartbeatSeconds?: number;
  /** Parent of the per-task work dir (default: the OS temp dir). */
  workRoot?: string;
  fetch?: FetchFn;
  config?: Partial<AgentConfig>;
  /** Timeouts and retry budget of API calls (tests shorten them). */
  retry?: Partial<RetryPolicy>;
  /** Agent messages that are not part of the build log (stderr in the CLI). */
  report?: (message: string) => void;
}

/** Serializes live-log uploads so a late heartbeat copy never overwrites the final one. */
class LiveLogUploader {
  private chain: Promise<void> = Promise.resolve();
  private final = false;

  constructor(private readonly upload: (path: string, file: string) => Promise<void>) {}

  periodic(file: string, report: (m: string) => void): void {
    this.chain = this.chain.then(async () => {
      if (this.final) return;
      await this.upload(LIVE_LOG, file).catch((err: Error) => report(`live log upload failed: ${err.message}`));
    });
  }

  /** The last copy, uploaded by runTask; later periodic copies are dropped. */
  async finalUpload(file: string): Promise<void> {
    this.final = true;
    const upload = this.chain.then(() => this.upload(LIVE_LOG, file));
    this.chain = upload.catch(() => undefined);
    await upload;
  }
}

export async function runAgent(opts: AgentRunOptions): Promise<TaskOutcome> {
  const report = opts.report ?? ((m: string) => process.stderr.write(`${m}\n`));
  const client = new BuilderApiClient({ apiUrl: opts.apiUrl, credential: opts.credential, fetch: opts.fetch, retry: opts.retry });
  const task = await client.getTask();
  if (task.task_id !== opts.taskId) throw new Error(`the API sent task ${task.task_id}, expected ${opts.taskId}`);
  await client.started();

  const workDir = await mkdtemp(join(opts.workRoot ?? tmpdir(), `copr-task-${task.build_id}-`));
  const liveCopy = join(workDir, 'live-copy.log');
  appendFileSync(liveCopy, '');
  // A full disk must not throw out of the build's output handler (runTask reports it).
  const liveCopyAppender = new SafeAppender(liveCopy);
  const liveLog = new LiveLogUploader((path, file) => client.upload(path, file));
  const cancel = new AbortController();
  let logDirty = false;

  const stopBeating = new AbortController();
  const beat = async (): Promise<void> => {
    try {
      if (await client.heartbeat()) {
        if (!cancel.signal.aborted) report('cancel requested by the server');
        cancel.abort();
      }
    } catch (err) {
      // The server notices missing heartbeats; a blip must not kill the build.
      report(`heartbeat failed: ${(err as Error).message}`);
    }
    if (logDirty) {
      logDirty = false;
      liveLog.periodic(liveCopy, report);
    }
  };
  const intervalMs = (opts.heartbeatSeconds ?? 2) * 1000;
  const loop = (async () => {
    while (!stopBeating.signal.aborted) {
      // Interruptible sleep: the outcome must not wait for the next beat.
      await new Promise<void>((resolve) => {
        const onStop = (): void => {
          clearTimeout(timer);
          resolve();
        };
        // The listener goes when the timer fires: one per beat would pile up for hours.
        const timer = setTimeout(() => {
          stopBeating.signal.removeEventListener('abort', onStop);
          resolve();
        }, intervalMs);
        stopBeating.signal.addEventListener('abort', onStop, { once: true });
      });
      if (!stopBeating.signal.aborted) await beat();
    }
  })();

  let outcome: TaskOutcome;
  try {
    outcome = await runTask(task, {
      workDir: join(workDir, 'task'),
      sandbox: opts.sandbox,
      signal: cancel.signal,
      fetch: opts.fetch,
      config: opts.config,
      // The builder dir (and the data dir around it, locally) never shows in shipped logs.
      privatePaths: [workDir, ...(opts.workRoot ? [opts.workRoot] : [])],
      log: (text) => {
        liveCopyAppender.append(text);
        logDirty = true;
      },
      upload: (path, file) => (path === LIVE_LOG ? liveLog.finalUpload(file) : client.upload(path, file)),
    });
  } finally {
    stopBeating.abort();
    await loop;
  }
  try {
    await client.finished(outcome);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return outcome;
}
