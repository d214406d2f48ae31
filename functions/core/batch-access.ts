import { canBuild } from './access.js';
import type { BuildStore } from './build-ports.js';
import { badRequest } from './errors.js';
import type { Caller } from './model.js';
import type { Store } from './ports.js';

/**
 * Who may put a new build into an existing build's batch (`with_build_id`), as
 * Copr decides it: only someone who may build in the project that batch belongs
 * to. Depending on a batch (`after_build_id`) stays open to everyone, as upstream.
 */
export async function assertMayJoinBatch(deps: { store: Store; builds: BuildStore }, caller: Caller, buildId: number): Promise<void> {
  const sibling = await deps.builds.getBuild(buildId);
  if (!sibling) throw badRequest(`Build ${buildId} does not exist.`);
  const project = await deps.store.getProject(sibling.ownername, sibling.projectname);
  if (!project || !(await canBuild(deps.store, caller.user, project))) {
    throw badRequest(
      `The batch of build ${buildId} belongs to project ${sibling.ownername}/${sibling.projectname}. ` +
        `You are not allowed to build there, so you neither can edit the batch.`,
    );
  }
}
