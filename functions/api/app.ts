import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CoprError, unauthorized } from '../core/errors.js';
import type { AppContext } from './context.js';
import { errorToResult } from './error-mapping.js';
import { requestFromEvent } from './request.js';
import { isRaw, jsonResult, rawResult } from './responses.js';
import type { Router } from './router.js';

/**
 * One request through the API: route, authenticate, run the handler, shape the
 * response. Used by the Lambda handler (functions/handlers/api.ts) and by the local
 * server alike.
 */
export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export function createApiHandler(ctx: AppContext, router: Router): ApiHandler {
  return async (event) => {
    try {
      const req = requestFromEvent(event);
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
      let caller = null;
      try {
        caller = await ctx.auth.authenticate(req);
      } catch (err) {
        // Bad credentials on an anonymous route: answer anonymously, as upstream does.
        if (match.route.auth) throw err;
      }
      const route = match.route;
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
      return errorToResult(err);
    }
  };
}
