import { CoprError } from '../../core/errors.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * Warm builders (functions/core/warm-builders.ts): a builder asks for its next task,
 * or says it is leaving, with the builder credential minted at its launch. Neither
 * call takes a body; a task credential or a user's token counts for nothing here.
 */
function builderCredential(req: RouteRequest): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers['authorization'] ?? '');
  if (!m?.[1]) throw new CoprError('unauthorized', 'Missing builder credential');
  return m[1];
}

/** Nothing to read: refuse anything but an empty or `{}` body before it is read. */
const NO_BODY = { maxBytes: 64 };

export const builderWarmRoutes: Route[] = [
  {
    method: 'POST',
    path: '/backend/builder/next-task',
    body: NO_BODY,
    handler: async (req, ctx) => ctx.app.builder.nextTask(builderCredential(req)),
  },
  {
    method: 'POST',
    path: '/backend/builder/leave',
    body: NO_BODY,
    handler: async (req, ctx) => {
      await ctx.app.builder.leave(builderCredential(req));
      return {};
    },
  },
];
