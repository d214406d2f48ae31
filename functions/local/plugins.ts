import { actionsPlugin } from './actions-plugin.js';
import { buildsPlugin } from './builds-plugin.js';
import { maintenancePlugin } from './maintenance-plugin.js';
import { oidcPlugin } from './oidc-plugin.js';
import type { LocalPlugin } from './service.js';
import { webPlugin } from './web-plugin.js';

/** The parts `npm start` runs besides the API core (builds, publishing, dashboard). */
export function localPlugins(): LocalPlugin[] {
  return [buildsPlugin(), actionsPlugin(), oidcPlugin(), webPlugin(), maintenancePlugin()];
}
