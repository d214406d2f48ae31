import { loadProject } from './access.js';
import { badRequest } from './errors.js';
import type { Caller, Project, ProjectChroot } from './model.js';
import { assertProjectName } from './names.js';
import { AlreadyExists, type Clock, type Store } from './ports.js';
import { checkOwner } from './projects.js';
import { activeChrootNames } from './usable-chroots.js';

/**
 * Fork (spec §2.2): a new project with the source's settings, its active chroots
 * (with their options and comps) and its packages. Builds and results are copied by
 * a separate service (the route calls it); this module never pretends it did.
 * Forking into an existing project needs `confirm` and then only adds the packages
 * the destination lacks; its settings and chroots stay as they are.
 */

export interface ForkTarget {
  ownername: string;
  name: string;
  confirm: boolean;
}

export interface ForkResult {
  source: Project;
  project: Project;
  /** False when forked into an existing project. */
  created: boolean;
}

/** Settings a fork does not inherit (upstream resets these). */
function forkedProject(src: Project, target: ForkTarget, id: number, nowMs: number): Project {
  const nowSec = Math.floor(nowMs / 1000);
  return {
    ...src,
    id,
    ownername: target.ownername,
    name: target.name,
    persistent: false,
    auto_prune: true,
    contact: null,
    webhook_secret: null,
    // A temporary source makes a temporary fork, counted from now.
    delete_after: src.delete_after_days === null ? null : nowSec + src.delete_after_days * 86_400,
    created_on: nowSec,
  };
}

async function forkedChroots(store: Store, src: Project, dst: Project): Promise<ProjectChroot[]> {
  const active = await activeChrootNames(store);
  const chroots = await store.listProjectChroots(src.ownername, src.name);
  return chroots
    .filter((c) => active.has(c.mock_chroot))
    .map((c) => ({ ...c, ownername: dst.ownername, projectname: dst.name, delete_after: null, delete_after_days: null }));
}

function existsError(owner: string, name: string) {
  return badRequest(
    `You are about to fork into existing project: ${owner}/${name}\nPlease use --confirm if you really want to do this`,
  );
}

async function copyComps(store: Store, src: Project, dst: Project, chroots: ProjectChroot[]): Promise<void> {
  for (const c of chroots) {
    if (c.comps_name === null) continue;
    const comps = await store.getComps(src.ownername, src.name, c.mock_chroot);
    if (comps) await store.putComps(dst.ownername, dst.name, c.mock_chroot, comps);
  }
}

/** Copies the packages the destination does not have yet; returns how many were added. */
async function copyPackages(store: Store, src: Project, dst: Project): Promise<number> {
  const have = new Set((await store.listPackages(dst.ownername, dst.name)).map((p) => p.name));
  let added = 0;
  for (const pkg of await store.listPackages(src.ownername, src.name)) {
    if (have.has(pkg.name)) continue;
    try {
      await store.createPackage({ ...pkg, id: await store.nextId('package'), ownername: dst.ownername, projectname: dst.name });
      added++;
    } catch (err) {
      if (!(err instanceof AlreadyExists)) throw err; // a concurrent fork added it: fine
    }
  }
  return added;
}

export async function forkProject(
  store: Store,
  clock: Clock,
  caller: Caller,
  srcOwner: string,
  srcName: string,
  target: ForkTarget,
): Promise<ForkResult> {
  const source = await loadProject(store, srcOwner, srcName);
  assertProjectName(target.name);
  await checkOwner(store, caller, target.ownername);
  if (target.ownername === source.ownername && target.name === source.name) {
    throw badRequest('A project cannot be forked into itself');
  }

  const existing = await store.getProject(target.ownername, target.name);
  if (existing) {
    if (!target.confirm) throw existsError(target.ownername, target.name);
    await copyPackages(store, source, existing);
    return { source, project: existing, created: false };
  }

  const project = forkedProject(source, target, await store.nextId('project'), clock.now());
  const chroots = await forkedChroots(store, source, project);
  try {
    await store.createProject(project, chroots);
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    // Lost a race with a concurrent create: same rules as an existing destination.
    if (!target.confirm) throw existsError(target.ownername, target.name);
    const raced = await loadProject(store, target.ownername, target.name);
    await copyPackages(store, source, raced);
    return { source, project: raced, created: false };
  }
  await copyComps(store, source, project, chroots);
  await copyPackages(store, source, project);
  return { source, project, created: true };
}
