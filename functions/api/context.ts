import type { Config } from '../config.js';
import type { App } from '../core/app.js';
import type { Clock, Store } from '../core/ports.js';
import type { Authenticator } from './auth.js';

/**
 * Everything a route handler may use, built once per process (Lambda cold start or
 * `npm start`): the application core (every use case, functions/core/app.ts), the
 * authenticator, and the store and clock for plain reads.
 */
export interface AppContext {
  config: Config;
  store: Store;
  clock: Clock;
  auth: Authenticator;
  app: App;
}
