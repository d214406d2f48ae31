// The builder's side of our builder protocol (DESIGN §5): fetch the task, report start,
// heartbeat (which carries cancel requests), ship the new bytes of the live log, upload
// result files through upload URLs (presigned S3 on AWS, the local server locally), report
// the outcome. Every call carries the task-scoped bearer credential and goes through
// http-retry.ts (timeouts, backoff with jitter on 429/5xx), upload PUTs included.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { FetchFn } from './download.js';
import { HeartbeatResponseSchema, UploadUrlResponseSchema } from '../../functions/core/builder-protocol.js';
import { DEFAULT_RETRY_POLICY, fetchWithRetry, HttpCallError, type CallOptions, type CallResult, type RetryPolicy } from './http-retry.js';
import { TaskSchema, type Task, type TaskOutcome } from './task.js';

export class BuilderApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BuilderApiError';
  }
}

export interface ApiClientOptions {
  apiUrl: string;
  credential: string;
  fetch?: FetchFn;
  /** Timeouts and retry budget (http-retry.ts); tests shorten them. */
  retry?: Partial<RetryPolicy>;
}

/** Heartbeats come again soon; one that cannot get through should not hold up the next. */
const HEARTBEAT_BUDGET_MS = 60_000;
/** Uploads may be large: each attempt gets at least this throughput's worth of time. */
const MIN_UPLOAD_BYTES_PER_SECOND = 256 * 1024;

export class BuilderApiClient {
  private readonly base: string;
  private readonly fetchFn: FetchFn;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: ApiClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /** One HTTP call through fetchWithRetry, its failure as a BuilderApiError. */
  private async send(url: string, init: RequestInit, call: Omit<CallOptions, 'policy'>): Promise<CallResult> {
    try {
      return await fetchWithRetry(this.fetchFn, url, init, { ...call, policy: this.policy });
    } catch (err) {
      if (err instanceof HttpCallError) throw new BuilderApiError(err.message, err.status, { cause: err });
      throw err;
    }
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, totalBudgetMs?: number): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.credential}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const res = await this.send(`${this.base}/backend/builder/${path}`, init, { what: `${method} ${path}`, totalBudgetMs });
    try {
      return res.body === '' ? {} : JSON.parse(res.body);
    } catch (err) {
      throw new BuilderApiError(`${method} ${path}: response is not JSON`, res.status, { cause: err });
    }
  }

  async getTask(): Promise<Task> {
    const parsed = TaskSchema.safeParse(await this.call('GET', 'task'));
    if (!parsed.success) throw new BuilderApiError(`GET task: invalid task JSON: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  async started(): Promise<void> {
    await this.call('POST', 'started', {});
  }

  /** Returns true when the build should be canceled. */
  async heartbeat(): Promise<boolean> {
    const parsed = HeartbeatResponseSchema.safeParse(await this.call('POST', 'heartbeat', {}, HEARTBEAT_BUDGET_MS));
    if (!parsed.success) throw new BuilderApiError('POST heartbeat: unexpected response');
    return parsed.data.cancel;
  }

  /**
   * Appends `bytes` to the task's live log at byte `offset` (the server has every byte
   * before it). A resent chunk is harmless. `false` when the server lacks bytes before
   * `offset` (409): the caller sends again from the start.
   */
  async appendLiveLog(offset: number, bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
    const headers = { authorization: `Bearer ${this.options.credential}`, 'content-type': 'application/octet-stream' };
    try {
      await this.send(`${this.base}/backend/builder/live-log/${offset}`, { method: 'PUT', headers, body: bytes }, { what: `PUT live-log at ${offset}`, totalBudgetMs: HEARTBEAT_BUDGET_MS });
      return true;
    } catch (err) {
      if (err instanceof BuilderApiError && err.status === 409) return false;
      throw err;
    }
  }

  /** Stores `localFile` as `relativePath` in the task's result dir. */
  async upload(relativePath: string, localFile: string): Promise<void> {
    const target = UploadUrlResponseSchema.safeParse(await this.call('POST', 'upload-url', { path: relativePath }));
    if (!target.success) throw new BuilderApiError(`POST upload-url: unexpected response for ${relativePath}`);
    // Whole-file body: presigned S3 PUTs need a Content-Length, which a stream would not give.
    const file = await readFile(localFile);
    // readFile never returns a SharedArrayBuffer-backed Buffer; the cast only narrows the type.
    const bytes = new Uint8Array(file.buffer as ArrayBuffer, file.byteOffset, file.byteLength);
    const attemptTimeoutMs = Math.max(this.policy.attemptTimeoutMs, (bytes.byteLength / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
    await this.send(target.data.url, { method: 'PUT', headers: target.data.headers, body: bytes }, { what: `PUT ${relativePath}`, attemptTimeoutMs });
  }

  async finished(outcome: TaskOutcome): Promise<void> {
    const body: Record<string, unknown> = { status: outcome.status };
    if (outcome.fail_reason !== undefined) body.fail_reason = outcome.fail_reason;
    if (outcome.results !== undefined) body.results = outcome.results;
    if (outcome.srpm_filename !== undefined) body.srpm_filename = outcome.srpm_filename;
    await this.call('POST', 'finished', body);
  }
}
