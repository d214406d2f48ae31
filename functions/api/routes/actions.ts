import type { Action } from '../../core/action-ports.js';
import type { AppContext } from '../context.js';
import { indexedPage, pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
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

/** In id order (the default) a page is read by keyset cursors over the project's actions index; other columns sort in memory. */
async function listActions(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const owner = req.params.ownername!;
  const project = req.params.projectname!;
  if (page.order === 'id') {
    const listing = ctx.app.ports.actions.actionPages(owner, project, page.order_type === 'DESC');
    return pageResult((await indexedPage(ctx.store.pageCursors, listing, page)).map(actionToApi), page);
  }
  const all = await ctx.app.actions.list(owner, project);
  return pageResult(paginate(all, page, actionOrder, 'Action').map(actionToApi), page);
}

export const actionRoutes: Route[] = [{ method: 'GET', path: '/api_3/project/actions/{ownername}/{projectname}', handler: listActions }];
