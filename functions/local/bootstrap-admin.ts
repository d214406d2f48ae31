import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Store } from '../core/ports.js';
import { createUser, rotateToken } from '../core/users.js';

/**
 * First start of `npm start`: a local admin user and a ready copr-cli config in the
 * data dir. Later starts reuse the config as long as its credentials still work.
 */
export const LOCAL_ADMIN = 'admin';

export function coprCliConfig(opts: { login: string; token: string; username: string; url: string; expiration: string }): string {
  return [
    '[copr-cli]',
    `login = ${opts.login}`,
    `username = ${opts.username}`,
    `token = ${opts.token}`,
    `copr_url = ${opts.url}`,
    // The local server speaks plain HTTP on 127.0.0.1; copr-cli refuses that unless told.
    'encrypted = False',
    'gssapi = False',
    `# expiration date: ${opts.expiration}`,
    '',
  ].join('\n');
}

function readIni(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([\w]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export async function ensureLocalAdmin(store: Store, clock: Clock, dataDir: string, url: string, tokenDays: number): Promise<{ configPath: string; created: boolean }> {
  const configPath = join(dataDir, 'copr-cli.conf');
  const write = (login: string, token: string, expiration: string) => {
    writeFileSync(configPath, coprCliConfig({ login, token, username: LOCAL_ADMIN, url, expiration }), { mode: 0o600 });
    chmodSync(configPath, 0o600);
  };
  let user = await store.getUser(LOCAL_ADMIN);
  if (!user) {
    const { token } = await createUser(store, clock, LOCAL_ADMIN, { admin: true, tokenDays });
    write(token.api_login, token.api_token, token.api_token_expiration);
    return { configPath, created: true };
  }
  if (existsSync(configPath)) {
    const ini = readIni(configPath);
    if (ini.login === user.api_login) {
      // Same credentials; the URL may have changed (another PORT).
      write(ini.login, ini.token ?? '', user.api_token_expiration);
      return { configPath, created: false };
    }
  }
  // The config was lost or is stale: rotate so the admin gets a working token again.
  user = (await store.getUser(LOCAL_ADMIN))!;
  const token = await rotateToken(store, clock, user, tokenDays);
  write(token.api_login, token.api_token, token.api_token_expiration);
  return { configPath, created: false };
}
