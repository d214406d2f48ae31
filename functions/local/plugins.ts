import type { LocalPlugin } from './service.js';

/** The parts `npm start` runs besides the API core (builds, publishing, dashboard). */
export function localPlugins(): LocalPlugin[] {
  return [];
}
