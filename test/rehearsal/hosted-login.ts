import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { jsonCall } from './aws-raw.js';
import { REGION } from './cfn.js';
import { plainHttp } from './lambdas.js';
import type { Rehearsal } from './stack.js';

/**
 * A stand-in for the Cognito hosted login (the user pool domain's `/oauth2/authorize`
 * and `/oauth2/token`), backed by moto's Cognito: the pool, app client and domain the
 * template created there. What it enforces is what the hosted UI enforces for the
 * dashboard's public client: the request's host is the pool's domain, the client
 * exists, the redirect URI is one of the client's callback URLs, the code flow and the
 * scopes are allowed, PKCE S256; the password is checked by moto's InitiateAuth
 * against the pool; a code is single use, bound to client, redirect URI and verifier.
 * The tokens are moto's, signed with the pool's key (the API verifies them with the
 * pool's JWKS, served by moto).
 *
 * Chromium reaches it at `https://<domain>.auth.<region>.amazoncognito.com` through a
 * route of the browser context (this machine has no DNS or TLS for that host); the
 * redirect back to the dashboard is rewritten to `http://`, as every URL of the
 * stand-ins is (they serve plain HTTP on 127.0.0.1).
 */
interface Client {
  readonly ClientId: string;
  readonly UserPoolId: string;
  readonly CallbackURLs?: string[];
  readonly AllowedOAuthFlows?: string[];
  readonly AllowedOAuthScopes?: string[];
  readonly AllowedOAuthFlowsUserPoolClient?: boolean;
  readonly GenerateSecret?: boolean;
  readonly ClientSecret?: string;
}

interface Grant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly tokens: { IdToken: string; AccessToken: string; RefreshToken?: string; ExpiresIn?: number };
}

const target = (op: string) => `AWSCognitoIdentityProviderService.${op}`;

export class HostedLogin {
  private server: Server | null = null;
  private url = '';
  private readonly codes = new Map<string, Grant>();
  /** Every request the stand-in refused, with why (a refused sign-in fails the step that made it). */
  readonly refusals: string[] = [];

  constructor(
    private readonly moto: string,
    /** `<prefix>.auth.<region>.amazoncognito.com` of the template's UserPoolDomain. */
    readonly domain: string,
    private readonly userPoolId: string,
  ) {}

  static forRehearsal(r: Rehearsal): HostedLogin {
    const res = r.deployment.template.Resources;
    const domainId = Object.keys(res).find((id) => res[id]?.Type === 'AWS::Cognito::UserPoolDomain');
    const poolId = Object.keys(res).find((id) => res[id]?.Type === 'AWS::Cognito::UserPool');
    if (!domainId || !poolId) throw new Error('the template has no Cognito user pool with a domain: the dashboard has no hosted login');
    return new HostedLogin(r.emu.moto, `${r.deployment.resolver.ref(domainId)}.auth.${REGION}.amazoncognito.com`, r.deployment.resolver.ref(poolId));
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.refusals.push(`stand-in error: ${(err as Error).message}`);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('hosted login stand-in failed');
      });
    });
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A request to `https://<host>/…` of the hosted login, as the browser would send it. */
  fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: Uint8Array<ArrayBuffer> | string } = {}): Promise<Response> {
    const u = new URL(url);
    return fetch(`${this.url}${u.pathname}${u.search}`, { ...init, headers: { ...init.headers, 'x-forwarded-host': u.host }, redirect: 'manual' });
  }

  /** Sends the context's requests to `https://<any>.amazoncognito.com` here, with their host. */
  async attach(context: BrowserContext): Promise<void> {
    await context.route(/^https:\/\/[^/]+\.amazoncognito\.com\//, async (route) => {
      const req = route.request();
      const body = req.postDataBuffer();
      const up = await this.fetch(req.url(), { method: req.method(), headers: req.headers(), ...(body ? { body: new Uint8Array(body) } : {}) });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) out[k] = v;
      });
      await route.fulfill({ status: up.status, headers: out, body: Buffer.from(await up.arrayBuffer()) });
    });
  }

  /** A user who signed up and confirmed (the pool allows self sign-up; moto has no mail to confirm by). */
  async addUser(username: string, password: string): Promise<void> {
    await jsonCall(this.moto, 'cognito-idp', target('AdminCreateUser'), {
      UserPoolId: this.userPoolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: `${username}@example.org` }, { Name: 'email_verified', Value: 'true' }],
    });
    await jsonCall(this.moto, 'cognito-idp', target('AdminSetUserPassword'), { UserPoolId: this.userPoolId, Username: username, Password: password, Permanent: true });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  private async client(clientId: string): Promise<Client | null> {
    try {
      const out = await jsonCall<{ UserPoolClient: Client }>(this.moto, 'cognito-idp', target('DescribeUserPoolClient'), { UserPoolId: this.userPoolId, ClientId: clientId });
      return out.UserPoolClient;
    } catch {
      return null;
    }
  }

  /** Refuses with the hosted UI's error page, or (`cors` given: the token endpoint) OAuth's JSON error. */
  private refuse(res: ServerResponse, status: number, error: string, description: string, cors?: Record<string, string>): void {
    this.refusals.push(`${error}: ${description}`);
    if (cors) {
      res.writeHead(status, { 'content-type': 'application/json', ...cors });
      res.end(JSON.stringify({ error, error_description: description }));
    } else {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Error</title><h1>An error was encountered with the requested page.</h1><p>${escapeHtml(description)}</p>`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const host = String(req.headers['x-forwarded-host'] ?? '');
    const origin = req.headers.origin;
    // The token endpoint is called from the dashboard's origin (fetch); Cognito answers with CORS.
    const cors: Record<string, string> = typeof origin === 'string' ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (host !== this.domain) return this.refuse(res, 404, 'unknown_host', `no user pool domain ${host} (the pool's domain is ${this.domain})`);
    if (req.method === 'GET' && url.pathname === '/oauth2/authorize') return this.authorize(url.searchParams, res);
    if (req.method === 'POST' && url.pathname === '/login') return this.login(new URLSearchParams(await readBody(req)), res);
    if (req.method === 'POST' && url.pathname === '/oauth2/token') return this.token(new URLSearchParams(await readBody(req)), res, cors);
    return this.refuse(res, 404, 'not_found', `${req.method} ${url.pathname}`);
  }

  /** Checks the authorization request against the client; null when it is acceptable. */
  private async check(q: URLSearchParams): Promise<string | null> {
    const client = await this.client(q.get('client_id') ?? '');
    if (!client) return `client ${q.get('client_id')} does not exist in the pool`;
    if (q.get('response_type') !== 'code') return `response_type ${q.get('response_type')} (the dashboard's client uses the code flow)`;
    if (!client.AllowedOAuthFlowsUserPoolClient || !(client.AllowedOAuthFlows ?? []).includes('code')) return 'the client does not allow the authorization code flow';
    const redirect = q.get('redirect_uri') ?? '';
    if (!(client.CallbackURLs ?? []).includes(redirect)) return `redirect_mismatch: ${redirect} is not a callback URL of the client (${(client.CallbackURLs ?? []).join(', ')})`;
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const extra = scopes.filter((s) => !(client.AllowedOAuthScopes ?? []).includes(s));
    if (extra.length > 0) return `invalid_scope: ${extra.join(' ')} not allowed for the client`;
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return 'a public client must send a PKCE S256 code challenge';
    return null;
  }

  private async authorize(q: URLSearchParams, res: ServerResponse): Promise<void> {
    const problem = await this.check(q);
    if (problem) return this.refuse(res, 400, 'invalid_request', problem);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    const hidden = [...q].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
    res.end(
      `<!doctype html><html lang="en"><title>Signin</title><main><h1>Sign in with your username and password</h1>` +
        `<form method="post" action="/login">${hidden}` +
        `<label>Username <input name="username" autocomplete="username"></label>` +
        `<label>Password <input name="password" type="password" autocomplete="current-password"></label>` +
        `<button type="submit">Sign in</button></form></main></html>`,
    );
  }

  private async login(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const problem = await this.check(form);
    if (problem) return this.refuse(res, 400, 'invalid_request', problem);
    const clientId = form.get('client_id') ?? '';
    let tokens: Grant['tokens'] | undefined;
    try {
      const out = await jsonCall<{ AuthenticationResult?: Grant['tokens'] }>(this.moto, 'cognito-idp', target('InitiateAuth'), {
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: form.get('username') ?? '', PASSWORD: form.get('password') ?? '' },
      });
      tokens = out.AuthenticationResult;
    } catch (err) {
      this.refusals.push(`sign-in refused: ${(err as Error).message.slice(0, 200)}`);
    }
    if (!tokens?.IdToken) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Signin</title><p role="alert">Incorrect username or password.</p>');
      return;
    }
    const code = randomBytes(18).toString('hex');
    const redirectUri = form.get('redirect_uri') ?? '';
    this.codes.set(code, { clientId, redirectUri, challenge: form.get('code_challenge') ?? '', tokens });
    const back = new URL(plainHttp(redirectUri));
    back.searchParams.set('code', code);
    const state = form.get('state');
    if (state) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  private async token(form: URLSearchParams, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    if (form.get('grant_type') !== 'authorization_code') return this.refuse(res, 400, 'unsupported_grant_type', String(form.get('grant_type')), cors);
    const code = form.get('code') ?? '';
    const grant = this.codes.get(code);
    this.codes.delete(code); // single use, whatever happens next
    if (!grant) return this.refuse(res, 400, 'invalid_grant', 'unknown or used code', cors);
    if (form.get('client_id') !== grant.clientId) return this.refuse(res, 400, 'invalid_client', 'the code was issued to another client', cors);
    if (form.get('redirect_uri') !== grant.redirectUri) return this.refuse(res, 400, 'invalid_grant', 'redirect_uri differs from the authorization request', cors);
    const verifier = form.get('code_verifier') ?? '';
    const expected = createHash('sha256').update(verifier).digest('base64url');
    if (expected !== grant.challenge) return this.refuse(res, 400, 'invalid_grant', 'the code verifier does not match the challenge', cors);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors });
    res.end(
      JSON.stringify({
        id_token: grant.tokens.IdToken,
        access_token: grant.tokens.AccessToken,
        ...(grant.tokens.RefreshToken ? { refresh_token: grant.tokens.RefreshToken } : {}),
        token_type: 'Bearer',
        expires_in: grant.tokens.ExpiresIn ?? 3600,
      }),
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString()));
    req.on('error', fail);
  });
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
