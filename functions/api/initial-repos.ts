import { publishProjectRepos as publishWith } from '../core/initial-repos.js';
import type { Project } from '../core/model.js';
import type { AppContext } from './context.js';

/** core/initial-repos.ts through the build system's publish port, when one is wired. */
export async function publishProjectRepos(ctx: AppContext, project: Pick<Project, 'ownername' | 'name'>, chroots: readonly string[]): Promise<void> {
  const publish = ctx.services.buildSystem?.publish;
  if (!publish) return; // no build system wired (API-only tests): nothing publishes anything
  await publishWith(publish, project, chroots);
}
