import { loadProject, requireBuild } from './access.js';
import { checkDirname, selectChroots, type BuildDeps, type BuildOptions } from './builds.js';
import { badRequest } from './errors.js';
import { matchAny } from './fnmatch.js';
import type { Caller, Project } from './model.js';
import { usableChroots } from './usable-chroots.js';

/**
 * The one check of a build submission: everything `submitBuild` would refuse, checked
 * without writing anything. It backs `check-before-build` (copr-cli asks it before
 * uploading a file), lets a create endpoint reject bad input before it stores an
 * upload, and its result is what `submitChecked` takes: a submission cannot be
 * written without having passed here.
 */
declare const checkedBrand: unique symbol;

export interface CheckedSubmission {
  readonly [checkedBrand]: true;
  /** Null for webhook builds (the hook's secret was the credential). */
  caller: Caller | null;
  project: Project;
  options: BuildOptions;
  dirname: string;
  /** Project chroots whose mock chroot is active. */
  usable: string[];
  /** Chroots the build gets at once; null = decided after the SRPM stage. */
  chroots: string[] | null;
  timeout: number;
}

export async function checkSubmission(
  deps: Pick<BuildDeps, 'store' | 'builds' | 'settings'>,
  caller: Caller | null,
  ownername: string,
  projectname: string,
  options: BuildOptions,
  denylist: string[] = [],
): Promise<CheckedSubmission> {
  const project = await loadProject(deps.store, ownername, projectname);
  if (caller) await requireBuild(deps.store, caller, project);
  const dirname = checkDirname(project.name, options.project_dirname);
  const usable = await usableChroots(deps.store, project);
  if (usable.length === 0) throw badRequest('None: At least one chroot must be selected');
  let chroots = selectChroots(usable, options.chroots, options.exclude_chroots);
  if (chroots && denylist.length > 0) {
    const denied = new Set(matchAny(chroots, denylist));
    chroots = chroots.filter((c) => !denied.has(c));
  }
  const timeout = options.timeout ?? deps.settings.timeoutDefault;
  if (timeout < 0 || timeout > deps.settings.timeoutMax) {
    throw badRequest(`timeout: Number must be between 0 and ${deps.settings.timeoutMax}.`);
  }
  if (options.after_build_id !== undefined && options.with_build_id !== undefined) {
    throw badRequest('Only one batch option is allowed for a build');
  }
  const batchRef = options.after_build_id ?? options.with_build_id;
  if (batchRef !== undefined && !(await deps.builds.getBuild(batchRef))) throw badRequest(`Build ${batchRef} does not exist.`);
  return { caller, project, options, dirname, usable, chroots, timeout } as CheckedSubmission;
}
