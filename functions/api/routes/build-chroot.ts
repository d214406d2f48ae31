import { loadProject } from '../../core/access.js';
import { projectChrootBuildConfig } from '../../core/build-config.js';
import { newProjectChroot } from '../../core/projects.js';
import { summaryChroots, type Build, type BuildChroot } from '../../core/build-model.js';
import { loadBuild } from '../../core/builds.js';
import { badRequest, notFound } from '../../core/errors.js';
import type { ProjectChroot } from '../../core/model.js';
import { loadCoprTargets } from '../../core/project-chroots.js';
import { buildChrootToApi, DEFAULT_MEMORY_LIMIT, nevraToApi } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { queryValue } from '../input.js';
import { pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
import type { Route, RouteRequest } from '../router.js';
import { parseBuildId } from './build-create.js';

/**
 * Build-chroot endpoints (spec §2.5), with the legacy path forms upstream still
 * routes (`/build-chroot/{build_id}/{chroot}` and friends): the path wins over the
 * query, which the client repeats anyway.
 */

function arg(req: RouteRequest, param: string, query: string): string {
  const v = req.params[param] ?? queryValue(req, query);
  if (v === undefined || v === '') throw badRequest(`Missing argument ${query}`);
  return v;
}

async function loadBuildOf(req: RouteRequest, ctx: AppContext): Promise<Build> {
  return loadBuild(ctx.app.ports.builds, parseBuildId(arg(req, 'build_id', 'build_id')));
}

async function loadBuildChroot(req: RouteRequest, ctx: AppContext): Promise<{ build: Build; chroot: BuildChroot }> {
  const build = await loadBuildOf(req, ctx);
  const name = arg(req, 'chroot', 'chrootname');
  const chroot = await ctx.app.ports.builds.getBuildChroot(build.id, name);
  if (!chroot) throw notFound(`Build ${build.id} was not submitted to ${name} chroot.`);
  return { build, chroot };
}

async function getBuildChroot(req: RouteRequest, ctx: AppContext) {
  const { build, chroot } = await loadBuildChroot(req, ctx);
  return buildChrootToApi(ctx.config.RESULTS_BASE_URL, build, chroot);
}

/** Build chroots have no id column; every accepted order sorts by name (upstream ignores `order=name`). */
const chrootOrder: Orderable<Pick<BuildChroot, 'name'>> = { id: (c) => c.name, name: (c) => c.name };

/**
 * The build item names its chroots (its summary, build-model.ts), so the page's names
 * are known before any chroot is read: the page is one Query of the chroots from its
 * first name to its last, whatever the offset. A build stored before summaries
 * existed is read whole and sliced.
 */
async function listBuildChroots(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const build = await loadBuildOf(req, ctx);
  const named = summaryChroots(build);
  let items: BuildChroot[];
  if (named && chrootOrder[page.order]) {
    const names = paginate(named, page, chrootOrder, 'BuildChroot').map((c) => c.name);
    const first = names[0];
    const last = names.at(-1);
    if (first === undefined || last === undefined) items = [];
    else {
      const ascending = first <= last;
      const got = await ctx.app.ports.builds.listBuildChroots(build.id, ascending ? { first, last } : { first: last, last: first });
      const byName = new Map(got.map((c) => [c.name, c]));
      items = names.flatMap((n) => byName.get(n) ?? []);
    }
  } else {
    items = paginate(await ctx.app.ports.builds.listBuildChroots(build.id), page, chrootOrder, 'BuildChroot');
  }
  return pageResult(
    items.map((c) => buildChrootToApi(ctx.config.RESULTS_BASE_URL, build, c)),
    page,
  );
}

/** A project chroot removed after the build: its build config falls back to the project's. */
function emptyProjectChroot(build: Build, name: string): ProjectChroot {
  return newProjectChroot(build.ownername, build.projectname, name);
}

/** BuildChrootConfig: what mock got for this build; null keys are left out (spec §2.5). */
async function getBuildChrootConfig(req: RouteRequest, ctx: AppContext) {
  const { build, chroot } = await loadBuildChroot(req, ctx);
  const project = await loadProject(ctx.store, build.ownername, build.projectname);
  const pc = (await ctx.store.getProjectChroot(project.ownername, project.name, chroot.name)) ?? emptyProjectChroot(build, chroot.name);
  const coprTargets = await loadCoprTargets(ctx.store, [...project.additional_repos, ...pc.additional_repos]);
  const cfg = projectChrootBuildConfig({
    resultsBaseUrl: ctx.config.RESULTS_BASE_URL,
    project,
    chroot: pc,
    dirname: build.project_dirname,
    coprTargets,
  });
  const out: Record<string, unknown> = {
    repos: cfg.repos.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null))),
    additional_repos: cfg.additional_repos,
    additional_packages: cfg.additional_packages,
    with_opts: cfg.with_opts,
    without_opts: cfg.without_opts,
    memory_limit: DEFAULT_MEMORY_LIMIT,
    timeout: build.timeout,
    enable_net: build.enable_net,
    is_background: build.is_background,
  };
  // Bootstrap only when it differs from the default: the build's choice, else the chroot's.
  const bootstrap = build.bootstrap ?? pc.bootstrap;
  if (bootstrap && bootstrap !== 'default' && bootstrap !== 'unchanged') {
    out.bootstrap = bootstrap;
    if ((bootstrap === 'image' || bootstrap === 'custom_image') && pc.bootstrap_image) out.bootstrap_image = pc.bootstrap_image;
  }
  return out;
}

async function getBuiltPackages(req: RouteRequest, ctx: AppContext) {
  const { chroot } = await loadBuildChroot(req, ctx);
  return { packages: chroot.packages.map(nevraToApi) };
}

const BASE = '/api_3/build-chroot';

export const buildChrootRoutes: Route[] = [
  { method: 'GET', path: BASE, handler: getBuildChroot },
  { method: 'GET', path: `${BASE}/list`, handler: listBuildChroots },
  { method: 'GET', path: `${BASE}/list/{build_id}`, handler: listBuildChroots },
  { method: 'GET', path: `${BASE}/build-config`, handler: getBuildChrootConfig },
  { method: 'GET', path: `${BASE}/build-config/{build_id}/{chroot}`, handler: getBuildChrootConfig },
  { method: 'GET', path: `${BASE}/built-packages`, handler: getBuiltPackages },
  // Legacy form last: its first segment would otherwise swallow `list/<id>`.
  { method: 'GET', path: `${BASE}/{build_id}/{chroot}`, handler: getBuildChroot },
];
