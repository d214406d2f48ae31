import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { startTestService, type TestService } from '../support/service.js';

/** The local issuer's login endpoints over HTTP: discovery, authorize form, code + PKCE → tokens. */
describe('Local OIDC login (authorization code + PKCE)', () => {
  let svc: TestService;
  let url: string;
  let clock = Date.now();
  const redirect = () => `${url}/login/callback`;

  beforeAll(async () => {
    svc = await startTestService({ plugins: [oidcPlugin({ now: () => clock })] });
    url = svc.service.url;
  });
  afterAll(async () => svc?.stop());

  function pkce() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  function authorizeForm(challenge: string, extra: Record<string, string> = {}) {
    return new URLSearchParams({
      response_type: 'code',
      client_id: 'copr-local',
      redirect_uri: redirect(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      username: 'carol',
      ...extra,
    });
  }

  async function getCode(challenge: string, extra: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}/oidc/authorize`, { method: 'POST', body: authorizeForm(challenge, extra), redirect: 'manual' });
  }

  async function codeFrom(res: Response): Promise<string> {
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(redirect());
    expect(loc.searchParams.get('state')).toBe('st-1');
    return loc.searchParams.get('code')!;
  }

  function exchange(code: string, verifier: string, extra: Record<string, string> = {}) {
    return fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect(), client_id: 'copr-local', code_verifier: verifier, ...extra }),
    });
  }

  it('publishes a discovery document with S256 PKCE', async () => {
    const doc = await (await fetch(`${url}/oidc/.well-known/openid-configuration`)).json();
    expect(doc).toMatchObject({
      issuer: `${url}/oidc`,
      authorization_endpoint: `${url}/oidc/authorize`,
      token_endpoint: `${url}/oidc/token`,
      jwks_uri: `${url}/oidc/jwks.json`,
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('shows a login form that keeps the request parameters', async () => {
    const { challenge } = pkce();
    const q = authorizeForm(challenge);
    q.delete('username');
    const res = await fetch(`${url}/oidc/authorize?${q}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).toContain(`name="code_challenge" value="${challenge}"`);
  });

  it('issues a token the API accepts, and creates the user on first use', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFrom(await getCode(challenge));
    const res = await exchange(code, verifier);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const who = await fetch(`${url}/api_3/auth-check`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(await who.json()).toMatchObject({ name: 'carol' });
  });

  it('rejects a wrong code_verifier, and the code is then spent', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFrom(await getCode(challenge));
    const bad = await exchange(code, pkce().verifier);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant', error_description: 'PKCE verification failed' });
    const again = await exchange(code, verifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('accepts each code once', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFrom(await getCode(challenge));
    expect((await exchange(code, verifier)).status).toBe(200);
    const replay = await exchange(code, verifier);
    expect(replay.status).toBe(400);
  });

  it('lets codes expire after a minute', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFrom(await getCode(challenge));
    clock += 61_000;
    const res = await exchange(code, verifier);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(/expired/);
  });

  it('checks that redirect_uri and client_id match the authorization', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFrom(await getCode(challenge));
    const res = await exchange(code, verifier, { redirect_uri: `${url}/elsewhere` });
    expect(res.status).toBe(400);
  });

  it('refuses plain PKCE, foreign redirects, unknown clients and bad usernames without redirecting', async () => {
    const { challenge } = pkce();
    const bad: Array<Record<string, string>> = [{ code_challenge_method: 'plain' }, { redirect_uri: 'https://evil.example/cb' }, { client_id: 'other' }];
    for (const extra of bad) {
      const res = await getCode(challenge, extra);
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    const res = await getCode(challenge, { username: '../admin' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('role="alert"');
  });

  it('answers unsupported grants like OAuth does', async () => {
    const res = await fetch(`${url}/oidc/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
