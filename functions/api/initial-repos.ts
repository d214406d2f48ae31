import type { Project } from '../core/model.js';
import type { AppContext } from './context.js';

/**
 * Copr creates the repository of each chroot, empty and signed (repodata, repomd.xml.asc
 * and the project's pubkey.gpg), when the project or the chroot is created, so
 * `dnf copr enable` followed by an install works before the first build. Here that is
 * one `full` publish request per chroot through the build system's publish port: the
 * in-process publisher locally, the publish queue and the Fargate publisher on AWS.
 * Also used when `disable_createrepo` (devel_mode) is switched back off: the main
 * repository then takes in every build made meanwhile, as Copr's createrepo does.
 */
export async function publishProjectRepos(ctx: AppContext, project: Pick<Project, 'ownername' | 'name'>, chroots: readonly string[]): Promise<void> {
  const publish = ctx.services.buildSystem?.publish;
  if (!publish) return; // no build system wired (API-only tests): nothing publishes anything
  for (const chroot of [...chroots].sort()) {
    await publish({ owner: project.ownername, dirname: project.name, chroot, adds: [], full: true, devel: false });
  }
}
