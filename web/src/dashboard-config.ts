/**
 * The dashboard's runtime settings, served as `/config.json`: by the local server
 * (functions/local/web-plugin.ts) and, on AWS, deployed by the CDK stack
 * (lib/constructs/web.ts). The one definition of its keys for all three, so the
 * stack cannot write keys the dashboard does not read (test/cdk/wiring.test.ts).
 * No imports: this file is compiled into the browser bundle and into the stack.
 */
export interface DashboardConfig {
  /** OIDC issuer (the local issuer, the Cognito user pool, or an external provider). */
  issuer: string;
  /** OAuth client id of the dashboard (also the `aud` of its ID tokens). */
  clientId: string;
  /** Where the provider sends the browser back; default `<origin>${LOGIN_CALLBACK_PATH}`. */
  redirectUri?: string;
  /** OAuth scopes. @default 'openid profile' */
  scope?: string;
  /** Which token response field goes into `Authorization: Bearer`. @default 'access_token' */
  bearer?: BearerToken;
  /**
   * Endpoints when the issuer's discovery document should not be fetched from the
   * browser (Cognito: the hosted UI domain differs from the issuer). Both or neither.
   */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /**
   * Largest request body the server takes for an inline SRPM upload. Larger files
   * go through an upload slot (a presigned PUT straight to storage). @default no limit
   */
  uploadLimitBytes?: number;
}

export type BearerToken = 'access_token' | 'id_token';

/** Dashboard route that completes a sign-in; registered as the OAuth callback URL. */
export const LOGIN_CALLBACK_PATH = '/login/callback';

/** Every key the dashboard reads; nothing else may appear in /config.json. */
export const DASHBOARD_CONFIG_KEYS = [
  'issuer',
  'clientId',
  'redirectUri',
  'scope',
  'bearer',
  'authorizationEndpoint',
  'tokenEndpoint',
  'uploadLimitBytes',
] as const satisfies readonly (keyof DashboardConfig)[];

const NUMBER_KEYS: readonly string[] = ['uploadLimitBytes'] satisfies (keyof DashboardConfig)[];

const REQUIRED = ['issuer', 'clientId'] as const;
const BEARERS: readonly string[] = ['access_token', 'id_token'] satisfies BearerToken[];

/**
 * Validates a parsed /config.json. Returns the config or the list of problems
 * (unknown keys count: a key the dashboard ignores is a wiring mistake).
 */
export function parseDashboardConfig(value: unknown): { ok: true; config: DashboardConfig } | { ok: false; problems: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['not a JSON object'] };
  const obj = value as Record<string, unknown>;
  const problems: string[] = [];
  const known: readonly string[] = DASHBOARD_CONFIG_KEYS;
  for (const key of Object.keys(obj)) if (!known.includes(key)) problems.push(`unknown key ${key}`);
  for (const key of REQUIRED) if (typeof obj[key] !== 'string' || obj[key] === '') problems.push(`${key} is required`);
  for (const key of DASHBOARD_CONFIG_KEYS) {
    const v = obj[key];
    if (v === undefined) continue;
    if (NUMBER_KEYS.includes(key)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) problems.push(`${key} must be a positive integer`);
    } else if (typeof v !== 'string') {
      problems.push(`${key} must be a string`);
    }
  }
  if (obj.bearer !== undefined && !BEARERS.includes(String(obj.bearer))) problems.push(`bearer must be one of ${BEARERS.join(', ')}`);
  if ((obj.authorizationEndpoint === undefined) !== (obj.tokenEndpoint === undefined)) {
    problems.push('authorizationEndpoint and tokenEndpoint go together');
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: obj as unknown as DashboardConfig };
}
