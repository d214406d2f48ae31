import { get } from '../api.js';
import { login, useSession } from '../auth.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { ownerPath, projectPath } from '../paths.js';
import { Link } from '../router.js';
import { useTitle } from '../title.js';
import { useLoad } from '../use-api.js';

interface UserInfo {
  name: string;
  admin: boolean;
  groups: string[];
  api_token_expiration: string;
  projects: string[];
}

/** Copr's `/user/info`: what the service knows about the signed-in user. */
export function UserInfoPage() {
  useTitle('User information');
  const session = useSession();
  const res = useLoad(async () => (session ? get<UserInfo>('user/info') : null), [session?.username]);
  if (!session) {
    return (
      <>
        <h1 tabIndex={-1}>User information</h1>
        <p>
          <button type="button" onClick={() => void login('/user/info')}>
            Log in
          </button>{' '}
          to see your user information.
        </p>
      </>
    );
  }
  const u = res.data;
  return (
    <>
      <h1 tabIndex={-1}>User information</h1>
      <ErrorMessage error={res.error} />
      {!u && !res.error ? <Loading /> : null}
      {u ? (
        <>
          <dl class="facts">
            <dt>User name</dt>
            <dd>
              <Link href={ownerPath(u.name)}>{u.name}</Link>
            </dd>
            <dt>Administrator</dt>
            <dd>{u.admin ? 'yes' : 'no'}</dd>
            <dt>Groups</dt>
            <dd>
              {u.groups.length === 0 ? (
                <span class="muted">none</span>
              ) : (
                <ul class="plain" aria-label="Groups">
                  {u.groups.map((g) => (
                    <li key={g}>
                      <Link href={ownerPath(`@${g}`)}>@{g}</Link>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>API token</dt>
            <dd>
              valid through {u.api_token_expiration} · <Link href="/api/">get a new API token</Link>
            </dd>
          </dl>
          <h2>Your projects</h2>
          {u.projects.length === 0 ? (
            <p class="muted">No projects.</p>
          ) : (
            <ul aria-label="Your projects">
              {u.projects.map((p) => (
                <li key={p}>
                  <Link href={projectPath(u.name, p)}>{p}</Link>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </>
  );
}
