import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { ProjectFrame } from '../components/project-frame.js';
import { BuildTable } from '../components/tables.js';
import { ErrorMessage, Field, Loading, Pager } from '../components/ui.js';
import { ALL_STATES } from '../format.js';
import { projectPath } from '../paths.js';
import { navigate } from '../router.js';
import type { Build, Paginated } from '../types.js';
import { useLoad } from '../use-api.js';

const PAGE_SIZE = 25;

export function BuildsPage({ owner, project, query }: { owner: string; project: string; query: URLSearchParams }) {
  const state = query.get('state') ?? '';
  const pkg = query.get('package') ?? '';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const base = projectPath(owner, project, 'builds');
  const href = (p: { state?: string; package?: string; page?: number }) => {
    const s = new URLSearchParams();
    if (p.state) s.set('state', p.state);
    if (p.package) s.set('package', p.package);
    if (p.page && p.page > 1) s.set('page', String(p.page));
    const qs = s.toString();
    return qs ? `${base}?${qs}` : base;
  };
  // One extra row tells whether a next page exists.
  const res = useLoad(
    () =>
      get<Paginated<Build>>('build/list', {
        ownername: owner,
        projectname: project,
        status: state || undefined,
        packagename: pkg || undefined,
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
        order: 'id',
        order_type: 'DESC',
      }),
    [owner, project, state, pkg, page],
  );
  const [pkgText, setPkgText] = useState(pkg);
  return (
    <ProjectFrame owner={owner} project={project} tab="builds" title="Builds">
      {() => (
        <>
          <form
            class="filters"
            aria-label="Filter builds"
            onSubmit={(e) => {
              e.preventDefault();
              const stateSel = (e.currentTarget.elements.namedItem('state') as HTMLSelectElement).value;
              navigate(href({ state: stateSel, package: pkgText.trim() }));
            }}
          >
            <Field id="state" label="State">
              <select id="state" name="state" value={state}>
                <option value="">any</option>
                {ALL_STATES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="package" label="Package">
              <input id="package" value={pkgText} onInput={(e) => setPkgText(e.currentTarget.value)} />
            </Field>
            <button type="submit">Filter</button>
          </form>
          <ErrorMessage error={res.error} />
          {res.data ? (
            <>
              <BuildTable builds={res.data.items.slice(0, PAGE_SIZE)} caption="Builds" />
              <Pager page={page} hasNext={res.data.items.length > PAGE_SIZE} hrefFor={(p) => href({ state, package: pkg, page: p })} />
            </>
          ) : !res.error ? (
            <Loading what="Loading builds" />
          ) : null}
        </>
      )}
    </ProjectFrame>
  );
}
