import { rotateToken } from '../../core/users.js';
import type { AppContext } from '../context.js';
import type { AuthedRequest, Route } from '../router.js';

async function home() {
  return { version: 3 };
}

async function authCheck(req: AuthedRequest) {
  const { user } = req.caller;
  return { id: user.id, name: user.name };
}

async function newApiToken(req: AuthedRequest, ctx: AppContext) {
  const token = await rotateToken(ctx.store, ctx.clock, req.caller.user, ctx.config.API_TOKEN_DAYS);
  return { api_login: token.api_login, api_token: token.api_token, expiration: token.api_token_expiration };
}

export const generalRoutes: Route[] = [
  { method: 'GET', path: '/api_3', handler: home },
  { method: 'GET', path: '/api_3/auth-check', auth: true, handler: authCheck },
  { method: 'POST', path: '/api_3/api-token', auth: true, handler: newApiToken },
];
