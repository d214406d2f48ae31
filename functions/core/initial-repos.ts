import type { Project } from './model.js';

/** The publish port's request, as far as this module uses it. */
type Publish = (req: { owner: string; dirname: string; chroot: string; adds: string[]; full?: boolean; devel: boolean }) => Promise<void>;

/**
 * Copr creates the repository of each chroot, empty and signed (repodata, repomd.xml.asc
 * and the project's pubkey.gpg), when the project or the chroot is created, so
 * `dnf copr enable` followed by an install works before the first build. Here that is
 * one `full` publish request per chroot through the publish port: the in-process
 * publisher locally, the publish queue and the Fargate publisher on AWS. Also used when
 * `disable_createrepo` (devel_mode) is switched back off: the main repository then
 * takes in every build made meanwhile. While devel mode is on, the main repository is
 * created empty instead (no scan): builds of the project may already sit in the chroot
 * dir, and it must not list them before devel mode is left.
 */
export async function publishProjectRepos(publish: Publish, project: Pick<Project, 'ownername' | 'name' | 'devel_mode'>, chroots: readonly string[]): Promise<void> {
  for (const chroot of [...new Set(chroots)].sort()) {
    await publish({ owner: project.ownername, dirname: project.name, chroot, adds: [], full: !project.devel_mode, devel: false });
  }
}

/** Which chroots an edit must publish: every one when devel mode was left, else the added ones. */
export function chrootsToPublishAfterEdit(before: { devel_mode: boolean; chroots: readonly string[] }, after: { devel_mode: boolean; chroots: readonly string[] }): string[] {
  if (before.devel_mode && !after.devel_mode) return [...after.chroots];
  const had = new Set(before.chroots);
  return after.chroots.filter((c) => !had.has(c));
}
