// The agent core: one task in, one outcome out. Ports (sandbox, upload, log, fetch, abort
// signal) are injected so the same code runs as a local child process and on the AMI.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as z from 'zod';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js';
import type { FetchFn } from './download.js';
import { DISK_FULL_REASON, isDiskFullError, mentionsDiskFull, SafeAppender } from './disk-full.js';
import { BuildFailedError, TaskAbortedError } from './errors.js';
import { coprBuildMacros } from './fedora-macros.js';
import { createPathScrubber, type PathScrubber } from './log-scrub.js';
import { assertShippable } from './result-file-guard.js';
import { gzippedName, metaResultFiles } from './result-extras.js';
import { runRpmStage } from './rpm-stage.js';
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
  /** Further host paths shipped logs must not show (the builder dir, the data dir). */
  privatePaths?: readonly string[];
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

/** How result files leave the builder: checked, and logs with host paths scrubbed. */
interface Shipper {
  deps: AgentDeps;
  metaDir: string;
  scrubber: PathScrubber;
}

async function uploadAll(ship: Shipper, files: readonly ResultFile[], uploaded: string[]): Promise<void> {
  for (const file of files) {
    await assertShippable(file.localFile, ship.deps.workDir);
    let local = file.localFile;
    let name = file.relativePath;
    if (name.endsWith('.log')) {
      local = join(ship.metaDir, `shipped-${name.replaceAll('/', '_')}`);
      await ship.scrubber.scrubFile(file.localFile, local);
    }
    // Copr's result dir has build.log.gz, root.log.gz, …: gzipped here, after the scrub.
    const gz = gzippedName(name);
    if (gz !== null) {
      await pipeline(createReadStream(local), createGzip(), createWriteStream(`${local}.gz`));
      local = `${local}.gz`;
      name = gz;
    }
    await ship.deps.upload(name, local);
    uploaded.push(name);
  }
}

function uploadFailure(err: unknown): string {
  if (isDiskFullError(err)) return `upload failed: ${DISK_FULL_REASON}`;
  return `upload failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** Runs one SRPM or RPM task to completion and uploads its result dir. Never throws. */
export async function runTask(input: TaskInput | Task, deps: AgentDeps): Promise<TaskOutcome> {
  const metaDir = join(deps.workDir, 'meta');
  const buildDir = join(deps.workDir, 'build');
  await mkdir(metaDir, { recursive: true });
  await mkdir(buildDir, { recursive: true });
  const liveLog = join(metaDir, LIVE_LOG);
  const scrubber = createPathScrubber([
    { path: buildDir, placeholder: '<builddir>' },
    { path: deps.workDir, placeholder: '<taskdir>' },
    ...(deps.privatePaths ?? []).map((path) => ({ path, placeholder: '<hostdir>' })),
  ]);
  const ship: Shipper = { deps, metaDir, scrubber };
  const liveAppender = new SafeAppender(liveLog);
  let sawDiskFull = false;
  const log = (text: string): void => {
    if (mentionsDiskFull(text)) sawDiskFull = true;
    const clean = scrubber.scrub(text);
    liveAppender.append(clean);
    deps.log(clean);
  };
  const uploaded: string[] = [];

  const parsed = TaskSchema.safeParse(input);
  if (!parsed.success) {
    const reason = `invalid task: ${z.prettifyError(parsed.error)}`;
    log(`${reason}\n`);
    await uploadAll(ship, [{ relativePath: LIVE_LOG, localFile: liveLog }], uploaded).catch(() => undefined);
    return { status: 'failed', fail_reason: reason, uploaded };
  }
  const task = parsed.data;
  const { signal, dispose } = taskSignal(task, deps.signal);
  const config = { ...DEFAULT_AGENT_CONFIG, ...deps.config };
  const ctx: StageContext = {
    workDir: buildDir,
    metaDir,
    enableNet: task.enable_net,
    sandbox: deps.sandbox,
    signal,
    fetch: deps.fetch ?? fetch,
    log,
    config,
    buildMacros: coprBuildMacros({ buildId: task.build_id, owner: task.project_owner, project: task.project_name, vendor: config.vendor }),
  };
  log(`Task ${task.task_id} (${task.kind} stage, sandbox ${deps.sandbox.name}), timeout ${task.timeout} s\n`);

  let stage: StageResult;
  try {
    stage = task.kind === 'srpm' ? await runSrpmStage(ctx, task) : await runRpmStage(ctx, task);
  } catch (err) {
    dispose();
    const failure = describeFailure(err, signal);
    const diskFull = isDiskFullError(err) || sawDiskFull || liveAppender.error !== null;
    const prefixed = diskFull && failure.status === 'failed' && !failure.reason.includes(DISK_FULL_REASON);
    const reason = scrubber.scrub(prefixed ? `${DISK_FULL_REASON}: ${failure.reason}` : failure.reason);
    // Free the space the build used, so the logs can still be prepared and shipped.
    if (diskFull) await rm(buildDir, { recursive: true, force: true });
    log(`Build ${failure.status}: ${reason}\n`);
    return finishFailed(ship, liveLog, uploaded, failure.status, reason);
  }
  dispose();

  try {
    const resultsJson = join(metaDir, 'results.json');
    await writeFile(resultsJson, `${JSON.stringify(stage.results, null, 2)}\n`);
    await uploadAll(ship, [...stage.files, { relativePath: 'results.json', localFile: resultsJson }], uploaded);
    log('Build succeeded\n');
    await uploadAll(ship, [{ relativePath: LIVE_LOG, localFile: liveLog }], uploaded);
    // `success` goes last: its presence tells readers the result dir is complete.
    const success = join(metaDir, 'success');
    await writeFile(success, 'done\n');
    await uploadAll(ship, [{ relativePath: 'success', localFile: success }], uploaded);
  } catch (err) {
    const reason = scrubber.scrub(err instanceof BuildFailedError ? err.message : uploadFailure(err));
    if (isDiskFullError(err)) await rm(buildDir, { recursive: true, force: true });
    log(`Build failed: ${reason}\n`);
    return finishFailed(ship, liveLog, uploaded, 'failed', reason);
  }
  return { status: 'succeeded', results: stage.results, srpm_filename: stage.srpmFilename, uploaded };
}

/** Uploads what helps a human see why (build.log.gz, root.log.gz, the live log); no `success` file. */
async function finishFailed(
  ship: Shipper,
  liveLog: string,
  uploaded: string[],
  status: 'failed' | 'canceled',
  reason: string,
): Promise<TaskOutcome> {
  // build.log, root.log, state.log, hw_info.log, installed_pkgs.log, configs.tar.gz:
  // whichever the stage got to write.
  const logs: ResultFile[] = metaResultFiles(ship.metaDir);
  logs.push({ relativePath: LIVE_LOG, localFile: liveLog });
  let failReason = reason;
  try {
    await uploadAll(ship, logs, uploaded);
  } catch (err) {
    failReason = `${reason} (log ${ship.scrubber.scrub(uploadFailure(err))})`;
  }
  return { status, fail_reason: failReason, uploaded };
}
