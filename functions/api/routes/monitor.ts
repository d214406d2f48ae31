import { loadProject } from '../../core/access.js';
import { isFinished, STATUS, type Build, type BuildChroot } from '../../core/build-model.js';
import { checkDirname } from '../../core/builds.js';
import { badRequest, notFound } from '../../core/errors.js';
import { chrootResultUrl } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { queryValue, requiredQuery } from '../input.js';
import type { Route, RouteRequest } from '../router.js';

/**
 * `GET /monitor` (spec §2.8): per package and enabled chroot, the build chroot of
 * the newest build in one project directory. Not paginated, not an `items` list.
 */

const FIELDS = ['url_build_log', 'url_backend_log', 'url_build'] as const;
type Field = (typeof FIELDS)[number];

/** Live logs while running, the `.gz` once finished (spec §4.8); null without a result dir. */
function logUrl(base: string | null, state: BuildChroot['state'], file: 'builder-live.log' | 'backend.log'): string | null {
  if (!base) return null;
  const live = file === 'builder-live.log' ? ['running'] : ['starting', 'running'];
  if (live.includes(state)) return `${base}${file}`;
  if (isFinished(state) || state === 'importing') return `${base}${file}.gz`;
  return null;
}

/** Builds read from the index per step of the monitor's newest-first walk. */
const MONITOR_CHUNK = 200;

interface Entry {
  build: Build;
  chroot: BuildChroot;
}

async function monitor(req: RouteRequest, ctx: AppContext) {
  const owner = requiredQuery(req, 'ownername');
  const projectname = requiredQuery(req, 'projectname');
  const fields = [...(req.query.get('additional_fields[]') ?? []), ...(req.query.get('additional_fields') ?? [])];
  const wrong = fields.filter((f) => !(FIELDS as readonly string[]).includes(f));
  if (wrong.length > 0) throw badRequest(`Wrong additional_fields argument(s): ${wrong.join(', ')}`);
  const wanted = new Set(fields as Field[]);

  const project = await loadProject(ctx.store, owner, projectname);
  const dirname = checkDirname(project.name, queryValue(req, 'project_dirname'));
  const builds = ctx.app.ports.builds;
  const enabled = new Set((await ctx.store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot));
  const known = (await ctx.store.listPackages(project.ownername, project.name)).map((p) => p.name);

  // Newest first: the first build chroot seen per (package, chroot) is the one shown.
  // Builds come from the project-builds index a chunk at a time, and the walk stops
  // once every package shows every enabled chroot; chroots are read only for builds
  // whose package still misses one. (A package never built in some chroot still
  // walks the whole history: the index has no per-package order to stop on.)
  const perPackage = new Map<string, Map<string, Entry>>();
  const settled = (name: string) => (perPackage.get(name)?.size ?? 0) >= enabled.size;
  const listing = { ownername: project.ownername, projectname: project.name, packageName: null, descending: true };
  let seenInDir = false;
  for (let after: number | null = null; ; ) {
    const chunk = await builds.pages.page(listing, after, MONITOR_CHUNK);
    for (const build of chunk) {
      if (build.project_dirname !== dirname) continue;
      seenInDir = true;
      if (!build.package_name || settled(build.package_name)) continue;
      let chroots = perPackage.get(build.package_name);
      for (const c of await builds.listBuildChroots(build.id)) {
        if (!enabled.has(c.name)) continue;
        chroots ??= new Map();
        if (!chroots.has(c.name)) chroots.set(c.name, { build, chroot: c });
      }
      if (chroots) perPackage.set(build.package_name, chroots);
    }
    const last = chunk.at(-1);
    if (!last || chunk.length < MONITOR_CHUNK) break;
    if (known.every(settled) && (seenInDir || dirname === project.name)) break;
    after = last.id;
  }
  if (dirname !== project.name && !seenInDir) throw notFound(`Project directory ${project.ownername}/${dirname} does not exist.`);

  const packages = [...perPackage.keys()].sort().map((name) => {
    const chroots: Record<string, Record<string, unknown>> = {};
    for (const [chrootName, { build, chroot }] of [...perPackage.get(name)!].sort(([a], [b]) => a.localeCompare(b))) {
      const entry: Record<string, unknown> = {
        build_id: build.id,
        state: chroot.state,
        status: STATUS[chroot.state],
        pkg_version: build.pkg_version,
      };
      const base = chrootResultUrl(ctx.config.RESULTS_BASE_URL, build, chroot);
      if (wanted.has('url_build_log')) entry.url_build_log = logUrl(base, chroot.state, 'builder-live.log');
      if (wanted.has('url_backend_log')) entry.url_backend_log = logUrl(base, chroot.state, 'backend.log');
      chroots[chrootName] = entry;
    }
    return { name, chroots };
  });
  return { output: 'ok', message: 'Project monitor request successful', packages };
}

export const monitorRoutes: Route[] = [{ method: 'GET', path: '/api_3/monitor', handler: monitor }];
