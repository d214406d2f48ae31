import * as z from 'zod';
import { loadProject } from '../../core/access.js';
import { CoprError, badRequest } from '../../core/errors.js';
import type { Package } from '../../core/model.js';
import {
  addPackage,
  deletePackage,
  editPackage,
  loadPackage,
  MAX_UNPAGINATED_PACKAGES,
  resetPackage,
  type PackageInput,
} from '../../core/packages.js';
import type { BuildWithChroots } from '../../core/build-views.js';
import { buildToApi } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { jsonBody, queryBool, requiredQuery, zBool, zIntLike } from '../input.js';
import { indexedPage, pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';
import { packageToApi } from '../serialize.js';

/** Package-level fields of add/edit; source fields are checked by core/sources.ts. */
const SettingsBody = z.object({
  package_name: z.string().max(200).optional(),
  webhook_rebuild: zBool.optional(),
  max_builds: zIntLike.pipe(z.number().int().min(0).max(100)).optional(),
  timeout: zIntLike.pipe(z.number().int().min(0).max(108_000)).optional(),
  chroot_denylist: z
    .union([z.string().max(4096), z.array(z.string().max(100)).max(100).transform((l) => l.join(','))])
    .optional(),
});

const PackageRef = z.object({
  ownername: z.string().min(1).max(200),
  projectname: z.string().min(1).max(200),
  package_name: z.string().min(1).max(200),
});

interface BuildFlags {
  latest: boolean;
  succeeded: boolean;
}

const NO_BUILDS = { latest: null, latest_succeeded: null };

/** Every Package carries `builds`; filled only when asked for and a builds view exists. */
export async function packageView(ctx: AppContext, p: Package, flags: BuildFlags = { latest: false, succeeded: false }) {
  if (!(flags.latest || flags.succeeded)) return packageToApi(p, { ...NO_BUILDS });
  const got = await ctx.app.builds.latestOfPackage(p.ownername, p.projectname, p.name);
  const toApi = (x: BuildWithChroots | null) => (x ? buildToApi(ctx.config.RESULTS_BASE_URL, x.build, x.chroots) : null);
  return packageToApi(p, {
    latest: flags.latest ? toApi(got.latest) : null,
    latest_succeeded: flags.succeeded ? toApi(got.latest_succeeded) : null,
  });
}

function buildFlags(req: RouteRequest): BuildFlags {
  return { latest: queryBool(req, 'with_latest_build'), succeeded: queryBool(req, 'with_latest_succeeded_build') };
}

const packageOrder: Orderable<Package> = {
  id: (p) => p.id,
  name: (p) => p.name,
};

async function getPackageRoute(req: RouteRequest, ctx: AppContext) {
  const project = await loadProject(ctx.store, requiredQuery(req, 'ownername'), requiredQuery(req, 'projectname'));
  const pkg = await loadPackage(ctx.store, project, requiredQuery(req, 'packagename'));
  return packageView(ctx, pkg, buildFlags(req));
}

/**
 * With `limit` in id or name order (copr-cli sends limit=1000 in id order) a page is
 * read by keyset cursors (core/keyset-pages.ts): its reads do not grow with the
 * offset or the number of packages. Without `limit` the whole list is the answer
 * (refused above MAX_UNPAGINATED_PACKAGES, as upstream).
 */
async function listPackagesRoute(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const project = await loadProject(ctx.store, requiredQuery(req, 'ownername'), requiredQuery(req, 'projectname'));
  const flags = buildFlags(req);
  if (page.limit !== null && (page.order === 'id' || page.order === 'name')) {
    const listing = ctx.store.packagePages(project, page.order, page.order_type === 'DESC');
    const items = await indexedPage(ctx.store.pageCursors, listing, page);
    return pageResult(await Promise.all(items.map((p) => packageView(ctx, p, flags))), page);
  }
  const all = await ctx.store.listPackages(project.ownername, project.name);
  if (page.limit === null && all.length > MAX_UNPAGINATED_PACKAGES) {
    throw new CoprError(
      'payload-too-large',
      `Too many packages (more than ${MAX_UNPAGINATED_PACKAGES}) to list at once, use pagination (limit/offset)`,
    );
  }
  const items = paginate(all, page, packageOrder, 'Package');
  return pageResult(await Promise.all(items.map((p) => packageView(ctx, p, flags))), page);
}

/** Splits an add/edit body into package settings and the raw source fields. */
function packageInput(req: RouteRequest): PackageInput {
  const body = jsonBody(req);
  const s = SettingsBody.parse(body);
  if (s.package_name !== undefined && s.package_name !== req.params.package_name) {
    throw badRequest(`package_name: '${s.package_name}' does not match the package in the URL`);
  }
  return {
    sourceType: req.params.source_type,
    source: body,
    settings: {
      auto_rebuild: s.webhook_rebuild,
      max_builds: s.max_builds,
      timeout: s.timeout,
      chroot_denylist: s.chroot_denylist,
    },
  };
}

async function addPackageRoute(req: AuthedRequest, ctx: AppContext) {
  const p = req.params;
  const pkg = await addPackage(ctx.store, req.caller, p.ownername!, p.projectname!, p.package_name!, packageInput(req), {
    distgitInstances: ctx.config.DISTGIT_INSTANCES,
  });
  return packageView(ctx, pkg);
}

async function editPackageRoute(req: AuthedRequest, ctx: AppContext) {
  const p = req.params;
  const pkg = await editPackage(ctx.store, req.caller, p.ownername!, p.projectname!, p.package_name!, packageInput(req), {
    distgitInstances: ctx.config.DISTGIT_INSTANCES,
  });
  return packageView(ctx, pkg);
}

async function resetPackageRoute(req: AuthedRequest, ctx: AppContext) {
  const ref = PackageRef.parse(jsonBody(req));
  const pkg = await resetPackage(ctx.store, req.caller, ref.ownername, ref.projectname, ref.package_name);
  return packageView(ctx, pkg);
}

async function deletePackageRoute(req: AuthedRequest, ctx: AppContext) {
  const ref = PackageRef.parse(jsonBody(req));
  const pkg = await deletePackage(ctx.store, req.caller, ref.ownername, ref.projectname, ref.package_name);
  return packageView(ctx, pkg);
}

const EDIT = '/api_3/package/edit/{ownername}/{projectname}/{package_name}';

export const packageRoutes: Route[] = [
  { method: 'GET', path: '/api_3/package', handler: getPackageRoute },
  { method: 'GET', path: '/api_3/package/list', handler: listPackagesRoute },
  {
    method: 'POST',
    path: '/api_3/package/add/{ownername}/{projectname}/{package_name}/{source_type}',
    auth: true,
    handler: addPackageRoute,
  },
  { method: 'POST', path: `${EDIT}/{source_type}`, auth: true, handler: editPackageRoute },
  { method: 'POST', path: EDIT, auth: true, handler: editPackageRoute },
  { method: 'PUT', path: '/api_3/package/reset', auth: true, handler: resetPackageRoute },
  { method: 'DELETE', path: '/api_3/package/delete', auth: true, handler: deletePackageRoute },
];
