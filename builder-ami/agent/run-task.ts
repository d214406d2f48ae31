// The agent core: one task in, one outcome out. Ports (sandbox, upload, log, fetch, abort
// signal) are injected so the same code runs as a local child process and on the AMI.
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js';
import type { FetchFn } from './download.js';
import { BuildFailedError, TaskAbortedError } from './errors.js';
import { buildLogPath, runRpmStage } from './rpm-stage.js';
import type { Sandbox } from './sandbox.js';
import type { StageContext } from './stage-context.js';
import type { ResultFile, StageResult } from './stage-result.js';
import { runSrpmStage } from './srpm-stage.js';
import { TaskSchema, type Task, type TaskInput, type TaskOutcome } from './task.js';

export interface AgentDeps {
  /** A fresh, empty directory owned by this task. */
  workDir: string;
  sandbox: Sandbox;
  /** Stores `localFile` as `relativePath` in the task's result dir. */
  upload: (relativePath: string, localFile: string) => Promise<void>;
  /** Appends to the live log (also kept as builder-live.log in the result dir). */
  log: (text: string) => void;
  /** Aborting it cancels the build (status `canceled`). */
  signal: AbortSignal;
  fetch?: FetchFn;
  config?: Partial<AgentConfig>;
}

export const LIVE_LOG = 'builder-live.log';

function describeFailure(err: unknown, abort: AbortSignal): { status: 'failed' | 'canceled'; reason: string } {
  // Whatever error a killed process surfaced as, the abort is the real cause.
  const cause = abort.aborted ? abort.reason : err;
  if (cause instanceof TaskAbortedError) return { status: cause.kind === 'canceled' ? 'canceled' : 'failed', reason: cause.message };
  if (cause instanceof BuildFailedError) return { status: 'failed', reason: cause.message };
  if (cause instanceof z.ZodError) return { status: 'failed', reason: `invalid source_json: ${z.prettifyError(cause)}` };
  return { status: 'failed', reason: `internal error: ${cause instanceof Error ? cause.message : String(cause)}` };
}

/** Combines the caller's cancel signal with the task timeout. */
function taskSignal(task: Task, cancel: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(new TaskAbortedError('canceled', 'build canceled'));
  if (cancel.aborted) onCancel();
  cancel.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(
    () => controller.abort(new TaskAbortedError('timeout', `timeout after ${task.timeout} s`)),
    task.timeout * 1000,
  );
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

async function uploadAll(deps: AgentDeps, files: readonly ResultFile[], uploaded: string[]): Promise<void> {
  for (const file of files) {
    await deps.upload(file.relativePath, file.localFile);
    uploaded.push(file.relativePath);
  }
}

/** Runs one SRPM or RPM task to completion and uploads its result dir. Never throws. */
export async function runTask(input: TaskInput | Task, deps: AgentDeps): Promise<TaskOutcome> {
  const metaDir = join(deps.workDir, 'meta');
  const buildDir = join(deps.workDir, 'build');
  await mkdir(metaDir, { recursive: true });
  await mkdir(buildDir, { recursive: true });
  const liveLog = join(metaDir, LIVE_LOG);
  const log = (text: string): void => {
    appendFileSync(liveLog, text);
    deps.log(text);
  };
  const uploaded: string[] = [];

  const parsed = TaskSchema.safeParse(input);
  if (!parsed.success) {
    const reason = `invalid task: ${z.prettifyError(parsed.error)}`;
    log(`${reason}\n`);
    await deps.upload(LIVE_LOG, liveLog).then(() => uploaded.push(LIVE_LOG), () => undefined);
    return { status: 'failed', fail_reason: reason, uploaded };
  }
  const task = parsed.data;
  const { signal, dispose } = taskSignal(task, deps.signal);
  const ctx: StageContext = {
    workDir: buildDir,
    sandbox: deps.sandbox,
    signal,
    fetch: deps.fetch ?? fetch,
    log,
    config: { ...DEFAULT_AGENT_CONFIG, ...deps.config },
  };
  log(`Task ${task.task_id} (${task.kind} stage, sandbox ${deps.sandbox.name}), timeout ${task.timeout} s\n`);

  let stage: StageResult;
  try {
    stage = task.kind === 'srpm' ? await runSrpmStage(ctx, task) : await runRpmStage(ctx, task);
  } catch (err) {
    dispose();
    const { status, reason } = describeFailure(err, signal);
    log(`Build ${status}: ${reason}\n`);
    return finishFailed(deps, buildDir, liveLog, uploaded, status, reason);
  }
  dispose();

  try {
    const resultsJson = join(metaDir, 'results.json');
    await writeFile(resultsJson, `${JSON.stringify(stage.results, null, 2)}\n`);
    await uploadAll(deps, [...stage.files, { relativePath: 'results.json', localFile: resultsJson }], uploaded);
    log('Build succeeded\n');
    await uploadAll(deps, [{ relativePath: LIVE_LOG, localFile: liveLog }], uploaded);
    // `success` goes last: its presence tells readers the result dir is complete.
    const success = join(metaDir, 'success');
    await writeFile(success, 'done\n');
    await uploadAll(deps, [{ relativePath: 'success', localFile: success }], uploaded);
  } catch (err) {
    const reason = `upload failed: ${err instanceof Error ? err.message : String(err)}`;
    log(`Build failed: ${reason}\n`);
    return finishFailed(deps, buildDir, liveLog, uploaded, 'failed', reason);
  }
  return { status: 'succeeded', results: stage.results, srpm_filename: stage.srpmFilename, uploaded };
}

/** Uploads what helps a human see why (build.log, the live log); no `success` file. */
async function finishFailed(
  deps: AgentDeps,
  buildDir: string,
  liveLog: string,
  uploaded: string[],
  status: 'failed' | 'canceled',
  reason: string,
): Promise<TaskOutcome> {
  const logs: ResultFile[] = [];
  if (existsSync(buildLogPath(buildDir))) logs.push({ relativePath: 'build.log', localFile: buildLogPath(buildDir) });
  logs.push({ relativePath: LIVE_LOG, localFile: liveLog });
  let failReason = reason;
  try {
    await uploadAll(deps, logs, uploaded);
  } catch (err) {
    failReason = `${reason} (log upload failed: ${err instanceof Error ? err.message : String(err)})`;
  }
  return { status, fail_reason: failReason, uploaded };
}
