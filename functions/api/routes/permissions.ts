import * as z from 'zod';
import { canBuildIn, getPermissions, requestPermissions, setPermissions } from '../../core/permissions.js';
import type { AppContext } from '../context.js';
import { jsonBody } from '../input.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';

/** Project permission endpoints (spec §2.9). */

const PERM = z.enum(['nothing', 'request', 'approved']);

/** `{"<user>": {"admin": "approved", "builder": "request"}, ...}`; unknown roles are errors. */
const SetBody = z.record(
  z.string().min(1).max(100),
  z.object({ admin: PERM.optional(), builder: PERM.optional() }).strict(),
);

/** `{"admin": true, "builder": false}`. */
const RequestBody = z.object({ admin: z.boolean().optional(), builder: z.boolean().optional() }).strict();

async function getRoute(req: AuthedRequest, ctx: AppContext) {
  const permissions = await getPermissions(ctx.store, req.caller, req.params.ownername!, req.params.projectname!);
  // copr-cli reads `perms["permissions"]`, whatever the library's docstring says.
  return { permissions };
}

async function setRoute(req: AuthedRequest, ctx: AppContext) {
  const body = SetBody.parse(jsonBody(req));
  const updated = await setPermissions(ctx.store, req.caller, req.params.ownername!, req.params.projectname!, body);
  return { updated };
}

async function requestRoute(req: AuthedRequest, ctx: AppContext) {
  const body = RequestBody.parse(jsonBody(req));
  const updated = await requestPermissions(ctx.store, req.caller, req.params.ownername!, req.params.projectname!, body);
  return { updated };
}

/** The library sends credentials here, but upstream answers anonymous callers too. */
async function canBuildInRoute(req: RouteRequest, ctx: AppContext) {
  const { who, ownername, projectname } = req.params as { who: string; ownername: string; projectname: string };
  const can = await canBuildIn(ctx.store, who, ownername, projectname);
  return { who, ownername, projectname, can_build_in: can };
}

export const permissionRoutes: Route[] = [
  { method: 'GET', path: '/api_3/project/permissions/get/{ownername}/{projectname}', auth: true, handler: getRoute },
  { method: 'PUT', path: '/api_3/project/permissions/set/{ownername}/{projectname}', auth: true, handler: setRoute },
  { method: 'PUT', path: '/api_3/project/permissions/request/{ownername}/{projectname}', auth: true, handler: requestRoute },
  { method: 'GET', path: '/api_3/project/permissions/can_build_in/{who}/{ownername}/{projectname}', handler: canBuildInRoute },
];
