import type { ActionDeps, ForkItem } from './action-ports.js';
import { isPublished, resultDirName, type Build, type BuildChroot } from './build-model.js';
import { withChroots, type BuildWithChroots } from './cleanup.js';
import type { Project } from './model.js';
import { rpmResultPrefix, srpmResultPrefix } from './results-store.js';

/**
 * The builds part of a fork (spec §2.2, §4.11 fork): the source's latest successful
 * build per package and chroot is copied into the destination, rows (build chroot
 * state `forked`) and result dirs both. The plan (which source builds, which new
 * ids) is made once and stored with the action, so a retried attempt copies the same
 * things under the same ids: every step below is idempotent.
 */

/** Builds of the project's main directory (`proj`, not `proj:pr:1`) with their chroots. */
async function mainDirBuilds(deps: Pick<ActionDeps, 'builds'>, p: Project): Promise<BuildWithChroots[]> {
  const builds = (await deps.builds.listProjectBuilds(p.ownername, p.name)).filter(
    (b) => b.project_dirname === p.name && b.package_name !== null && !b.canceled,
  );
  return withChroots(deps, builds);
}

/**
 * Decides what to copy and allocates the destination build ids. Like Copr, forking
 * again into an existing fork (`--confirm`) copies the source's latest builds again,
 * as new builds, even where the destination already has builds of those packages.
 */
export async function planFork(deps: Pick<ActionDeps, 'builds' | 'store'>, src: Project, dst: Project): Promise<ForkItem[]> {
  const dstChroots = new Set((await deps.store.listProjectChroots(dst.ownername, dst.name)).map((c) => c.mock_chroot));
  // Latest successful build per (package, chroot): highest build id wins.
  const latest = new Map<string, { build: Build; chroot: BuildChroot }>();
  for (const { build, chroots } of await mainDirBuilds(deps, src)) {
    for (const c of chroots) {
      if (!isPublished(c) || !c.result_dir || !dstChroots.has(c.name)) continue;
      const key = `${build.package_name}\n${c.name}`;
      const seen = latest.get(key);
      if (!seen || seen.build.id < build.id) latest.set(key, { build, chroot: c });
    }
  }
  // One destination build per source build, with the chroots it is the latest in.
  const bySource = new Map<number, { build: Build; chroots: BuildChroot[] }>();
  for (const { build, chroot } of latest.values()) {
    const e = bySource.get(build.id) ?? { build, chroots: [] };
    e.chroots.push(chroot);
    bySource.set(build.id, e);
  }
  const plan: ForkItem[] = [];
  for (const { build, chroots } of [...bySource.values()].sort((a, b) => a.build.id - b.build.id)) {
    const id = await deps.store.nextId('build');
    plan.push({
      source_build_id: build.id,
      build_id: id,
      package_name: build.package_name!,
      chroots: chroots
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((c) => ({ name: c.name, source_result_dir: c.result_dir!, result_dir: resultDirName(id, build.package_name) })),
    });
  }
  return plan;
}

/** Copies every file under `from/` to `to/` (overwriting: a retry rewrites the same bytes). */
async function copyPrefix(deps: Pick<ActionDeps, 'results'>, from: string, to: string): Promise<number> {
  let n = 0;
  for (const key of await deps.results.list(`${from}/`)) {
    const rel = key.slice(from.length + 1);
    // Hidden files are the publisher's temp files; listings are rewritten by the publisher.
    if (rel.split('/').some((s) => s.startsWith('.')) || rel.split('/').pop() === 'index.html') continue;
    const data = await deps.results.get(key);
    if (data) {
      await deps.results.put(`${to}/${rel}`, data);
      n++;
    }
  }
  return n;
}

/** Copies one planned build: results first, then the rows (so a visible fork has its files). */
export async function copyForkedBuild(deps: ActionDeps, src: Pick<Project, 'ownername' | 'name'>, dst: Project, item: ForkItem): Promise<void> {
  const source = await deps.builds.getBuild(item.source_build_id);
  if (!source) return; // deleted meanwhile: nothing left to copy
  const srcChroots = new Map((await deps.builds.listBuildChroots(source.id)).map((c) => [c.name, c]));
  const srcSrpm = srpmResultPrefix(src.ownername, src.name, source.id);
  const dstSrpm = srpmResultPrefix(dst.ownername, dst.name, item.build_id);
  await copyPrefix(deps, srcSrpm, dstSrpm);
  for (const c of item.chroots) {
    await copyPrefix(deps, rpmResultPrefix(src.ownername, src.name, c.name, c.source_result_dir), rpmResultPrefix(dst.ownername, dst.name, c.name, c.result_dir));
  }
  if (await deps.builds.getBuild(item.build_id)) return; // an earlier attempt wrote the rows
  const srpmName = source.srpm_url?.split('/').pop();
  const build: Build = {
    ...source,
    id: item.build_id,
    ownername: dst.ownername,
    projectname: dst.name,
    project_dirname: dst.name,
    srpm_url: srpmName ? `${deps.resultsBaseUrl}/${dstSrpm}/${srpmName}` : null,
    source_status: 'forked',
    after_build_id: null,
  };
  const chroots: BuildChroot[] = item.chroots.map((c) => {
    const orig = srcChroots.get(c.name);
    return {
      build_id: item.build_id,
      name: c.name,
      state: 'forked',
      started_on: orig?.started_on ?? null,
      ended_on: orig?.ended_on ?? null,
      result_dir: c.result_dir,
      fail_reason: null,
      packages: orig?.packages ?? [],
    };
  });
  try {
    await deps.builds.createBuild(build, chroots, [], null);
  } catch (err) {
    // A concurrent attempt created it between the check and the write: same rows.
    if (!(await deps.builds.getBuild(item.build_id))) throw err;
  }
}

/** The publish requests that make the copied builds part of the destination's repositories. */
export function forkPublishes(plan: readonly ForkItem[]): Array<{ chroot: string; adds: string[] }> {
  const byChroot = new Map<string, string[]>();
  for (const item of plan) for (const c of item.chroots) byChroot.set(c.name, [...(byChroot.get(c.name) ?? []), c.result_dir]);
  return [...byChroot].sort(([a], [b]) => a.localeCompare(b)).map(([chroot, adds]) => ({ chroot, adds }));
}
