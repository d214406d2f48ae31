import { readWebhookSecret, userInfo } from '../../core/web-views.js';
import type { AppContext } from '../context.js';
import type { AuthedRequest, Route } from '../router.js';

/**
 * Ours, for dashboard pages Copr renders server-side: the integrations page reads the
 * webhook secret (editors only; `POST /webhook/generate` replaces it), `/user/info`
 * reads the signed-in user.
 */
async function webhookSecret(req: AuthedRequest, ctx: AppContext) {
  const p = await readWebhookSecret(ctx.store, req.caller, req.params.ownername!, req.params.projectname!);
  return { id: p.id, name: p.name, ownername: p.ownername, full_name: `${p.ownername}/${p.name}`, webhook_secret: p.webhook_secret };
}

async function userInfoRoute(req: AuthedRequest, ctx: AppContext) {
  return userInfo(ctx.store, req.caller);
}

export const webPageRoutes: Route[] = [
  { method: 'GET', path: '/api_3/webhook/secret/{ownername}/{projectname}', auth: true, handler: webhookSecret },
  { method: 'GET', path: '/api_3/user/info', auth: true, handler: userInfoRoute },
];
