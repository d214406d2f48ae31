import * as z from 'zod';
import { FinishedReportSchema } from '../../core/builder-protocol.js';
import { CoprError } from '../../core/errors.js';
import { isSafeRelativePath } from '../../core/results-store.js';
import { taskResultPrefix, type TaskContext } from '../../core/task-lifecycle.js';
import type { AppContext } from '../context.js';
import { jsonBody } from '../input.js';
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

const UploadUrlBody = z.object({ path: z.string().refine(isSafeRelativePath, 'invalid result path') });


/** Upload size cap for one result file through the API (local path; S3 takes them directly on AWS). */
export const MAX_RESULT_FILE = 2 * 1024 * 1024 * 1024;

export const builderRoutes: Route[] = [
  {
    method: 'GET',
    path: '/backend/builder/task',
    handler: async (req, ctx) => ctx.app.builder.task(await taskOf(req, ctx)),
  },
  {
    method: 'POST',
    path: '/backend/builder/started',
    handler: async (req, ctx) => {
      await ctx.app.builder.started(await taskOf(req, ctx));
      return {};
    },
  },
  {
    method: 'POST',
    path: '/backend/builder/heartbeat',
    handler: async (req, ctx) => ctx.app.builder.heartbeat(await taskOf(req, ctx)),
  },
  {
    method: 'POST',
    path: '/backend/builder/upload-url',
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
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const prefix = `${taskResultPrefix(t)}/`;
      const key = req.params.key!;
      // The key must be inside this task's own result directory.
      if (!key.startsWith(prefix) || !isSafeRelativePath(key.slice(prefix.length))) {
        throw new CoprError('forbidden', 'This credential may not write there');
      }
      if (req.body.length > MAX_RESULT_FILE) throw new CoprError('payload-too-large', 'Result file too large');
      await ctx.app.ports.results.put(key, req.body);
      return {};
    },
  },
  {
    method: 'POST',
    path: '/backend/builder/finished',
    handler: async (req, ctx) => {
      const t = await taskOf(req, ctx);
      const body = FinishedReportSchema.parse(jsonBody(req));
      await ctx.app.builder.finished(t, body);
      return {};
    },
  },
];
