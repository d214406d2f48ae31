import { rpmTaskView, srpmTaskView } from '../../core/backend-task-views.js';
import type { AppContext } from '../context.js';
import { raw, type RawResponse } from '../responses.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * Copr's public, read-only task views (spec §4.1): `/backend/get-build-task/<build>-<chroot>`
 * and `/backend/get-srpm-build-task/<build>`. Anonymous like upstream's; they carry
 * nothing secret (no builder credential: ours are minted per task by the dispatcher).
 * Errors use the backend protocol's `{"msg": ...}` shape, not the API's `{"error": ...}`.
 */
const API_VERSION_HEADER = { 'copr-fe-be-api-version': '9' };

function json(status: number, body: unknown): RawResponse {
  return raw(status, JSON.stringify(body), { 'content-type': 'application/json', ...API_VERSION_HEADER });
}

const notFound = () => json(404, { msg: 'Specified task ID not found' });

function deps(ctx: AppContext) {
  return { store: ctx.store, builds: ctx.app.ports.builds, resultsBaseUrl: ctx.config.RESULTS_BASE_URL };
}

async function getBuildTask(req: RouteRequest, ctx: AppContext) {
  const m = /^(\d{1,12})-([\w.+-]{1,100})$/.exec(req.params.task ?? '');
  if (!m) return notFound();
  const view = await rpmTaskView(deps(ctx), Number(m[1]), m[2] as string);
  return view ? json(200, view) : notFound();
}

async function getSrpmBuildTask(req: RouteRequest, ctx: AppContext) {
  const id = req.params.build_id ?? '';
  if (!/^\d{1,12}$/.test(id)) return notFound();
  const view = await srpmTaskView(deps(ctx), Number(id));
  return view ? json(200, view) : notFound();
}

export const backendTaskRoutes: Route[] = [
  { method: 'GET', path: '/backend/get-build-task/{task}', handler: getBuildTask },
  { method: 'GET', path: '/backend/get-srpm-build-task/{build_id}', handler: getSrpmBuildTask },
];
