import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { readBody } from './http-bridge.js';
import type { LocalBase, LocalPlugin } from './service.js';

/**
 * The login half of the local OIDC issuer (the key half is functions/local/issuer.ts):
 * discovery, an authorization endpoint with a one-field username form, and a token
 * endpoint for the authorization-code + PKCE (S256) flow the dashboard uses. It has
 * no passwords, so it is off unless COPR_DEV_LOGIN=1 (the issuer then refuses to sign
 * and these endpoints answer 403); the local server binds 127.0.0.1. On AWS
 * Cognito plays this part; the dashboard finds either through the discovery document.
 */

const DISABLED = 'The local development login is disabled. Start the service with COPR_DEV_LOGIN=1 to enable it (development only: anyone who reaches the server can then log in as any user).';

/** Codes are single use and short lived, as RFC 6749 §4.1.2 recommends. */
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 3600;
const MAX_FORM_BYTES = 16 * 1024;

const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,39}$/;
/** RFC 7636: base64url, 43..128 characters. */
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

const AuthorizeParams = z.object({
  response_type: z.literal('code', { error: 'response_type must be "code"' }),
  client_id: z.string().min(1),
  redirect_uri: z.string().url(),
  code_challenge: z.string().regex(PKCE_VALUE, 'code_challenge must be a base64url S256 challenge'),
  code_challenge_method: z.literal('S256', { error: 'only code_challenge_method=S256 is supported' }),
  state: z.string().max(512).optional(),
  scope: z.string().max(512).optional(),
  nonce: z.string().max(512).optional(),
});
type AuthorizeParams = z.infer<typeof AuthorizeParams>;

const TokenParams = z.object({
  grant_type: z.literal('authorization_code'),
  code: z.string().min(1),
  redirect_uri: z.string().min(1),
  client_id: z.string().min(1),
  code_verifier: z.string().regex(PKCE_VALUE),
});

interface PendingCode {
  username: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
}

export interface OidcPluginOptions {
  /** Milliseconds since the epoch; tests may move time. */
  now?: () => number;
}

export function oidcPlugin(opts: OidcPluginOptions = {}): LocalPlugin {
  const now = opts.now ?? Date.now;
  const codes = new Map<string, PendingCode>();

  return {
    name: 'oidc',
    mounts: (base) => [
      { prefix: '/oidc/.well-known/openid-configuration', handle: (_req, res) => discovery(base, res) },
      { prefix: '/oidc/authorize', handle: (req, res) => authorize(base, req, res) },
      { prefix: '/oidc/token', handle: (req, res) => token(base, req, res) },
    ],
  };

  async function authorize(base: LocalBase, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!base.issuer.mints) return sendHtml(res, 403, page('Local login disabled', `<p role="alert">${esc(DISABLED)}</p>`));
    const method = req.method ?? 'GET';
    let fields: Record<string, string>;
    if (method === 'GET' || method === 'HEAD') {
      fields = Object.fromEntries(new URL(req.url ?? '/', 'http://local').searchParams);
    } else if (method === 'POST') {
      fields = Object.fromEntries(new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8')));
    } else {
      return sendHtml(res, 405, page('Method not allowed', '<p>Use GET or POST.</p>'));
    }
    const parsed = AuthorizeParams.safeParse(fields);
    // Never redirect to an unchecked redirect_uri: show errors here instead.
    if (!parsed.success) {
      return sendHtml(res, 400, page('Invalid login request', `<p role="alert">${esc(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))}</p>`));
    }
    const params = parsed.data;
    const problem = clientProblem(base, params.client_id, params.redirect_uri);
    if (problem) return sendHtml(res, 400, page('Invalid login request', `<p role="alert">${esc(problem)}</p>`));

    if (method !== 'POST') return sendHtml(res, 200, loginForm(params, null));
    const username = fields.username?.trim() ?? '';
    if (!USERNAME.test(username)) {
      return sendHtml(res, 400, loginForm(params, 'Username: 1-40 letters, digits, ".", "_" or "-", starting with a letter or digit.'));
    }
    sweep();
    const code = randomBytes(32).toString('base64url');
    codes.set(code, {
      username,
      clientId: params.client_id,
      redirectUri: params.redirect_uri,
      challenge: params.code_challenge,
      expiresAt: now() + CODE_TTL_MS,
    });
    const target = new URL(params.redirect_uri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  async function token(base: LocalBase, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!base.issuer.mints) return oauthError(res, 403, 'access_denied', DISABLED);
    if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'Use POST');
    const form = Object.fromEntries(new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8')));
    const parsed = TokenParams.safeParse(form);
    if (!parsed.success) {
      const grant = form.grant_type;
      if (grant !== undefined && grant !== 'authorization_code') return oauthError(res, 400, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
      return oauthError(res, 400, 'invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const p = parsed.data;
    const pending = codes.get(p.code);
    // Single use: the code is gone after the first attempt, successful or not.
    codes.delete(p.code);
    if (!pending || pending.expiresAt <= now()) return oauthError(res, 400, 'invalid_grant', 'The authorization code is invalid, used or expired');
    if (pending.clientId !== p.client_id || pending.redirectUri !== p.redirect_uri) {
      return oauthError(res, 400, 'invalid_grant', 'client_id or redirect_uri does not match the authorization request');
    }
    if (!sameSecret(s256(p.code_verifier), pending.challenge)) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
    const jwt = await base.issuer.sign(pending.username, TOKEN_TTL_S);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
    res.end(JSON.stringify({ access_token: jwt, id_token: jwt, token_type: 'Bearer', expires_in: TOKEN_TTL_S }));
  }

  function sweep(): void {
    const t = now();
    for (const [code, pending] of codes) if (pending.expiresAt <= t) codes.delete(code);
  }
}

/** The discovery document the dashboard (and any OIDC client) starts from. */
export function discoveryDocument(issuer: string, jwksUri: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: jwksUri,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['openid', 'profile'],
    claims_supported: ['sub', 'preferred_username'],
  };
}

async function discovery(base: LocalBase, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(discoveryDocument(base.issuer.issuer, `${base.url}/oidc/jwks.json`)));
}

/** The only client is the dashboard: client id = token audience, redirect on this server. */
function clientProblem(base: LocalBase, clientId: string, redirectUri: string): string | null {
  if (clientId !== base.issuer.audience) return `Unknown client_id ${clientId}`;
  if (new URL(redirectUri).origin !== new URL(base.url).origin) return `redirect_uri must be on ${new URL(base.url).origin}`;
  return null;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error, error_description: description }));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(html);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginForm(params: AuthorizeParams, error: string | null): string {
  const hidden = Object.entries(params)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  const alert = error ? `<p role="alert" id="err" class="err">${esc(error)}</p>` : '';
  return page(
    'Log in to Copr (local)',
    `<p>Local development login: no password, any username. The first login creates the user.</p>
${alert}<form method="post" action="/oidc/authorize">${hidden}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus pattern="[a-zA-Z0-9][a-zA-Z0-9._\\-]{0,39}"${error ? ' aria-describedby="err"' : ''}>
<button type="submit">Log in</button></form>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}
button{font:inherit;margin-top:.75rem;padding:.4rem 1rem;background:#1a4f8b;color:#fff;border:0;border-radius:4px;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #f0a000;outline-offset:2px}.err{color:#a40000;font-weight:600}</style></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}
