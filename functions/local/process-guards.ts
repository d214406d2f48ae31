import { jsonLogger } from '../adapters/json-logger.js';
import type { Logger } from '../core/ports.js';

/**
 * Process-level guards of the long-running local service: an error that escapes
 * every request and worker handler is logged and the process keeps serving, rather
 * than taking the API, dispatcher, reaper and publisher down with it. Request-level
 * guards (functions/local/service.ts) catch almost everything first; these are the
 * net below them. Installed by the entry point only (bin/start.ts), never by tests.
 */
export function installProcessGuards(name: string, log: Logger = jsonLogger({ component: name })): void {
  process.on('uncaughtException', (err) => {
    log.error(`${name}: uncaught exception (still serving): ${err.stack ?? err.message}`);
  });
  process.on('unhandledRejection', (reason) => {
    log.error(`${name}: unhandled rejection (still serving): ${(reason as Error)?.stack ?? String(reason)}`);
  });
}
