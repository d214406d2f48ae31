import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Shared pieces of the benchmarks: what a part returns (tables, printed as
 * Markdown so the output pastes into BENCHMARKS.md as is), latency statistics,
 * a fixed-concurrency request loop, deadline polling and temp dirs.
 * Benchmarks print figures; they never assert them.
 */
export type Cell = string | number;

export interface Table {
  title: string;
  head: string[];
  rows: Cell[][];
  /** How the figures were taken (printed under the table). */
  notes?: string[];
}

export interface PartResult {
  tables: Table[];
  /** Set when the part could not run here (a route or file missing); printed instead of failing. */
  skipped?: string;
  /** Output of a part that prints its own figures (run as a child), shown verbatim. */
  text?: string;
}

export interface BenchPart {
  name: string;
  title: string;
  run(): Promise<PartResult>;
}

export const skipped = (why: string): PartResult => ({ tables: [], skipped: why });

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface LoadResult {
  /** Per-call latencies in ms. */
  latencies: number[];
  elapsedMs: number;
  perSecond: number;
}

/** Runs `total` calls of `call` with `concurrency` of them in flight at any moment. */
export async function runLoad(total: number, concurrency: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const t0 = performance.now();
      await call(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const elapsedMs = performance.now() - start;
  return { latencies, elapsedMs, perSecond: (total / elapsedMs) * 1000 };
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function inParallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  await runLoad(items.length, concurrency, (i) => fn(items[i]!));
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `copr-bench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const ms = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : '-');
export const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '-');
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;

/** A Markdown table with padded columns. */
export function formatTable(t: Table): string {
  const rows = [t.head, ...t.rows.map((r) => r.map(String))];
  const width = t.head.map((_, c) => Math.max(3, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (r: Cell[]) => `| ${width.map((w, c) => String(r[c] ?? '').padEnd(w)).join(' | ')} |`;
  const out = [`### ${t.title}`, '', line(t.head), `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`, ...t.rows.map(line)];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}
