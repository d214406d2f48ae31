import { useEffect, useState } from 'preact/hooks';
import { type DashboardConfig, loadConfig, redirectUri } from './config.js';

/**
 * Login with the authorization-code flow + PKCE (S256) against the configured OIDC
 * issuer (the local issuer or Cognito), endpoints from its discovery document. The
 * token is kept in localStorage and sent as `Authorization: Bearer`; the API verifies
 * it and creates the user on first login.
 */
export interface Session {
  token: string;
  username: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const SESSION_KEY = 'copr.session';
const PENDING_KEY = 'copr.login';
const listeners = new Set<() => void>();

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Reads claims for display only; the server does the verification. */
function claims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function currentSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    if (!s || typeof s.token !== 'string' || s.expiresAt <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

function setSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
  for (const l of listeners) l();
}

export function authHeader(): string | null {
  const s = currentSession();
  return s ? `Bearer ${s.token}` : null;
}

export function expireSession(): void {
  if (localStorage.getItem(SESSION_KEY)) setSession(null);
}

export function logout(): void {
  setSession(null);
}

export function useSession(): Session | null {
  const [session, set] = useState(currentSession);
  useEffect(() => {
    const update = () => set(currentSession());
    listeners.add(update);
    window.addEventListener('storage', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('storage', update);
    };
  }, []);
  return session;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

/** The provider's endpoints: from the config when it names them (Cognito), else discovery. */
async function discover(config: DashboardConfig): Promise<Discovery> {
  if (config.authorizationEndpoint !== undefined && config.tokenEndpoint !== undefined) {
    return { authorization_endpoint: config.authorizationEndpoint, token_endpoint: config.tokenEndpoint };
  }
  const issuer = config.issuer;
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  const d = (res.ok ? await res.json() : null) as Partial<Discovery> | null;
  if (!d || typeof d.authorization_endpoint !== 'string' || typeof d.token_endpoint !== 'string') {
    throw new Error(`Cannot read the login provider's discovery document (${res.status}).`);
  }
  return d as Discovery;
}

/** Sends the browser to the issuer's login page; comes back to /login/callback. */
export async function login(returnTo: string): Promise<void> {
  const config = await loadConfig();
  const { authorization_endpoint } = await discover(config);
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(config),
    scope: config.scope ?? 'openid profile',
    state,
    code_challenge: await s256(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Finishes the login: checks state, swaps the code (+ verifier) for tokens. Returns where to go. */
export async function completeLogin(params: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  const error = params.get('error');
  if (error) throw new Error(`Login failed: ${params.get('error_description') ?? error}`);
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state) throw new Error('Login failed: this login response does not match a login started here. Please try again.');
  const config = await loadConfig();
  const { token_endpoint } = await discover(config);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(config),
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const token = body[config.bearer ?? 'access_token'];
  if (!res.ok || typeof token !== 'string') {
    throw new Error(`Login failed: ${String(body.error_description ?? body.error ?? `token endpoint answered ${res.status}`)}`);
  }
  const c = claims(token);
  const username = String(c.preferred_username ?? c.username ?? c['cognito:username'] ?? c.sub ?? 'unknown');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
  const exp = typeof c.exp === 'number' ? c.exp * 1000 : Date.now() + expiresIn * 1000;
  setSession({ token, username: (await serverName(token)) ?? username, expiresAt: exp });
  return pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//') ? pending.returnTo : '/';
}

/** The Copr username the API derived from the token (it may use another claim). */
async function serverName(token: string): Promise<string | null> {
  try {
    const res = await fetch('/api_3/auth-check', { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { name?: unknown };
    return res.ok && typeof body.name === 'string' ? body.name : null;
  } catch {
    return null;
  }
}
