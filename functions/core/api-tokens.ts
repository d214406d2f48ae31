import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { User } from './model.js';

/**
 * Copr API credentials: a random `login` (not the username) and a random token.
 * Only a SHA-256 hash of the token is stored; tokens are long random strings, so a
 * plain hash is enough (no dictionary to attack) and lookups stay one GetItem.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function randomLetters(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += LETTERS[randomInt(LETTERS.length)];
  return s;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export interface IssuedToken {
  api_login: string;
  api_token: string;
  api_token_hash: string;
  api_token_expiration: string;
}

export function issueToken(nowMs: number, validDays: number): IssuedToken {
  const api_token = randomLetters(32);
  return {
    api_login: randomLetters(20),
    api_token,
    api_token_hash: hashToken(api_token),
    api_token_expiration: isoDate(nowMs + validDays * 86_400_000),
  };
}

/** Valid through the expiration day (upstream compares dates: expiration >= today). */
export function tokenExpired(user: Pick<User, 'api_token_expiration'>, nowMs: number): boolean {
  return user.api_token_expiration < isoDate(nowMs);
}
