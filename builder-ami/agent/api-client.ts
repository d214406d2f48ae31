// The builder's side of our builder protocol (DESIGN §5): fetch the task, report start,
// heartbeat (which carries cancel requests), upload result files through upload URLs
// (presigned S3 on AWS, the local server locally), report the outcome. Every call carries
// the task-scoped bearer credential.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import type { FetchFn } from './download.js';
import { HeartbeatResponseSchema, UploadUrlResponseSchema } from '../../functions/core/builder-protocol.js';
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
  /** Attempts for 5xx/408/network errors (like Copr's builder: 5). */
  attempts?: number;
  /** First retry delay; doubles per attempt. */
  retryBaseMs?: number;
}

function retryable(status: number): boolean {
  return status >= 500 || status === 408;
}

export class BuilderApiClient {
  private readonly base: string;
  private readonly fetchFn: FetchFn;
  private readonly attempts: number;
  private readonly retryBaseMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.attempts = options.attempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
  }

  /** One HTTP call with retries on 5xx/408/network errors; 4xx fails at once. */
  private async send(url: string, init: RequestInit, what: string): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, this.retryBaseMs * 2 ** (attempt - 2)));
      try {
        const res = await this.fetchFn(url, init);
        if (res.ok) return res;
        const body = (await res.text()).slice(0, 200);
        lastError = new BuilderApiError(`${what}: HTTP ${res.status} ${body}`.trim(), res.status);
        if (!retryable(res.status)) break;
      } catch (err) {
        lastError = new BuilderApiError(`${what}: ${(err as Error).message}`, undefined, { cause: err });
      }
    }
    throw lastError;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.credential}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.send(`${this.base}/backend/builder/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, `${method} ${path}`);
    const text = await res.text();
    try {
      return text === '' ? {} : JSON.parse(text);
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
    const parsed = HeartbeatResponseSchema.safeParse(await this.call('POST', 'heartbeat', {}));
    if (!parsed.success) throw new BuilderApiError('POST heartbeat: unexpected response');
    return parsed.data.cancel;
  }

  /** Stores `localFile` as `relativePath` in the task's result dir. */
  async upload(relativePath: string, localFile: string): Promise<void> {
    const target = UploadUrlResponseSchema.safeParse(await this.call('POST', 'upload-url', { path: relativePath }));
    if (!target.success) throw new BuilderApiError(`POST upload-url: unexpected response for ${relativePath}`);
    // Whole-file body: presigned S3 PUTs need a Content-Length, which a stream would not give.
    const file = await readFile(localFile);
    // readFile never returns a SharedArrayBuffer-backed Buffer; the cast only narrows the type.
    const bytes = new Uint8Array(file.buffer as ArrayBuffer, file.byteOffset, file.byteLength);
    await this.send(target.data.url, { method: 'PUT', headers: target.data.headers, body: bytes }, `PUT ${relativePath}`);
  }

  async finished(outcome: TaskOutcome): Promise<void> {
    const body: Record<string, unknown> = { status: outcome.status };
    if (outcome.fail_reason !== undefined) body.fail_reason = outcome.fail_reason;
    if (outcome.results !== undefined) body.results = outcome.results;
    if (outcome.srpm_filename !== undefined) body.srpm_filename = outcome.srpm_filename;
    await this.call('POST', 'finished', body);
  }
}
