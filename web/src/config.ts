/**
 * Runtime settings from `/config.json` (served by the local server, deployed by CDK on
 * AWS): nothing about the issuer is compiled into the bundle.
 */
export interface DashboardConfig {
  issuer: string;
  clientId: string;
  redirectUri?: string;
  scope?: string;
  bearer?: 'access_token' | 'id_token';
}

let cached: Promise<DashboardConfig> | null = null;

function isConfig(v: unknown): v is DashboardConfig {
  const c = v as Partial<DashboardConfig> | null;
  return !!c && typeof c.issuer === 'string' && typeof c.clientId === 'string';
}

export function loadConfig(): Promise<DashboardConfig> {
  cached ??= fetch('/config.json', { headers: { accept: 'application/json' } })
    .then(async (res) => {
      const body: unknown = res.ok ? await res.json() : null;
      if (!isConfig(body)) throw new Error('The dashboard configuration (/config.json) is missing or invalid; login is unavailable.');
      return body;
    })
    .catch((err: unknown) => {
      cached = null;
      throw err;
    });
  return cached;
}

export function redirectUri(c: DashboardConfig): string {
  return c.redirectUri ?? `${location.origin}/login/callback`;
}
