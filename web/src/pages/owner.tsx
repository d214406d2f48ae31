import { get } from '../api.js';
import { useSession } from '../auth.js';
import { ProjectList } from '../components/tables.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { Link } from '../router.js';
import { useTitle } from '../title.js';
import type { Paginated, Project } from '../types.js';
import { useLoad } from '../use-api.js';

export function OwnerPage({ owner }: { owner: string }) {
  useTitle(owner);
  const session = useSession();
  const res = useLoad(async () => (await get<Paginated<Project>>('project/list', { ownername: owner })).items, [owner]);
  return (
    <>
      <h1 tabIndex={-1}>{owner.startsWith('@') ? `Group ${owner}` : owner}</h1>
      {session?.username === owner ? (
        <p>
          <Link href="/coprs/add/" class="button">
            New project
          </Link>
        </p>
      ) : null}
      <h2>Projects</h2>
      <ErrorMessage error={res.error} />
      {res.data ? <ProjectList projects={res.data} showOwner={false} /> : !res.error ? <Loading /> : null}
    </>
  );
}
