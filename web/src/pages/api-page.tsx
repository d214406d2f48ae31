import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { login, useSession } from '../auth.js';
import { CopyBlock, ErrorMessage } from '../components/ui.js';
import { useTitle } from '../title.js';
import type { ApiToken } from '../types.js';
import { useSubmit } from '../use-submit.js';

/** The `~/.config/copr` file copr-cli reads (spec §1.2). */
export function coprConfig(t: ApiToken, username: string, url: string): string {
  const lines = ['[copr-cli]', `login = ${t.api_login}`, `username = ${username}`, `token = ${t.api_token}`, `copr_url = ${url}`];
  // copr-cli refuses plain http unless told; only a local server speaks it.
  if (url.startsWith('http://')) lines.push('encrypted = False', 'gssapi = False');
  lines.push(`# expiration date: ${t.expiration}`);
  return `${lines.join('\n')}\n`;
}

export function ApiPage() {
  useTitle('API');
  const session = useSession();
  const [token, setToken] = useState<ApiToken | null>(null);
  const { busy, error, run } = useSubmit();
  const issue = async () => {
    await run(async () => {
      setToken(await api<ApiToken>('POST', 'api-token'));
    });
  };
  return (
    <>
      <h1 tabIndex={-1}>API</h1>
      <p>
        Copr's command line client <code>copr-cli</code> and the <code>python-copr</code> library use the APIv3 at <a href="/api_3/">/api_3/</a>. They authenticate with an API token.
      </p>
      {!session ? (
        <p>
          <button type="button" onClick={() => void login('/api/')}>
            Log in
          </button>{' '}
          to get an API token.
        </p>
      ) : (
        <>
          <p>Generating a token replaces your previous one: clients using the old token stop working.</p>
          <button type="button" disabled={busy} onClick={() => void issue()}>
            {token ? 'Generate a new token' : 'Generate API token'}
          </button>
          <ErrorMessage error={error} />
          {token ? (
            <section aria-labelledby="cfg-h">
              <h2 id="cfg-h">Your ~/.config/copr</h2>
              <p>
                Save this as <code>~/.config/copr</code>. The token expires on {token.expiration}.
              </p>
              <CopyBlock label="copr-cli configuration" text={coprConfig(token, session.username, location.origin)} />
            </section>
          ) : null}
        </>
      )}
    </>
  );
}
