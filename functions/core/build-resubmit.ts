import { checkSubmission } from './build-check.js';
import type { Build } from './build-model.js';
import { loadBuild, submitChecked, type BuildDeps, type BuildOptions } from './builds.js';
import { badRequest } from './errors.js';
import type { Caller } from './model.js';
import { loadPackage } from './packages.js';

/**
 * Builds made from something that exists: a package's stored source (`package/build`)
 * and an earlier build (`build/resubmit`). Each goes through the one submission
 * check (functions/core/build-check.ts) before it is written.
 */

/**
 * Rebuild from the package's stored source. Chroots are fixed at once from the
 * package (its denylist applied), and the package's timeout is the default.
 */
export async function rebuildPackage(deps: BuildDeps, caller: Caller, owner: string, project: string, packageName: string, options: BuildOptions): Promise<Build> {
  const pre = await checkSubmission(deps, caller, owner, project, options);
  const pkg = await loadPackage(deps.store, pre.project, packageName);
  if (pkg.source_type === 'unset') {
    throw badRequest(`Package ${pkg.name} doesn't have the default source method set`);
  }
  const withPackage: BuildOptions = { ...options, timeout: options.timeout ?? pkg.timeout ?? undefined, chroots: pre.chroots ?? pre.usable };
  if (withPackage.timeout === undefined) delete withPackage.timeout;
  const checked = await checkSubmission(deps, caller, owner, project, withPackage, pkg.chroot_denylist);
  if (!checked.chroots || checked.chroots.length === 0) throw badRequest('None: No chroot left after applying the package chroot denylist');
  return submitChecked(deps, checked, { source_type: pkg.source_type, source_dict: pkg.source_dict, package_name: pkg.name });
}

/** A new build from the same source and options; `overrides` win (dashboard, copr-cli resubmit). */
export async function resubmitBuild(deps: BuildDeps, caller: Caller, id: number, overrides: BuildOptions): Promise<Build> {
  const old = await loadBuild(deps.builds, id);
  // Its file went into the result dirs, not into a source: nothing to build again.
  if (old.source_type === 'rpm_upload') throw badRequest(`Build ${id} is an uploaded RPM; upload the package again to publish it anew`);
  const oldChroots = (await deps.builds.listBuildChroots(id)).map((c) => c.name);
  const options: BuildOptions = {
    project_dirname: old.project_dirname,
    chroots: old.chroots_requested ?? (oldChroots.length > 0 ? oldChroots : undefined),
    exclude_chroots: old.exclude_chroots.length > 0 ? old.exclude_chroots : undefined,
    timeout: old.timeout,
    background: old.is_background,
    enable_net: old.enable_net,
    bootstrap: old.bootstrap ?? undefined,
    isolation: old.isolation ?? undefined,
    ...overrides,
  };
  for (const k of Object.keys(options) as (keyof BuildOptions)[]) if (options[k] === undefined) delete options[k];
  const checked = await checkSubmission(deps, caller, old.ownername, old.projectname, options);
  return submitChecked(deps, checked, { source_type: old.source_type, source_dict: old.source_dict, package_name: old.package_name ?? undefined });
}
