import type { Config } from '../config.js';
import type { Project } from '../core/model.js';
import type { Clock, Store } from '../core/ports.js';
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
  repos: RepoService;
  builds: BuildsView;
}
