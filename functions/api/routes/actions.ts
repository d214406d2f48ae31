import type { Action } from '../../core/action-ports.js';
import type { AppContext } from '../context.js';
import { pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * `GET /api_3/project/actions/{ownername}/{projectname}` (ours, not upstream): the
 * queued project actions (delete, fork, createrepo, chroot removal) and their state,
 * also for a deleted project, paginated like every APIv3 list.
 */

function actionToApi(a: Action) {
  // The fork plan is internal bookkeeping; `result` says what was copied.
  const { kind, ...rest } = a.data;
  if ('plan' in rest) delete (rest as { plan?: unknown }).plan;
  return {
    id: a.id,
    action_type: kind,
    ownername: a.ownername,
    projectname: a.projectname,
    state: a.state,
    attempts: a.attempts,
    created_on: a.created_on,
    started_on: a.started_on,
    ended_on: a.ended_on,
    /** When the action runs (next attempt); a dropped chroot's data waits a grace period. */
    due_on: a.due_at === null ? null : Math.floor(a.due_at / 1000),
    error: a.error,
    result: a.result,
    data: rest,
  };
}

const actionOrder: Orderable<Action> = {
  id: (a) => a.id,
  created_on: (a) => a.created_on,
  state: (a) => a.state,
};

async function listActions(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const all = await ctx.app.actions.list(req.params.ownername!, req.params.projectname!);
  return pageResult(paginate(all, page, actionOrder, 'Action').map(actionToApi), page);
}

export const actionRoutes: Route[] = [{ method: 'GET', path: '/api_3/project/actions/{ownername}/{projectname}', handler: listActions }];
