import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { BuildTable, ProjectList } from '../components/tables.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { navigate } from '../router.js';
import { useTitle } from '../title.js';
import type { Build, Paginated, Project } from '../types.js';
import { useLoad } from '../use-api.js';

/** Recent builds come from the newest projects: APIv3 has no global build list. */
async function recentBuilds(projects: Project[]): Promise<Build[]> {
  const lists = await Promise.all(
    projects.slice(0, 6).map((p) =>
      get<Paginated<Build>>('build/list', { ownername: p.ownername, projectname: p.name, limit: 5, order: 'id', order_type: 'DESC' }).then(
        (r) => r.items,
        () => [] as Build[],
      ),
    ),
  );
  return lists.flat().sort((a, b) => b.id - a.id).slice(0, 10);
}

export function HomePage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q);
  useTitle(q ? `Search: ${q}` : 'Home');
  const recent = useLoad(async () => {
    const projects = (await get<Paginated<Project>>('project/list', { limit: 12, order: 'id', order_type: 'DESC' })).items;
    return { projects, builds: await recentBuilds(projects) };
  }, []);
  const search = useLoad(async () => (q ? (await get<Paginated<Project>>('project/search', { query: q, limit: 50 })).items : null), [q]);

  return (
    <>
      <h1 tabIndex={-1}>Copr build system</h1>
      <p>Build RPM packages for Fedora and EPEL, and publish them as dnf repositories.</p>
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(text.trim() ? `/?q=${encodeURIComponent(text.trim())}` : '/');
        }}
      >
        <label for="search" class="sr-only">
          Search projects
        </label>
        <input id="search" type="search" placeholder="Search projects" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Search</button>
      </form>
      {q ? (
        <section aria-labelledby="results-h">
          <h2 id="results-h">Projects matching “{q}”</h2>
          <ErrorMessage error={search.error} />
          {search.loading && !search.data ? <Loading what="Searching" /> : null}
          {search.data ? <ProjectList projects={search.data} /> : null}
        </section>
      ) : null}
      <ErrorMessage error={recent.error} />
      <section aria-labelledby="builds-h">
        <h2 id="builds-h">Recent builds</h2>
        {recent.data ? <BuildTable builds={recent.data.builds} showProject caption="Recent builds" /> : !recent.error ? <Loading /> : null}
      </section>
      <section aria-labelledby="projects-h">
        <h2 id="projects-h">New projects</h2>
        {recent.data ? <ProjectList projects={recent.data.projects} /> : null}
      </section>
    </>
  );
}
