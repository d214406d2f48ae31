import type { Forge } from '../../core/webhooks.js';
import type { AppContext } from '../context.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';

/**
 * Webhook routes: the APIv3 secret generator (spec §2.10) and the receiving
 * endpoints Copr offers forges, `/webhooks/<forge>/<copr_id>/<uuid>/[<package>/]`
 * (the request path arrives without its trailing slash). Receivers are anonymous:
 * the uuid (and a signature, when sent) is the credential.
 */
async function generate(req: AuthedRequest, ctx: AppContext) {
  const p = await ctx.app.webhooks.generateSecret(req.caller, req.params.ownername!, req.params.projectname!);
  return { id: p.id, name: p.name, ownername: p.ownername, full_name: `${p.ownername}/${p.name}`, webhook_secret: p.webhook_secret };
}

function receiver(forge: Forge) {
  return async (req: RouteRequest, ctx: AppContext) => {
    const out = await ctx.app.webhooks.receive({
      forge,
      coprId: req.params.copr_id!,
      uuid: req.params.uuid!,
      packageName: req.params.package_name,
      headers: req.headers,
      body: req.body,
    });
    return { output: 'ok', builds: out.builds.map((b) => b.id), ...(out.ignored ? { message: `Nothing to build: ${out.ignored}` } : {}) };
  };
}

const post = (path: string, forge: Forge): Route => ({ method: 'POST', path, handler: receiver(forge) });

export const webhookRoutes: Route[] = [
  { method: 'POST', path: '/api_3/webhook/generate/{ownername}/{projectname}', auth: true, handler: generate },
  post('/webhooks/github/{copr_id}/{uuid}', 'github'),
  post('/webhooks/github/{copr_id}/{uuid}/{package_name}', 'github'),
  post('/webhooks/gitlab/{copr_id}/{uuid}', 'gitlab'),
  post('/webhooks/gitlab/{copr_id}/{uuid}/{package_name}', 'gitlab'),
  post('/webhooks/bitbucket/{copr_id}/{uuid}', 'bitbucket'),
  post('/webhooks/bitbucket/{copr_id}/{uuid}/{package_name}', 'bitbucket'),
  post('/webhooks/pagure/{copr_id}/{uuid}', 'pagure'),
  post('/webhooks/pagure/{copr_id}/{uuid}/{package_name}', 'pagure'),
  post('/webhooks/custom/{copr_id}/{uuid}/{package_name}', 'custom'),
];
