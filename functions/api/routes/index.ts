import { Router, type Route } from '../router.js';
import { actionRoutes } from './actions.js';
import { backendTaskRoutes } from './backend-tasks.js';
import { buildRoutes } from './build.js';
import { buildChrootRoutes } from './build-chroot.js';
import { builderRoutes } from './builder.js';
import { builderWarmRoutes } from './builder-warm.js';
import { generalRoutes } from './general.js';
import { mockChrootRoutes } from './mock-chroots.js';
import { monitorRoutes } from './monitor.js';
import { packageRoutes } from './package.js';
import { permissionRoutes } from './permissions.js';
import { projectChrootRoutes } from './project-chroot.js';
import { projectRoutes } from './project.js';
import { webhookRoutes } from './webhooks.js';
import { repoFileRoutes } from './repo-files.js';
import { rssRoutes } from './rss.js';
import { webPageRoutes } from './web-pages.js';

/** Every API route, in one table; extra routes (builds, repos, backend) are added by their owners. */
export function buildRouter(extra: Route[] = []): Router {
  return new Router().add(...generalRoutes, ...projectRoutes, ...mockChrootRoutes, ...packageRoutes, ...projectChrootRoutes, ...permissionRoutes, ...buildRoutes, ...buildChrootRoutes, ...monitorRoutes, ...builderRoutes, ...builderWarmRoutes, ...webhookRoutes, ...repoFileRoutes, ...actionRoutes, ...backendTaskRoutes, ...webPageRoutes, ...rssRoutes, ...extra);
}
