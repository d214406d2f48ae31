import type { IssuedToken } from './api-tokens.js';
import type { Clock, Store } from './ports.js';
import { ensureUser, rotateToken } from './users.js';

/**
 * The first admin of an installation on AWS (functions/handlers/bootstrap.ts):
 * makes `name` a site admin, creating the user if they never signed in, and
 * issues a fresh API token that replaces any earlier one. The token is returned
 * once and stored only as a hash.
 */
export async function makeAdmin(store: Store, clock: Clock, name: string, tokenDays: number): Promise<IssuedToken> {
  const user = await ensureUser(store, clock, name);
  if (!user.admin) await store.setUserAdmin(name, true);
  return rotateToken(store, clock, user, tokenDays);
}
