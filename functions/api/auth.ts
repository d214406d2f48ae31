import { JwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { tokenExpired, tokenMatches } from '../core/api-tokens.js';
import { unauthorized } from '../core/errors.js';
import type { Caller } from '../core/model.js';
import { ensureUser } from '../core/users.js';
import type { Clock, Store } from '../core/ports.js';
import type { ApiRequest } from './request.js';

/**
 * Who is calling: Copr API tokens (HTTP Basic `login:token`) or OIDC bearer JWTs
 * verified by aws-jwt-verify. Locally the JWKS of the local issuer is handed to the
 * verifier directly (`cacheJwks`), so the same verification code runs in both places.
 */
export interface Authenticator {
  /** null when the request has no credentials; throws 401 when they are invalid. */
  authenticate(req: ApiRequest): Promise<Caller | null>;
}

export interface OidcSettings {
  issuer: string;
  audience: string | null;
  jwksUri?: string;
  /** Preloaded JWKS (local issuer); when absent it is fetched from jwksUri. */
  jwks?: Jwks;
  usernameClaim: string;
}

export function createAuthenticator(deps: {
  store: Store;
  clock: Clock;
  frontendUrl: string;
  oidc: OidcSettings | null;
}): Authenticator {
  const { store, clock, frontendUrl } = deps;
  const verifier = deps.oidc
    ? JwtVerifier.create({
        issuer: deps.oidc.issuer,
        audience: deps.oidc.audience,
        ...(deps.oidc.jwksUri ? { jwksUri: deps.oidc.jwksUri } : {}),
      })
    : null;
  if (verifier && deps.oidc?.jwks) verifier.cacheJwks(deps.oidc.jwks);
  const claim = deps.oidc?.usernameClaim ?? 'preferred_username';

  async function basic(encoded: string): Promise<Caller> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const parts = decoded.split(':');
    if (parts.length !== 2) throw unauthorized(frontendUrl);
    const [login, token] = parts as [string, string];
    const user = await store.getUserByApiLogin(login);
    if (!user || !tokenMatches(token, user.api_token_hash) || tokenExpired(user, clock.now())) {
      throw unauthorized(frontendUrl);
    }
    return { user };
  }

  async function bearer(jwt: string): Promise<Caller> {
    if (!verifier) throw unauthorized(frontendUrl);
    let payload: Record<string, unknown>;
    try {
      payload = (await verifier.verify(jwt)) as Record<string, unknown>;
    } catch {
      throw unauthorized(frontendUrl);
    }
    const name = payload[claim];
    if (typeof name !== 'string') throw unauthorized(frontendUrl);
    // First login of an OIDC user creates the Copr user (as upstream does on FAS login).
    const user = await ensureUser(store, clock, name);
    return { user };
  }

  return {
    async authenticate(req) {
      const header = req.headers['authorization'];
      if (!header) return null;
      const space = header.indexOf(' ');
      const scheme = header.slice(0, space).toLowerCase();
      const value = header.slice(space + 1).trim();
      if (scheme === 'basic') return basic(value);
      if (scheme === 'bearer') return bearer(value);
      throw unauthorized(frontendUrl);
    },
  };
}
