import { actionsPlugin } from './actions-plugin.js';
import { buildsPlugin, type LocalBuildSystem } from './builds-plugin.js';
import { maintenancePlugin } from './maintenance-plugin.js';
import { oidcPlugin } from './oidc-plugin.js';
import type { LocalPlugin } from './service.js';
import { webPlugin } from './web-plugin.js';

/** The parts `npm start` runs besides the API core (builds, publishing, dashboard). */
export function localPlugins(): LocalPlugin[] {
  let builds: LocalBuildSystem | null = null;
  const withBuilds = buildsPlugin({
    onReady: (s) => {
      builds = s;
    },
  });
  return [withBuilds, actionsPlugin(), oidcPlugin(), webPlugin(), maintenancePlugin({ fleet: () => builds?.fleet ?? null })];
}
