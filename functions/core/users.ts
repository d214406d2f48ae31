import { issueToken, type IssuedToken } from './api-tokens.js';
import { badRequest } from './errors.js';
import type { User } from './model.js';
import { isValidUserName } from './names.js';
import { AlreadyExists, type Clock, type Store } from './ports.js';

export const DEFAULT_TOKEN_DAYS = 180;

/** Creates a user with fresh API credentials; returns the plain token once. */
export async function createUser(
  store: Store,
  clock: Clock,
  name: string,
  opts: { admin?: boolean; groups?: string[]; tokenDays?: number } = {},
): Promise<{ user: User; token: IssuedToken }> {
  if (!isValidUserName(name)) throw badRequest(`Invalid user name '${name}'`);
  const token = issueToken(clock.now(), opts.tokenDays ?? DEFAULT_TOKEN_DAYS);
  const user: User = {
    id: await store.nextId('user'),
    name,
    admin: opts.admin ?? false,
    groups: opts.groups ?? [],
    api_login: token.api_login,
    api_token_hash: token.api_token_hash,
    api_token_expiration: token.api_token_expiration,
    created_on: Math.floor(clock.now() / 1000),
  };
  await store.createUser(user);
  return { user, token };
}

/** Returns the user, creating it on first sight (OIDC logins). Safe under races. */
export async function ensureUser(store: Store, clock: Clock, name: string): Promise<User> {
  const existing = await store.getUser(name);
  if (existing) return existing;
  try {
    return (await createUser(store, clock, name)).user;
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    const user = await store.getUser(name);
    if (!user) throw err;
    return user;
  }
}

/** new-api-token: replaces login and token; the old pair stops working at once. */
export async function rotateToken(store: Store, clock: Clock, user: User, tokenDays: number): Promise<IssuedToken> {
  const token = issueToken(clock.now(), tokenDays);
  await store.rotateApiToken(user.name, user.api_login, token);
  return token;
}
