// Resilient HTTP for the builder agent. Every call to the service gets a per-attempt
// timeout (a dead or hung service must not hold the agent forever) and is retried with
// exponential backoff and jitter on network errors, timeouts, 408, 429 and 5xx, so a
// throttled or restarting service neither kills the agent nor makes the build rerun.
// The retries stop after a bounded total time; the caller then gives up cleanly.
import type { FetchFn } from './download.js';

export interface RetryPolicy {
  /** Timeout of one attempt, including reading the response. */
  attemptTimeoutMs: number;
  /** First backoff step; doubles per attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No attempt starts later than this after the first one. */
  totalBudgetMs: number;
  /** Jitter source in [0, 1); tests may fix it. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attemptTimeoutMs: 30_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  // Long enough to ride out a service restart or a throttling burst.
  totalBudgetMs: 10 * 60_000,
  random: Math.random,
};

/** A call that failed for good: not retryable, or out of retry budget. */
export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpCallError';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): half fixed, half random. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + policy.random() * (ceiling / 2);
}

/** Retry-After in ms (delta-seconds or an HTTP date), or null. */
function retryAfterMs(res: Response): number | null {
  const raw = res.headers.get('retry-after');
  if (raw === null) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface CallOptions {
  /** Names the call in errors, e.g. "POST started". */
  what: string;
  policy: RetryPolicy;
  /** A longer attempt timeout for this call (large uploads). */
  attemptTimeoutMs?: number;
  /** A tighter total budget for this call (heartbeats). */
  totalBudgetMs?: number;
  /** Aborts the whole call, retries included. */
  signal?: AbortSignal;
}

export interface CallResult {
  status: number;
  body: string;
  attempts: number;
}

/**
 * Performs the request until it answers 2xx, fails with a non-retryable status, or the
 * budget runs out. The body is read inside the attempt, so a response that stalls half
 * way is a timeout like any other.
 */
export async function fetchWithRetry(fetchFn: FetchFn, url: string, init: RequestInit, opts: CallOptions): Promise<CallResult> {
  const { policy } = opts;
  const budget = opts.totalBudgetMs ?? policy.totalBudgetMs;
  const attemptTimeout = opts.attemptTimeoutMs ?? policy.attemptTimeoutMs;
  const deadline = Date.now() + budget;
  let lastError = '';
  let lastStatus: number | undefined;
  for (let attempt = 1; ; attempt++) {
    let waitAtLeast = 0;
    const signals = [AbortSignal.timeout(attemptTimeout), ...(opts.signal ? [opts.signal] : [])];
    try {
      const res = await fetchFn(url, { ...init, signal: AbortSignal.any(signals) });
      const body = await res.text();
      if (res.ok) return { status: res.status, body, attempts: attempt };
      lastStatus = res.status;
      lastError = `HTTP ${res.status} ${body.slice(0, 200)}`.trim();
      if (!isRetryableStatus(res.status)) throw new HttpCallError(`${opts.what}: ${lastError}`, res.status, attempt);
      waitAtLeast = retryAfterMs(res) ?? 0;
    } catch (err) {
      if (err instanceof HttpCallError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      lastStatus = undefined;
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      lastError = timedOut ? `no answer within ${attemptTimeout} ms` : err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err);
    }
    const delay = Math.min(policy.maxDelayMs, Math.max(backoffMs(attempt, policy), waitAtLeast));
    if (Date.now() + delay > deadline) {
      const spent = Math.round((Date.now() - (deadline - budget)) / 1000);
      throw new HttpCallError(`${opts.what}: gave up after ${attempt} attempts in ${spent} s: ${lastError}`, lastStatus, attempt);
    }
    await sleep(delay, opts.signal);
  }
}
