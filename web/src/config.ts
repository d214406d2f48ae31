import { type DashboardConfig, LOGIN_CALLBACK_PATH, parseDashboardConfig } from './dashboard-config.js';

/**
 * Runtime settings from `/config.json` (served by the local server, deployed by CDK on
 * AWS): nothing about the issuer is compiled into the bundle. Its shape is defined
 * once, in dashboard-config.ts, for the dashboard, the local server and the stack.
 */
export type { DashboardConfig } from './dashboard-config.js';

let cached: Promise<DashboardConfig> | null = null;

export function loadConfig(): Promise<DashboardConfig> {
  cached ??= fetch('/config.json', { headers: { accept: 'application/json' } })
    .then(async (res) => {
      const body: unknown = res.ok ? await res.json() : null;
      const parsed = parseDashboardConfig(body);
      if (!parsed.ok) {
        throw new Error(`The dashboard configuration (/config.json) is missing or invalid (${parsed.problems.join('; ')}); login is unavailable.`);
      }
      return parsed.config;
    })
    .catch((err: unknown) => {
      cached = null;
      throw err;
    });
  return cached;
}

export function redirectUri(c: DashboardConfig): string {
  return c.redirectUri ?? `${location.origin}${LOGIN_CALLBACK_PATH}`;
}
