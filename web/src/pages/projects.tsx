import { get } from '../api.js';
import { ProjectList } from '../components/tables.js';
import { ErrorMessage, Loading, Pager } from '../components/ui.js';
import { useTitle } from '../title.js';
import type { Paginated, Project } from '../types.js';
import { useLoad } from '../use-api.js';

const PAGE_SIZE = 30;

/** Copr's `/coprs/`: every project, newest first, a page at a time. */
export function ProjectsPage({ query }: { query: URLSearchParams }) {
  useTitle('All projects');
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  // One extra row tells whether a next page exists.
  const res = useLoad(() => get<Paginated<Project>>('project/list', { limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE, order: 'id', order_type: 'DESC' }), [page]);
  return (
    <>
      <h1 tabIndex={-1}>All projects</h1>
      <ErrorMessage error={res.error} />
      {res.data ? (
        <>
          <ProjectList projects={res.data.items.slice(0, PAGE_SIZE)} />
          <Pager page={page} hasNext={res.data.items.length > PAGE_SIZE} hrefFor={(p) => (p > 1 ? `/coprs/?page=${p}` : '/coprs/')} />
        </>
      ) : !res.error ? (
        <Loading what="Loading projects" />
      ) : null}
    </>
  );
}
