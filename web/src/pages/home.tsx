import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { BuildTable, ProjectList } from '../components/tables.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { navigate } from '../router.js';
import { useTitle } from '../title.js';
import type { Build, Paginated, Project } from '../types.js';
import { useLoad } from '../use-api.js';

/** The newest builds of all projects (our `build/recent` listing, one index query). */
async function recentBuilds(): Promise<Build[]> {
  return (await get<Paginated<Build>>('build/recent', { limit: 10 })).items;
}

export function HomePage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q);
  useTitle(q ? `Search: ${q}` : 'Home');
  const recent = useLoad(async () => {
    const projects = (await get<Paginated<Project>>('project/list', { limit: 12, order: 'id', order_type: 'DESC' })).items;
    return { projects, builds: await recentBuilds() };
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
