// One agent run: task from the API → runTask → outcome to the API, with a heartbeat loop
// that ships the new bytes of the live log and turns a server-side cancel into an abort.
import { appendFileSync } from 'node:fs';
import { SafeAppender } from './disk-full.js';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEARTBEAT_SECONDS } from '../../functions/core/builder-protocol.js';
import { MAX_LIVE_LOG_CHUNK } from '../../functions/core/results-store.js';
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
  /** Hands the live-log shipper to a test (bytes shipped). */
  onLiveLog?: (shipper: LiveLogShipper) => void;
}

/**
 * Ships the live log while the build runs: on each beat only the bytes the server does not
 * have yet, in chunks of at most MAX_LIVE_LOG_CHUNK, one request after the other (an
 * upload of the whole file per beat grows with the log, and with 1,000 builders that is
 * the API's and the network's biggest load). The final, complete copy goes as a regular
 * result file (runTask), after which no chunk is sent any more.
 */
export class LiveLogShipper {
  private chain: Promise<void> = Promise.resolve();
  private final = false;
  /** Bytes of the file the server has. */
  private shipped = 0;
  /** Bytes sent in chunks so far, resends included (tests compare it with the file size). */
  bytesSent = 0;

  constructor(
    private readonly client: Pick<BuilderApiClient, 'appendLiveLog' | 'upload'>,
    private readonly file: string,
    private readonly report: (m: string) => void,
  ) {}

  /** A round already waiting covers whatever the log gains meanwhile (an API outage queues one, not one per beat). */
  private queued = false;

  periodic(): void {
    if (this.queued) return;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      if (this.final) return;
      await this.shipNewBytes().catch((err: Error) => this.report(`live log upload failed: ${err.message}`));
    });
  }

  private async shipNewBytes(): Promise<void> {
    const fh = await open(this.file, 'r');
    try {
      const size = (await fh.stat()).size;
      while (this.shipped < size && !this.final) {
        const length = Math.min(MAX_LIVE_LOG_CHUNK, size - this.shipped);
        const chunk = Buffer.alloc(length);
        const { bytesRead } = await fh.read(chunk, 0, length, this.shipped);
        const bytes = chunk.subarray(0, bytesRead);
        this.bytesSent += bytes.length;
        // The server lost its copy (409): start over from byte 0 on the next round.
        if (await this.client.appendLiveLog(this.shipped, bytes)) this.shipped += bytes.length;
        else this.shipped = 0;
        if (bytesRead < length) break;
      }
    } finally {
      await fh.close();
    }
  }

  /** The complete copy, uploaded by runTask; chunks still queued are dropped. */
  async finalUpload(file: string): Promise<void> {
    this.final = true;
    const upload = this.chain.then(() => this.client.upload(LIVE_LOG, file));
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
  const liveLog = new LiveLogShipper(client, liveCopy, report);
  opts.onLiveLog?.(liveLog);
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
      liveLog.periodic();
    }
  };
  const intervalMs = (opts.heartbeatSeconds ?? HEARTBEAT_SECONDS) * 1000;
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
