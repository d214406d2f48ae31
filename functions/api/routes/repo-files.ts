import * as z from 'zod';
import { notFound } from '../../core/errors.js';
import type { Project } from '../../core/model.js';
import { parseChrootName } from '../../core/names.js';
import type { Store } from '../../core/ports.js';
import { MULTILIB_PAIRS, pickChroot, renderRepoFile, repoFileHeaders, repoFileNotFound, type RepoTarget, type RuntimeDependency } from '../../publish/repo-file.js';
import { renderRpmRepo } from '../../publish/rpmrepo.js';
import type { AppContext } from '../context.js';
import { queryValue } from '../input.js';
import { raw } from '../responses.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * What dnf users fetch (spec §4.10, §2.11): the `.repo` file of a project dir for
 * one `name_release` (dnf's copr plugin asks for `.../repo/<nr>/dnf.repo?arch=<a>`),
 * and the JSON the dnf5 copr plugin reads. We sign repomd.xml, so the `.repo` file
 * turns on `repo_gpgcheck` as well as `gpgcheck`.
 */

/** `?arch=`: a plain architecture name, anything else cannot name a chroot. */
const Arch = z.string().regex(/^\w{1,32}$/);

const projectOf = (dirname: string) => dirname.split(':')[0] ?? dirname;

function targetOf(ctx: AppContext, p: Project, dirname: string): RepoTarget {
  return {
    owner: p.ownername,
    dirname,
    repoUrl: `${ctx.config.RESULTS_BASE_URL}/${p.ownername}/${dirname}`,
    moduleHotfixes: p.module_hotfixes,
    repoPriority: p.repo_priority,
  };
}

/** Runtime dependencies, followed transitively through `copr://` like upstream. */
async function runtimeDependencies(ctx: AppContext, root: Project): Promise<RuntimeDependency[]> {
  const out: RuntimeDependency[] = [];
  const seen = new Set([`${root.ownername}/${root.name}`]);
  const queue = [...root.runtime_dependencies];
  while (queue.length > 0) {
    const url = queue.shift()!;
    const m = /^copr:\/\/([^/]+)\/([^/?#]+)\/?$/.exec(url);
    if (!m) {
      if (!out.some((d) => d.type === 'external' && d.url === url)) out.push({ type: 'external', url });
      continue;
    }
    const fullName = `${m[1]}/${m[2]}`;
    if (seen.has(fullName)) continue;
    seen.add(fullName);
    const dep = await ctx.store.getProject(m[1]!, m[2]!);
    if (!dep) {
      out.push({ type: 'missing', fullName });
      continue;
    }
    out.push({ type: 'copr', ...targetOf(ctx, dep, dep.name) });
    queue.push(...dep.runtime_dependencies);
  }
  return out;
}

async function enabledChroots(store: Store, p: Project) {
  return (await store.listProjectChroots(p.ownername, p.name)).sort((a, b) => a.mock_chroot.localeCompare(b.mock_chroot));
}

function plainNotFound(message: string) {
  return raw(404, `${message}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
}

async function repoFile(req: RouteRequest, ctx: AppContext, owner: string) {
  const dirname = req.params.dirname!;
  const nameRelease = req.params.name_release!;
  const project = await ctx.store.getProject(owner, projectOf(dirname));
  // No Copr-Error-Data: dnf's copr plugin then says the project does not exist.
  if (!project) return plainNotFound(`Project ${owner}/${dirname} does not exist.`);
  const chroots = (await enabledChroots(ctx.store, project)).map((c) => c.mock_chroot);
  const rawArch = queryValue(req, 'arch');
  const arch = rawArch === undefined || rawArch === '' ? undefined : rawArch;
  const picked = arch === undefined || Arch.safeParse(arch).success ? pickChroot(nameRelease, chroots, { arch }) : undefined;
  if (!picked) {
    const nf = repoFileNotFound(arch ? `${nameRelease}-${arch}` : nameRelease, `${owner}/${dirname}`, chroots);
    return raw(nf.status, nf.body, nf.headers);
  }
  const mlArch = MULTILIB_PAIRS[parseChrootName(picked).arch];
  const body = renderRepoFile({
    frontendHost: new URL(ctx.config.FRONTEND_URL).host,
    target: targetOf(ctx, project, dirname),
    chroot: picked,
    arch,
    multilib: project.multilib && mlArch !== undefined && chroots.includes(`${parseChrootName(picked).name_release}-${mlArch}`),
    dependencies: await runtimeDependencies(ctx, project),
    gpgcheck: 1,
    repoGpgcheck: 1,
  });
  return raw(200, body, repoFileHeaders(owner, dirname));
}

const daysLeft = (deleteAfterSec: number | null, nowMs: number) =>
  deleteAfterSec === null ? null : Math.max(0, Math.ceil((deleteAfterSec * 1000 - nowMs) / 86_400_000));

async function rpmRepo(req: RouteRequest, ctx: AppContext) {
  const owner = req.params.ownername!;
  const dirname = req.params.dirname!;
  const project = await ctx.store.getProject(owner, projectOf(dirname));
  if (!project) throw notFound(`Project ${owner}/${dirname} does not exist.`);
  const now = ctx.clock.now();
  const chroots = await enabledChroots(ctx.store, project);
  const dirs = new Set([project.name, dirname]);
  // Recorded when a build goes to another directory: no build is read.
  for (const d of await ctx.app.ports.builds.pages.projectDirs(project.ownername, project.name)) dirs.add(d);
  return renderRpmRepo({
    resultsUrl: ctx.config.RESULTS_BASE_URL,
    frontendHost: new URL(ctx.config.FRONTEND_URL).host,
    owner: project.ownername,
    project: project.name,
    multilib: project.multilib,
    moduleHotfixes: project.module_hotfixes,
    chroots: chroots.map((c) => ({ name: c.mock_chroot, deleteAfterDays: daysLeft(c.delete_after, now) })),
    directories: [...dirs].sort().map((name) => ({ name })),
    deleteAfterDays: daysLeft(project.delete_after, now),
    dependencies: await runtimeDependencies(ctx, project),
  });
}

const userRepo = (req: RouteRequest, ctx: AppContext) => repoFile(req, ctx, req.params.owner!);
const groupRepo = (req: RouteRequest, ctx: AppContext) => repoFile(req, ctx, `@${req.params.group!}`);

/** Group routes first: `/coprs/g/...` must not be read as owner `g`. */
export const repoFileRoutes: Route[] = [
  { method: 'GET', path: '/coprs/g/{group}/{dirname}/repo/{name_release}', handler: groupRepo },
  { method: 'GET', path: '/coprs/g/{group}/{dirname}/repo/{name_release}/{anything+}', handler: groupRepo },
  { method: 'GET', path: '/coprs/{owner}/{dirname}/repo/{name_release}', handler: userRepo },
  { method: 'GET', path: '/coprs/{owner}/{dirname}/repo/{name_release}/{anything+}', handler: userRepo },
  { method: 'GET', path: '/api_3/rpmrepo/{ownername}/{dirname}/{name_release}', handler: rpmRepo },
];
