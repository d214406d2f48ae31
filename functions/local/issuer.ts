import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local OIDC issuer of `npm start`: one RSA key kept in the data dir (0600),
 * its public JWKS handed to the same aws-jwt-verify verifier the AWS deployment
 * uses. It signs tokens for the dashboard's login and for tests, and only when the
 * development login is enabled: otherwise anyone reaching the server could mint an
 * admin token.
 */
export interface LocalIssuer {
  issuer: string;
  audience: string;
  jwks: { keys: JWK[] };
  /** False unless the development login is enabled (COPR_DEV_LOGIN=1): then `sign` refuses. */
  mints: boolean;
  sign(username: string, ttlSeconds?: number): Promise<string>;
}

export class DevLoginDisabled extends Error {
  constructor() {
    super('The local login is disabled; set COPR_DEV_LOGIN=1 to enable it for development');
    this.name = 'DevLoginDisabled';
  }
}

const KEY_FILE = 'oidc-signing-key.json';

export async function loadLocalIssuer(
  dataDir: string,
  issuer: string,
  audience = 'copr-local',
  opts: { mint: boolean } = { mint: false },
): Promise<LocalIssuer> {
  const path = join(dataDir, KEY_FILE);
  let privateJwk: JWK;
  if (existsSync(path)) {
    privateJwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } else {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    privateJwk = { ...(await exportJWK(privateKey)), kid: `local-${Date.now().toString(36)}`, alg: 'RS256', use: 'sig' };
    writeFileSync(path, JSON.stringify(privateJwk), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  const { d, p, q, dp, dq, qi, ...publicJwk } = privateJwk;
  void d, p, q, dp, dq, qi;
  const key = await importJWK(privateJwk, 'RS256');
  return {
    issuer,
    audience,
    jwks: { keys: [publicJwk] },
    mints: opts.mint,
    async sign(username, ttlSeconds = 3600) {
      if (!opts.mint) throw new DevLoginDisabled();
      return new SignJWT({ preferred_username: username })
        .setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid! })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(username)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
  };
}
