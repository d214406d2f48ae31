import * as z from 'zod';
import { FinishedReportSchema } from '../../core/builder-protocol.js';
import { CoprError } from '../../core/errors.js';
import { isSafeRelativePath, LIVE_LOG_NAME, MAX_LIVE_LOG_CHUNK } from '../../core/results-store.js';
import { taskResultPrefix, type TaskContext } from '../../core/task-lifecycle.js';
import type { AppContext } from '../context.js';
import { jsonBody } from '../input.js';
import { builderSourceUrl } from '../uploads.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * Our builder protocol (builder-ami/agent/api-client.ts is the other side). A
 * builder authenticates with the credential the dispatcher minted for exactly one
 * task; it can read that task and write only under that task's result directory.
 */
async function taskOf(req: RouteRequest, ctx: AppContext): Promise<TaskContext> {
  const header = req.headers['authorization'] ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new CoprError('unauthorized', 'Missing builder credential');
  return ctx.app.builder.session(m[1]!);
}

/** The result file key of a builder PUT, if this task's credential may write it. */
async function resultKeyOf(req: RouteRequest, ctx: AppContext): Promise<string> {
  const t = await taskOf(req, ctx);
  const prefix = `${taskResultPrefix(t)}/`;
  const key = req.params.key ?? '';
  // The key must be inside this task's own result directory.
  if (!key.startsWith(prefix) || !isSafeRelativePath(key.slice(prefix.length))) {
    throw new CoprError('forbidden', 'This credential may not write there');
  }
  return key;
}

/** Refuses a request without this task's credential before its body is read. */
const CREDENTIAL_FIRST = {
  precheck: async (req: RouteRequest, ctx: AppContext) => void (await taskOf(req, ctx)),
};

const UploadUrlBody = z.object({ path: z.string().refine(isSafeRelativePath, 'invalid result path') });
const LiveLogOffset = z.string().regex(/^\d{1,15}$/, 'offset must be a byte count').transform(Number);


/** Upload size cap for one result file through the API (local path; S3 takes them directly on AWS). */
export const MAX_RESULT_FILE = 2 * 1024 * 1024 * 1024;

export const builderRoutes: Route[] = [
  {
    method: 'GET',
    path: '/backend/builder/task',
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const task = await ctx.app.builder.task(t);
      // Uploaded SRPMs are private on S3: hand the builder a presigned URL instead.
      if (task.kind === 'srpm' && t.build.source_type === 'upload') {
        const url = await builderSourceUrl(ctx.app.ports.results, t.build.source_dict);
        if (url !== null) return { ...task, source_json: JSON.stringify({ ...t.build.source_dict, url }) };
      }
      return task;
    },
  },
  {
    method: 'POST',
    path: '/backend/builder/started',
    body: CREDENTIAL_FIRST,
    handler: async (req, ctx) => {
      await ctx.app.builder.started(await taskOf(req, ctx));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/backend/builder/heartbeat',
    body: CREDENTIAL_FIRST,
    handler: async (req, ctx) => ctx.app.builder.heartbeat(await taskOf(req, ctx)),
  },
  {
    method: 'POST',
    path: '/backend/builder/upload-url',
    body: CREDENTIAL_FIRST,
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const { path } = UploadUrlBody.parse(jsonBody(req));
      const credential = /^Bearer\s+(\S+)$/i.exec(req.headers['authorization']!)![1]!;
      return ctx.app.ports.results.uploadTarget(`${taskResultPrefix(t)}/${path}`, credential);
    },
  },
  {
    method: 'PUT',
    path: '/backend/builder/results/{key+}',
    // Result files are large: the credential and the target are checked before the body is read.
    body: { maxBytes: MAX_RESULT_FILE, toFile: true, precheck: async (req, ctx) => void (await resultKeyOf(req, ctx)) },
    handler: async (req, ctx) => {
      const key = await resultKeyOf(req, ctx);
      const results = ctx.app.ports.results;
      if (req.bodyFile) {
        await results.putFile(key, req.bodyFile.path);
      } else {
        if (req.body.length > MAX_RESULT_FILE) throw new CoprError('payload-too-large', 'Result file too large');
        await results.put(key, req.body);
      }
      return {};
    },
  },
  {
    // The live log grows by new bytes only: the builder sends each part once, at its offset.
    method: 'PUT',
    path: '/backend/builder/live-log/{offset}',
    body: { maxBytes: MAX_LIVE_LOG_CHUNK, ...CREDENTIAL_FIRST },
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const offset = LiveLogOffset.parse(req.params.offset);
      if (req.body.length > MAX_LIVE_LOG_CHUNK) throw new CoprError('payload-too-large', 'Live log chunk too large');
      const key = `${taskResultPrefix(t)}/${LIVE_LOG_NAME}`;
      const stored = await ctx.app.ports.results.writeLiveLogChunk(key, t.task.attempts, offset, req.body);
      if (stored === 'gap') throw new CoprError('conflict', 'The live log does not reach this offset');
      return {};
    },
  },
  {
    method: 'POST',
    path: '/backend/builder/finished',
    body: CREDENTIAL_FIRST,
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const body = FinishedReportSchema.parse(jsonBody(req));
      await ctx.app.builder.finished(t, body);
      // The complete live log was uploaded before the outcome: its chunks are spare now.
      // Closing the task may already have replaced it with builder-live.log.gz
      // (core/backend-log.ts). A failure leaves hidden chunks that go with the result dir.
      const live = `${taskResultPrefix(t)}/${LIVE_LOG_NAME}`;
      const results = ctx.app.ports.results;
      const complete = async (key: string) => results.exists(key).catch(() => false);
      if ((await complete(live)) || (await complete(`${live}.gz`))) await results.dropLiveLogChunks(live).catch(() => undefined);
      return {};
    },
  },
];
