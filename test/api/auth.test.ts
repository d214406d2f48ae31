import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../functions/core/users.js';
import { startTestService, type TestService } from '../support/service.js';

/** OIDC bearer tokens through aws-jwt-verify, with the local issuer's keys. */
let t: TestService;

beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.stop());

const authCheck = (token: string) =>
  fetch(`${t.service.url}/api_3/auth-check`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, unknown>,
  }));

describe('OIDC bearer tokens', () => {
  it('accepts a token of the configured issuer and audience and creates the user on first sight', async () => {
    expect(await t.service.ctx.store.getUser('oidc-dora')).toBeNull();
    const res = await authCheck(await t.service.issuer.sign('oidc-dora'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'oidc-dora' });
    expect(await t.service.ctx.store.getUser('oidc-dora')).toMatchObject({ name: 'oidc-dora', admin: false });
  });

  it('refuses tokens signed by another key, for another audience or issuer, expired, or garbled', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const kid = t.service.issuer.jwks.keys[0]!.kid!;
    const forged = await new SignJWT({ preferred_username: 'mallory' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(t.service.issuer.issuer)
      .setAudience(t.service.issuer.audience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    // Signed with the issuer's own key (kept in the data dir), but for another audience / issuer.
    const jwk = JSON.parse(readFileSync(join(t.service.dataDir, 'oidc-signing-key.json'), 'utf8')) as JWK;
    const ownKey = await importJWK(jwk, 'RS256');
    const mint = (iss: string, aud: string) =>
      new SignJWT({ preferred_username: 'mallory' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(ownKey);
    const wrongAudience = await mint(t.service.issuer.issuer, 'someone-else');
    const wrongIssuer = await mint('https://elsewhere.example/', t.service.issuer.audience);
    const good = await mint(t.service.issuer.issuer, t.service.issuer.audience);
    const [h, , sig] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ preferred_username: 'admin', iss: t.service.issuer.issuer, aud: t.service.issuer.audience, exp: 9_999_999_999 })).toString('base64url')}.${sig}`;
    const expired = await t.service.issuer.sign('mallory', -60);
    for (const token of [forged, wrongAudience, wrongIssuer, tampered, expired, 'not.a.jwt', '']) {
      const res = await authCheck(token);
      expect(res.status, token.slice(0, 20)).toBe(401);
      expect(String(res.body.error)).toMatch(/^Login invalid\/expired/);
    }
    expect(await t.service.ctx.store.getUser('mallory')).toBeNull();
    // The control: the same minting with the right issuer and audience is accepted.
    expect((await authCheck(good)).status).toBe(200);
  });

  it('answers anonymous routes anonymously even with a bad token', async () => {
    const res = await fetch(`${t.service.url}/api_3/mock-chroots/list`, { headers: { authorization: 'Bearer nonsense' } });
    expect(res.status).toBe(200);
  });
});

describe('Copr API tokens', () => {
  it('refuses an expired token and accepts it through its last day', async () => {
    const basic = (login: string, token: string) =>
      fetch(`${t.service.url}/api_3/auth-check`, { headers: { authorization: `Basic ${Buffer.from(`${login}:${token}`).toString('base64')}` } });
    const old = await createUser(t.service.ctx.store, t.service.ctx.clock, 'expired-ed', { tokenDays: -1 });
    expect((await basic(old.token.api_login, old.token.api_token)).status).toBe(401);
    const today = await createUser(t.service.ctx.store, t.service.ctx.clock, 'last-day-lu', { tokenDays: 0 });
    expect((await basic(today.token.api_login, today.token.api_token)).status).toBe(200);
    // Login and token must both match; a colon inside breaks the pair.
    expect((await basic(today.token.api_login, `${today.token.api_token}:x`)).status).toBe(401);
    expect((await basic(today.token.api_login, today.token.api_token.slice(1))).status).toBe(401);
  });
});
