import type { AppContext } from '../context.js';
import type { Route, RouteRequest } from '../router.js';

/** Flat `{name: comment}` of active chroots; not paginated (spec §2.7). */
async function listMockChroots(_req: RouteRequest, ctx: AppContext) {
  const chroots = (await ctx.store.listMockChroots()).filter((c) => c.is_active);
  chroots.sort((a, b) => a.name.localeCompare(b.name));
  const out: Record<string, string> = {};
  for (const c of chroots) out[c.name] = c.comment.replace(/<[^>]*>/g, '');
  return out;
}

export const mockChrootRoutes: Route[] = [{ method: 'GET', path: '/api_3/mock-chroots/list', handler: listMockChroots }];
