import * as z from 'zod';
import { loadProject } from '../../core/access.js';
import { SRPM_CHROOT, STATUS, summaryChroots, type Build, type BuildChroot, type BuildState, type ChrootView, type Task } from '../../core/build-model.js';
import { allOfListing } from '../../core/keyset-pages.js';
import { buildPage } from '../../core/build-pages.js';
import { buildState } from '../../core/build-state.js';
import { loadBuild } from '../../core/builds.js';
import { badRequest } from '../../core/errors.js';
import { buildToApi, DEFAULT_MEMORY_LIMIT, nevraToApi, sourceResultUrl } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { jsonBody, queryValue, requiredQuery, zIntLike } from '../input.js';
import { pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';
import { sourceDictToApi } from '../serialize.js';
import { buildCreateRoutes, buildView, parseBuildId } from './build-create.js';
import { rpmUploadRoute } from './build-rpm-upload.js';

/** Build reads, cancel and delete (spec §2.4), plus the dashboard's queue view. */

async function loadWithChroots(ctx: AppContext, rawId: string): Promise<{ build: Build; chroots: BuildChroot[] }> {
  const builds = ctx.app.ports.builds;
  const build = await loadBuild(builds, parseBuildId(rawId));
  return { build, chroots: await builds.listBuildChroots(build.id) };
}

async function getBuild(req: RouteRequest, ctx: AppContext) {
  const { build, chroots } = await loadWithChroots(ctx, req.params.id!);
  return buildToApi(ctx.config.RESULTS_BASE_URL, build, chroots);
}

const buildOrder: Orderable<Build> = {
  id: (b) => b.id,
  submitted_on: (b) => b.submitted_on,
  is_background: (b) => (b.is_background ? 1 : 0),
};

/** What the API object needs of a build's chroots: the build item's summary, or (builds stored before it) a Query. */
async function chrootsOf(ctx: AppContext, build: Build): Promise<ChrootView[]> {
  return summaryChroots(build) ?? (await ctx.app.ports.builds.listBuildChroots(build.id));
}

/**
 * In id order (what copr-cli and python-copr send, with `limit` or without) the
 * answer comes from keyset pages of the project-builds index (core/build-pages.ts):
 * a page reads `limit` build items whatever its offset, and each build item carries
 * its chroots' summary, so that is the page's only read. `status` filters on the
 * state derived from the summary before paging (upstream filtered after; this is
 * the reliable form). Another order column reads the project's builds and sorts in
 * memory.
 */
async function listBuilds(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const builds = ctx.app.ports.builds;
  const project = await loadProject(ctx.store, requiredQuery(req, 'ownername'), requiredQuery(req, 'projectname'));
  const packagename = queryValue(req, 'packagename') || null;
  const raw = queryValue(req, 'status');
  if (raw && !Object.hasOwn(STATUS, raw)) throw badRequest(`status: Not a valid choice: ${raw}`);
  const status = raw ? (raw as BuildState) : null;
  const toApi = async (build: Build) => buildToApi(ctx.config.RESULTS_BASE_URL, build, await chrootsOf(ctx, build));
  if (page.order === 'id') {
    const listing = {
      ownername: project.ownername,
      projectname: project.name,
      projectId: project.id,
      packageName: packagename,
      descending: page.order_type === 'DESC',
    };
    const got =
      page.limit === null
        ? await allOfListing(builds.pages.listing(listing, status), page.offset)
        : await buildPage(builds.pages, listing, page.offset, page.limit, status);
    return pageResult(await Promise.all(got.map(toApi)), page);
  }
  let all = await builds.listProjectBuilds(project.ownername, project.name);
  if (packagename) all = all.filter((b) => b.package_name === packagename);
  if (status) {
    const states = await Promise.all(all.map(async (b) => buildState(b, await chrootsOf(ctx, b))));
    all = all.filter((_, i) => states[i] === status);
  }
  const items = paginate(all, page, buildOrder, 'Build');
  return pageResult(await Promise.all(items.map(toApi)), page);
}

/**
 * `GET /api_3/build/recent?limit=N` (ours, for the dashboard's home page): the newest
 * builds of all projects, newest first; one Query on the builds collection index.
 */
const RECENT_MAX = 100;
async function listRecentBuilds(req: RouteRequest, ctx: AppContext) {
  const raw = queryValue(req, 'limit') ?? '10';
  const limit = /^\d{1,3}$/.test(raw) ? Math.min(Number(raw), RECENT_MAX) : NaN;
  if (!(limit > 0)) throw badRequest(`limit: must be a number from 1 to ${RECENT_MAX}`);
  const builds = ctx.app.ports.builds;
  const recent = await builds.listRecentBuilds(limit);
  const items = await Promise.all(recent.map(async (b) => buildToApi(ctx.config.RESULTS_BASE_URL, b, await chrootsOf(ctx, b))));
  return { items, meta: { limit, offset: 0, order: 'id', order_type: 'DESC' } };
}

async function getSourceChroot(req: RouteRequest, ctx: AppContext) {
  const { build } = await loadWithChroots(ctx, req.params.id!);
  return { state: build.source_status, result_url: sourceResultUrl(ctx.config.RESULTS_BASE_URL, build) };
}

async function getSourceBuildConfig(req: RouteRequest, ctx: AppContext) {
  const { build } = await loadWithChroots(ctx, req.params.id!);
  return {
    source_type: build.source_type,
    source_dict: sourceDictToApi(build.source_dict),
    memory_limit: DEFAULT_MEMORY_LIMIT,
    timeout: build.timeout,
    is_background: build.is_background,
  };
}

async function getBuiltPackages(req: RouteRequest, ctx: AppContext) {
  const { chroots } = await loadWithChroots(ctx, req.params.id!);
  const out: Record<string, { packages: ReturnType<typeof nevraToApi>[] }> = {};
  for (const c of [...chroots].sort((a, b) => a.name.localeCompare(b.name))) {
    if (c.name !== SRPM_CHROOT) out[c.name] = { packages: c.packages.map(nevraToApi) };
  }
  return out;
}

async function cancelBuildRoute(req: AuthedRequest, ctx: AppContext) {
  const canceled = await ctx.app.builds.cancel(req.caller, parseBuildId(req.params.id!));
  return buildView(ctx, (await ctx.app.ports.builds.getBuild(canceled.id)) ?? canceled);
}

async function deleteBuildRoute(req: AuthedRequest, ctx: AppContext) {
  const { build, chroots } = await ctx.app.builds.delete(req.caller, parseBuildId(req.params.id!));
  return buildToApi(ctx.config.RESULTS_BASE_URL, build, chroots);
}

const DeleteListBody = z.object({
  builds: z.array(zIntLike.pipe(z.number().int().positive())).min(1, 'This field is required.').max(1000),
});

async function deleteBuildListRoute(req: AuthedRequest, ctx: AppContext) {
  const body = DeleteListBody.parse(jsonBody(req));
  return { builds: await ctx.app.builds.deleteMany(req.caller, body.builds) };
}

// ---- queue view for the dashboard ---------------------------------------------------------

/** Bounds the pending listing: an owner with thousands of queued tasks must not make it slow. */
const PENDING_PER_OWNER = 50;
const PENDING_TOTAL = 500;

function queueItem(t: Task) {
  return { build_id: t.build_id, task_id: t.task_id, chroot: t.chroot ?? SRPM_CHROOT, owner: t.owner, project: t.project, arch: t.arch };
}

/** Pending from the per-owner queue index, active from the active index: no Scan. */
async function statusQueue(_req: RouteRequest, ctx: AppContext) {
  const builds = ctx.app.ports.builds;
  const pending: Task[] = [];
  for (const o of await builds.listPendingOwners()) {
    if (pending.length >= PENDING_TOTAL) break;
    pending.push(...(await builds.listPendingTasks(o.owner, Math.min(PENDING_PER_OWNER, PENDING_TOTAL - pending.length))));
  }
  const active = await builds.listActiveTasks();
  return {
    pending: pending.map(queueItem),
    starting: active.filter((t) => t.state === 'starting').map(queueItem),
    running: active.filter((t) => t.state === 'running').map(queueItem),
  };
}

export const buildRoutes: Route[] = [
  // Fixed paths before `{id}`: the router takes the first match.
  { method: 'GET', path: '/api_3/build/list', handler: listBuilds },
  { method: 'GET', path: '/api_3/build/recent', handler: listRecentBuilds },
  { method: 'GET', path: '/api_3/build/source-chroot/{id}', handler: getSourceChroot },
  { method: 'GET', path: '/api_3/build/source-build-config/{id}', handler: getSourceBuildConfig },
  { method: 'GET', path: '/api_3/build/built-packages/{id}', handler: getBuiltPackages },
  { method: 'GET', path: '/api_3/build/{id}', handler: getBuild },
  { method: 'PUT', path: '/api_3/build/cancel/{id}', auth: true, handler: cancelBuildRoute },
  { method: 'DELETE', path: '/api_3/build/delete/list', auth: true, handler: deleteBuildListRoute },
  { method: 'DELETE', path: '/api_3/build/delete/{id}', auth: true, handler: deleteBuildRoute },
  { method: 'GET', path: '/api_3/status/queue', handler: statusQueue },
  ...buildCreateRoutes(),
  rpmUploadRoute(),
];
