import type { Config } from '../config.js';
import type { Action } from '../core/action-ports.js';
import { CoprError } from '../core/errors.js';
import type { Project } from '../core/model.js';
import type { Clock, Store } from '../core/ports.js';
import type { EventSink } from '../core/events.js';
import type { LifecycleDeps } from '../core/task-lifecycle.js';
import type { Authenticator } from './auth.js';

/**
 * Everything a route handler may use, built once per process (Lambda cold start or
 * `npm start`). Effects beyond the store (queues, results, fleet) are services that
 * the composition root provides; a route whose service is missing says so (500),
 * it never pretends to have done the work.
 */
export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  auth: Authenticator;
  services: Partial<Services>;
}

/** Repository publishing (createrepo, signing). */
export interface RepoService {
  /** Queues a full createrepo of every chroot of the project. */
  regenerate(project: Project): Promise<void>;
}

/** Read side of builds that other resources embed (package `builds`, monitor). */
export interface BuildsView {
  /** `{latest, latest_succeeded}` Build objects (or null) of one package. */
  latestForPackage(owner: string, project: string, packageName: string): Promise<{ latest: unknown; latest_succeeded: unknown }>;
}

export interface Services {
  /** Notifications (project changes); builds publish theirs through buildSystem.events. */
  events: EventSink;
  /** Builds, tasks, results and publishing wired together (functions/core/task-lifecycle.ts). */
  buildSystem: LifecycleDeps;
  repos: RepoService;
  builds: BuildsView;
  forks: ForkService;
  actions: ActionService;
}

/** Queued project actions (functions/core/actions.ts): visible state, retried by a runner. */
export interface ActionService {
  /** Queues the removal of a deleted project's builds and results. */
  deleteProject(project: Project): Promise<void>;
  /** Queues the removal of a chroot's repositories after it was dropped from the project. */
  removeChroot(project: Project, chroot: string): Promise<void>;
  /** Every action of one project (also of a deleted one), by id. */
  list(owner: string, project: string): Promise<Action[]>;
}

/** Copying builds and their results into a fork (a later part; fork works without it). */
export interface ForkService {
  copyBuilds(src: Project, dst: Project): Promise<void>;
}

/** The build system, or a clear 500 when this deployment has none wired. */
export function buildSystemOf(ctx: AppContext): LifecycleDeps {
  const b = ctx.services.buildSystem;
  if (!b) throw new CoprError('server-error', 'The build system is not configured on this server');
  return b;
}
