import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CoprError, unauthorized } from '../core/errors.js';
import type { LogFields, Logger } from '../core/ports.js';
import type { AppContext } from './context.js';
import { errorToResult } from './error-mapping.js';
import { assertRequestNames } from './name-guard.js';
import type { MultipartBody } from './input.js';
import { requestFromEvent } from './request.js';
import { isRaw, jsonResult, rawResult } from './responses.js';
import type { Router } from './router.js';

/**
 * One request through the API: route, authenticate, run the handler, shape the
 * response. Used by the Lambda handler (functions/handlers/api.ts) and by the local
 * server alike.
 */
export type ApiHandler = (event: APIGatewayProxyEventV2, extras?: ApiExtras) => Promise<APIGatewayProxyStructuredResultV2>;

/** What the local server learned while streaming the body (the Lambda path has none). */
export interface ApiExtras {
  multipart?: MultipartBody;
  bodyFile?: { path: string; size: number };
}

/** What an error log line of a request says about it: the route and the build or task it addressed. */
function logFieldsOf(method: string, route: string, params: Record<string, string>): LogFields {
  const fields: LogFields = { method, route };
  const buildId = params.build_id ?? (route.includes('/build/') ? params.id : undefined);
  if (buildId !== undefined && /^\d+$/.test(buildId)) fields.build_id = Number(buildId);
  if (params.task !== undefined) fields.task_id = params.task;
  return fields;
}

export function createApiHandler(ctx: AppContext, router: Router): ApiHandler {
  const logError: Logger['error'] = (msg, fields) => ctx.app.ports.log.error(msg, fields);
  return async (event, extras = {}) => {
    let fields: LogFields = {};
    try {
      const req = {
        ...requestFromEvent(event),
        ...(extras.multipart ? { multipart: extras.multipart } : {}),
        ...(extras.bodyFile ? { bodyFile: extras.bodyFile } : {}),
      };
      const match = router.match(req.method, req.path);
      if (match.kind === 'none') {
        if (req.path === '/api_3' || req.path.startsWith('/api_3/')) {
          throw new CoprError('not-found', "Such API endpoint doesn't exist");
        }
        throw new CoprError('not-found', 'Not found');
      }
      if (match.kind === 'wrong-method') {
        return jsonResult(405, { output: 'notok', error: `Method ${req.method} not allowed` }, { allow: match.allowed.join(', ') });
      }
      assertRequestNames(req, match.params);
      let caller = null;
      try {
        caller = await ctx.auth.authenticate(req);
      } catch (err) {
        // Bad credentials on an anonymous route: answer anonymously, as upstream does.
        if (match.route.auth) throw err;
      }
      const route = match.route;
      fields = logFieldsOf(req.method, route.path, match.params);
      let out: unknown;
      if (route.auth) {
        if (!caller) throw unauthorized(ctx.config.FRONTEND_URL);
        out = await route.handler({ ...req, params: match.params, caller }, ctx);
      } else {
        out = await route.handler({ ...req, params: match.params, caller }, ctx);
      }
      if (isRaw(out)) return rawResult(out);
      return jsonResult(200, out);
    } catch (err) {
      return errorToResult(err, logError, fields);
    }
  };
}
