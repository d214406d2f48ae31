import { Router, type Route } from '../router.js';
import { generalRoutes } from './general.js';
import { mockChrootRoutes } from './mock-chroots.js';
import { projectRoutes } from './project.js';

/** Every API route, in one table; extra routes (builds, repos, backend) are added by their owners. */
export function buildRouter(extra: Route[] = []): Router {
  return new Router().add(...generalRoutes, ...projectRoutes, ...mockChrootRoutes, ...extra);
}
